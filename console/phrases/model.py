"""What a reply script (话术) is, and the fixed vocabularies around it.

The placeholder set lives here and nowhere else: the loader, `fill`, lint and the
README all read it, so adding a placeholder is a one-line change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# The shipped defaults live inside the package and are only read; a shop's own copies live
# in its home folder (console/home.py). ROOT is the folder holding the `console` package.
SHIPPED = Path(__file__).resolve().parents[1] / "defaults"
ROOT = SHIPPED.parents[1]
DEFAULT_LIBRARY = SHIPPED / "phrases"
DEFAULT_FORBIDDEN = SHIPPED / "forbidden.toml"
DEFAULT_SOP_DIR = SHIPPED / "sop"
# The `path` of a reply that lives in the database (a draft added from the picker).
IN_DATABASE = Path("<数据库>")

# Placeholder name -> the Chinese label shown in the 【待填:…】 marker and the picker.
PLACEHOLDERS: dict[str, str] = {
    "buyer_id": "买家ID",
    "buyer_name": "称呼",
    "order_no": "订单号",
    "product": "商品",
    "amount": "金额",
    # Three times that mean three different things; each is filled only from its own source
    # (console/screens/phrases.py case_values), never from another clock of the case.
    "delivery_estimate": "预计送达",  # typed by the agent from the courier; nothing fills it
    "promise_time": "答应的时间",  # the due time of a running promise to the buyer
    "platform_deadline": "平台期限",  # the due time of a running platform clock (Taobao's)
    "tracking_no": "快递单号",
    "courier": "快递公司",
    "return_address": "退货地址",
    "arrival_date": "到货日期",
    "gift": "赠品",
    "solution": "处理方案",
    "shop_name": "店铺名",
    "agent_name": "客服名",
}

# One file per category; the file stem is the id prefix. Unknown stems are allowed
# (a supervisor may add a file); they are shown by their stem.
CATEGORIES: dict[str, str] = {
    "greeting": "问候",
    "apology": "致歉安抚",
    "logistics": "物流",
    "return": "退货",
    "exchange": "换货",
    "refund": "退款",
    "compensation": "补偿",
    "payment": "催款电话",
    "followup": "回访电话",
    "stock": "缺货通知",
    "closing": "结束与满意度",
}

STATUSES = ("approved", "draft")


@dataclass(frozen=True)
class Reply:
    """One reply script as read from its file.

    `lines` maps a field name ("id", "title", "tags", "status", "sop", "note", "text")
    to the 1-based line it was read from, so every later message can name file and line.
    """

    id: str
    title: str
    text: str
    status: str = "draft"
    tags: tuple[str, ...] = ()
    sop: tuple[str, ...] = ()
    note: str = ""
    path: Path = field(default=Path("<memory>"), compare=False)
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    text_lines: tuple[int, ...] = field(default=(), compare=False)  # file line of each text line

    @property
    def category(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def approved(self) -> bool:
        return self.status == "approved"

    @property
    def in_database(self) -> bool:
        """Added from the picker and kept in the database, not in a reply file."""
        return self.path == IN_DATABASE

    def line(self, name: str) -> int:
        """Line of a field, falling back to the block's header line."""
        return self.lines.get(name) or self.lines.get("id", 1)

    def text_line(self, offset: int) -> int:
        """File line of the character at `offset` in `text`."""
        index = self.text.count("\n", 0, offset)
        if index < len(self.text_lines):
            return self.text_lines[index]
        return self.line("text")


@dataclass(frozen=True)
class Problem:
    """A message about a file position; `level` is "error" or "warning"."""

    path: Path
    line: int
    message: str
    level: str = "error"

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}: {self.message}"


def display_path(path: Path) -> str:
    """Shipped files are shown as `console/defaults/...` (shorter); others as given."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)

"""The new-case form's logic: pick order number, buyer ID and message time out of text
pasted from Qianniu, and validate a draft. Pure functions, no database, no Textual."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from console.sla import Policy
from console.vocab import CHANNELS, KINDS

MAX_BUYER = 64
MAX_DESCRIPTION = 4000
MAX_PRODUCT = 200
# Who started the contact. A shop-started one (催款, 回访, a call to an unreachable buyer) has
# no buyer message waiting for a first reply.
INITIATORS: dict[str, str] = {"buyer": "买家发起", "shop": "店铺发起"}


@dataclass
class CaseDraft:
    """What the agent typed, as typed."""

    buyer_id: str = ""
    order_no: str = ""
    channel: str = "chat"
    kind: str = "other"
    description: str = ""
    urgent: bool = False
    message_time: str = ""  # shop time as typed: "14:03", "14:03:22", "2026-11-23 14:03"
    assignee: str | None = None
    initiated_by: str = "buyer"  # buyer: the buyer wrote or called; shop: an outbound contact
    product: str = ""


@dataclass
class ValidDraft:
    buyer_id: str
    order_no: str | None
    channel: str
    kind: str
    description: str
    urgent: bool
    message_at: datetime | None
    assignee: str | None = None
    initiated_by: str = "buyer"
    product: str = ""

    def summary(self) -> str:
        parts = [f"买家 {self.buyer_id}"]
        if self.order_no:
            parts.append(f"订单 {self.order_no}")
        parts.append(f"{CHANNELS.get(self.channel, self.channel)}/{KINDS.get(self.kind, self.kind)}")
        if self.initiated_by == "shop":
            parts.append("店铺发起")
        return " · ".join(parts)


def validate_draft(draft: CaseDraft, policy: Policy, now: datetime) -> ValidDraft | dict[str, str]:
    """A ValidDraft, or a dict of field -> message (Chinese) when anything is wrong."""
    errors: dict[str, str] = {}
    buyer = draft.buyer_id.strip()
    if not buyer:
        errors["buyer_id"] = "请填写买家旺旺名 (buyer ID is required)"
    elif len(buyer) > MAX_BUYER:
        errors["buyer_id"] = f"买家旺旺名太长 (最多 {MAX_BUYER} 个字符)"

    order = draft.order_no.strip()
    if order:
        if not order.isascii() or not order.isdigit():
            errors["order_no"] = "订单号只能是数字 (digits only)"
        elif not policy.order_min <= len(order) <= policy.order_max:
            errors["order_no"] = f"订单号应为 {policy.order_min}–{policy.order_max} 位数字,现在是 {len(order)} 位"

    if draft.channel not in CHANNELS:
        errors["channel"] = "请选择渠道"
    if draft.kind not in KINDS:
        errors["kind"] = "请选择工单类型"
    if draft.initiated_by not in INITIATORS:
        errors["initiated_by"] = "请选择是买家发起还是店铺发起"
    product = draft.product.strip()
    if len(product) > MAX_PRODUCT:
        errors["product"] = f"商品名太长 (最多 {MAX_PRODUCT} 个字)"

    description = draft.description.strip()
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"描述太长 (最多 {MAX_DESCRIPTION} 字)"

    message_at = None
    if draft.message_time.strip():
        message_at = parse_shop_time(draft.message_time, policy, now)
        if message_at is None:
            errors["message_time"] = "买家消息时间格式: 14:03 或 14:03:22 或 2026-11-23 14:03"
        elif message_at > now + timedelta(minutes=1):
            errors["message_time"] = "买家消息时间不能晚于现在"
        elif now - message_at > timedelta(days=30):
            errors["message_time"] = "买家消息时间太早 (超过 30 天)"

    if errors:
        return errors
    return ValidDraft(
        buyer_id=buyer,
        order_no=order or None,
        channel=draft.channel,
        kind=draft.kind,
        description=description,
        urgent=draft.urgent,
        message_at=message_at,
        assignee=draft.assignee,
        initiated_by=draft.initiated_by,
        product=product,
    )


_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")


def parse_shop_time(text: str, policy: Policy, now: datetime) -> datetime | None:
    """Shop-local time as an agent types it -> aware UTC. A bare clock time means the latest
    such time not after now (so 23:59 typed just after midnight is yesterday)."""
    text = text.strip().replace("：", ":")
    local_now = now.astimezone(policy.timezone)
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=policy.timezone).astimezone(now.tzinfo)
        except ValueError:
            pass
    m = re.fullmatch(r"(?:(\d{1,2})-(\d{1,2})\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?", text)
    if not m:
        return None
    month, day, hour, minute, second = m.groups()
    try:
        local = local_now.replace(
            month=int(month) if month else local_now.month,
            day=int(day) if day else local_now.day,
            hour=int(hour), minute=int(minute), second=int(second or 0), microsecond=0,
        )
    except ValueError:
        return None
    if local > local_now + timedelta(minutes=1):
        local -= timedelta(days=1) if not month else timedelta(0)
    return local.astimezone(now.tzinfo)


# ---- Pasted text ---------------------------------------------------------------

_LABELLED_ORDER = re.compile(r"(?:订单(?:编号|号)?|order(?:\s*no\.?)?)\s*[:：#]?\s*(\d+)", re.IGNORECASE)
_LABELLED_BUYER = re.compile(
    r"(?:买家(?:旺旺|昵称|账号|会员名)?|旺旺(?:名|号)?|会员名|昵称|buyer)\s*[:：]\s*(\S+)", re.IGNORECASE
)
# A Qianniu chat header: "nickname 2026-11-23 14:03:22" on a line of its own.
_CHAT_HEADER = re.compile(r"^\s*(\S+?)\s*[(（]?\s*(\d{4}[-/]\d{1,2}[-/]\d{1,2}\s+\d{1,2}:\d{2}(?::\d{2})?)\s*[)）]?\s*$")
_DIGITS = re.compile(r"(?<!\d)\d+(?!\d)")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass
class Picked:
    buyer_id: str = ""
    order_no: str = ""
    message_time: str = ""
    description: str = ""
    kind: str | None = None
    found: list[str] = field(default_factory=list)


# First match wins: a complaint about a refund is a complaint.
_KIND_WORDS = [
    ("complaint", ("投诉", "维权", "小二介入", "差评", "12315")),
    ("exchange", ("换货", "换一个", "换个", "换大", "换小", "换颜色", "换码")),
    ("return", ("退货", "退回去", "寄回")),
    ("refund", ("退款", "仅退款", "退钱", "差价")),
    ("logistics", ("快递", "物流", "没收到", "签收", "派送", "运单")),
    ("payment", ("未付款", "没付款", "催付")),
]


def guess_kind(text: str) -> str | None:
    """The case kind the buyer's words point to, or None when nothing fits."""
    for kind, words in _KIND_WORDS:
        if any(w in text for w in words):
            return kind
    return None


def pick_from_paste(text: str, policy: Policy, shop_name: str | None = None) -> Picked:
    """Pick order number, buyer ID and the buyer's message time out of pasted text.

    The order number is the number after an 订单 label, else the longest run of digits of
    an order number's length that is not a mobile number. The buyer is a labelled name,
    else the first chat speaker who is not the shop. Lines that were only a label or a
    chat header are dropped; everything else stays as the description.
    """
    picked = Picked()
    lines = text.replace("\r\n", "\n").split("\n")
    keep: list[str] = []

    for line in lines:
        header = _CHAT_HEADER.match(line)
        if header:
            speaker, when = header.groups()
            if shop_name and shop_name in speaker:
                keep.append(line.strip())
                continue
            if not picked.buyer_id:
                picked.buyer_id = speaker
            if not picked.message_time:
                picked.message_time = when.replace("/", "-")
            continue
        keep.append(line.rstrip())

    body = "\n".join(keep)
    m = _LABELLED_BUYER.search(body)
    if m and not picked.buyer_id:
        picked.buyer_id = m.group(1).strip("，,。;；")
    m = _LABELLED_ORDER.search(body)
    if m and policy.order_min <= len(m.group(1)) <= policy.order_max:
        picked.order_no = m.group(1)
    else:
        runs = [r for r in _DIGITS.findall(body) if policy.order_min <= len(r) <= policy.order_max]
        runs = [r for r in runs if not _MOBILE.match(r)] or runs
        if runs:
            picked.order_no = max(runs, key=len)

    # Drop the labelled fields from the description; keep what the buyer said.
    if picked.order_no:
        body = re.sub(rf"(?:订单(?:编号|号)?\s*[:：#]?\s*)?{picked.order_no}", "", body)
    if picked.buyer_id:
        body = _LABELLED_BUYER.sub("", body)
    picked.description = "\n".join(line.strip() for line in body.split("\n") if line.strip(" \t:：,，"))
    picked.kind = guess_kind(picked.description)
    picked.found = [
        name for name, value in (
            ("买家", picked.buyer_id), ("订单号", picked.order_no), ("时间", picked.message_time),
            ("类型", KINDS.get(picked.kind or "", "")),
        ) if value
    ]
    return picked


def parse_future_time(text: str, policy: Policy, now: datetime) -> datetime | None:
    """A time promised to the buyer, as an agent types it: '18:30' (next such time),
    '明天10点', '明天 10:00', '后天9:30', '2026-11-25 10:00'. Aware UTC, or None."""
    text = text.strip().replace("：", ":")
    days = 0
    for word, n in (("今天", 0), ("明天", 1), ("后天", 2)):
        if text.startswith(word):
            days, text = n, text[len(word):].strip()
            break
    m = re.fullmatch(r"(\d{1,2})\s*点(?:\s*(\d{1,2})\s*分?|半)?", text)
    if m:
        minute = 30 if text.endswith("半") else int(m.group(2) or 0)
        text = f"{int(m.group(1))}:{minute:02d}"
    if re.fullmatch(r"\d{1,2}:\d{2}", text):
        local_now = now.astimezone(policy.timezone)
        hour, minute = (int(x) for x in text.split(":"))
        try:
            local = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        except ValueError:
            return None
        local += timedelta(days=days)
        if days == 0 and local <= local_now:
            local += timedelta(days=1)
        return local.astimezone(now.tzinfo)
    if days:
        return None
    return parse_shop_time(text, policy, now)

"""The exports in a folder: what kind each file is (the one rule, for the folder listing and
the import screen alike) and the newest of each kind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from console.imports.reading import peek_header
from console.imports.rules import ImportRules, load_rules
from console.imports.types import KIND_LABELS

# Names Qianniu gives its exports. The refund export's name has varied (退款管理导出…,
# ExportRefundList…, refund…); any other .csv is offered too when its header line is one
# the rules recognise.
ORDER_LIST = "ExportOrderList"
ORDER_DETAIL = "ExportOrderDetailList"


@dataclass(frozen=True)
class ExportFile:
    """An export file and what kind it is."""

    path: Path
    kind: str  # refund | order | order_item

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, "无法识别")


def export_kind(path: Path, rules: ImportRules) -> str:
    """refund | order | order_item; "" when `path` is none of them. The order reports are told
    by Qianniu's names for them (no need to open the file), any other file by its header line."""
    if path.name.startswith(ORDER_DETAIL):  # before ORDER_LIST: it starts the same way
        return "order_item"
    if path.name.startswith(ORDER_LIST):
        return "order"
    return rules.kind_of(peek_header(path))


def newest_exports(folder: Path | str, rules: ImportRules | None = None) -> list[ExportFile]:
    """The newest export of each kind in `folder` (by modification time): the refund export,
    the order list and its item list, newest first; [] when there is none. An order list's
    item list with the same timestamp is preferred (they are downloaded together)."""
    rules = rules or load_rules()
    folder = Path(folder)
    try:
        files = [p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file()]
    except OSError:
        return []
    files.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    newest: dict[str, ExportFile] = {}
    for path in files:
        kind = export_kind(path, rules)
        if kind and kind not in newest:
            newest[kind] = ExportFile(path, kind)
    order = newest.get("order")
    if order is not None and order.path.name.startswith(ORDER_LIST):  # else it would be its own twin
        twin = folder / order.path.name.replace(ORDER_LIST, ORDER_DETAIL, 1)
        if twin.is_file():
            newest["order_item"] = ExportFile(twin, "order_item")
    return sorted(newest.values(), key=lambda f: f.path.stat().st_mtime, reverse=True)

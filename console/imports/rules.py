"""The import's column names and status texts, kept as data (defaults/import_columns.toml,
or the shop folder's own copy) so a renamed column needs no program change."""

from __future__ import annotations

import functools
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from console.vocab import REFUND_STATUSES

SHIPPED_RULES = Path(__file__).resolve().parent.parent / "defaults" / "import_columns.toml"
KINDS = ("refund", "order", "order_item")  # refund first: its files also hold 订单编号


class RulesError(ValueError):
    """import_columns.toml cannot be used; str() names the file and says why, in Chinese."""


# Spaces of every kind, the BOM and zero-width characters: dropped when comparing.
_DROP = dict.fromkeys([*(c for c in range(0x3001) if chr(c).isspace()), 0xFEFF, 0x200B], None)


@functools.lru_cache(maxsize=2048)  # the same few status texts, row after row
def norm(text: str) -> str:
    """A header or status text as compared: NFKC (full-width commas, spaces, digits become
    ASCII), no spaces, no BOM or zero-width characters."""
    return unicodedata.normalize("NFKC", text).translate(_DROP)


@dataclass(frozen=True)
class KindRules:
    kind: str
    signature: tuple[str, ...]
    required: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]  # field -> header names, first found wins

    def matches(self, headers: set[str]) -> bool:
        return all(norm(h) in headers for h in self.signature)

    def header_of(self, name: str) -> str:
        """The first header name of a field, for messages."""
        return (self.columns.get(name) or (name,))[0]


@dataclass(frozen=True)
class ImportRules:
    kinds: dict[str, KindRules]
    summary_rows: tuple[str, ...] = ()
    refund_status: dict[str, str] = field(default_factory=dict)  # norm(text) -> refund state
    intervened_yes: frozenset[str] = frozenset()
    intervened_no: frozenset[str] = frozenset()
    return_yes: frozenset[str] = frozenset()
    return_no: frozenset[str] = frozenset()
    not_shipped: frozenset[str] = frozenset()
    order_statuses: frozenset[str] = frozenset()
    source: str = ""

    def kind_of(self, headers: list[str]) -> str:
        """refund | order | order_item from a file's header line; "" when none fits."""
        names = {norm(h) for h in headers}
        return next((k for k in KINDS if k in self.kinds and self.kinds[k].matches(names)), "")


def load_rules(path: Path | str = SHIPPED_RULES) -> ImportRules:
    """The rules from `path`; RulesError naming the file when it is missing or wrong."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"{path}: 无法读取导入列名文件: {exc}") from None
    return rules_from_dict(raw, str(path))


def _texts(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesError(f"{where} 应为文字列表")
    return tuple(value)


def rules_from_dict(raw: dict, source: str = "<import_columns>") -> ImportRules:
    kinds: dict[str, KindRules] = {}
    for kind in KINDS:
        table = raw.get(kind)
        if not isinstance(table, dict):
            raise RulesError(f"{source}: 缺少 [{kind}]")
        columns = {name: _texts(v, f"{source}: [{kind}.columns] {name}")
                   for name, v in (table.get("columns") or {}).items()}
        required = _texts(table.get("required", []), f"{source}: [{kind}] required")
        missing = [r for r in required if r not in columns]
        if missing:
            raise RulesError(f"{source}: [{kind}] required 里的 {'、'.join(missing)} 在 [{kind}.columns] 里没有")
        kinds[kind] = KindRules(kind, _texts(table.get("signature", []), f"{source}: [{kind}] signature"),
                                required, columns)
    refund = raw["refund"]
    status: dict[str, str] = {}
    for state, texts in (refund.get("status") or {}).items():
        if state not in REFUND_STATUSES:
            raise RulesError(f"{source}: [refund.status] 未知的退款状态 {state!r} "
                             f"(可用: {', '.join(REFUND_STATUSES)})")
        for text in _texts(texts, f"{source}: [refund.status] {state}"):
            status[norm(text)] = state
    for state, label in REFUND_STATUSES.items():
        status.setdefault(norm(label), state)  # the console's own words always work

    def words(table: dict | None, key: str, where: str) -> frozenset[str]:
        return frozenset(norm(t) for t in _texts((table or {}).get(key, []), f"{source}: {where} {key}"))

    return ImportRules(
        kinds=kinds,
        summary_rows=tuple(norm(t) for t in _texts(raw.get("summary_rows", []), f"{source}: summary_rows")),
        refund_status=status,
        intervened_yes=words(refund.get("intervention"), "yes", "[refund.intervention]"),
        intervened_no=words(refund.get("intervention"), "no", "[refund.intervention]"),
        return_yes=words(refund.get("need_return"), "yes", "[refund.need_return]"),
        return_no=words(refund.get("need_return"), "no", "[refund.need_return]"),
        not_shipped=words(refund.get("not_shipped"), "texts", "[refund.not_shipped]"),
        order_statuses=words(raw["order"].get("status"), "texts", "[order.status]"),
        source=source,
    )

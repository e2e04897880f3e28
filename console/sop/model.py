"""The shapes of an SOP decision tree once loaded: flows, nodes, outcomes, errors, verdicts.

Plain frozen dataclasses so the screen, the CLI and tests can read them without knowing TOML.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Any

NODE_TYPES = ("question", "facts", "confirm", "outcome")

# How goods come back to the shop (退回方式).
GOODS_RETURN: dict[str, str] = {
    "none": "不退回",
    "refuse_delivery": "买家拒收,快递退回",
    "buyer_ships": "买家寄回",
    "recall": "联系快递追回原件",
}

# Who bears a shipment's postage in the end (运费承担方).
PAYERS: dict[str, str] = {
    "buyer": "买家",
    "shop": "我司",
    "courier": "快递",
    "none": "无",
}

# Who pays the courier first when that differs from who bears it (垫付方).
ADVANCERS: dict[str, str] = {"buyer": "买家垫付", "shop": "我司垫付"}

REFUND_SCOPES: dict[str, str] = {"whole_order": "整单退款", "partial": "部分退款"}

# The forms the SOP fills (DOMAIN §5). The payment registers come from 第五章.
REGISTERS = ("退件表", "重发单", "售后问题表", "催款明细表", "催款汇总表")

REPLY_CATEGORIES = (
    "greeting", "apology", "logistics", "return", "exchange", "refund",
    "compensation", "payment", "followup", "stock", "closing",
)


@dataclass(frozen=True)
class SopError:
    """One problem in an SOP file. `severity` "warning" does not make the flow unavailable."""

    file: str
    node: str | None
    reason: str
    line: int | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        node = f" [{self.node}]" if self.node else ""
        tag = " (警告 warning)" if self.severity == "warning" else ""
        return f"{where}:{node} {self.reason}{tag}"


@dataclass(frozen=True)
class Verdict:
    """The answer of every rule and walk step: allowed, or refused with a Chinese reason."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


OK = Verdict(True)


def refused(reason: str) -> Verdict:
    return Verdict(False, reason)


@dataclass(frozen=True)
class Choice:
    label: str
    next: str
    hint: str = ""


@dataclass(frozen=True)
class FactField:
    key: str
    label: str
    required: bool = True
    hint: str = ""


@dataclass(frozen=True)
class Outcome:
    """A leaf: everything the agent does next. Field meanings: console/defaults/sop/README.md."""

    flow_id: str
    flow_title: str
    node_id: str
    text: str
    summary: str
    buyer_gets: tuple[str, ...]
    goods_return: str
    postage_out: str
    postage_back: str
    check_on_arrival: str
    checklist: tuple[str, ...]
    registers: tuple[str, ...]
    timers: tuple[str, ...]
    replies: tuple[str, ...]
    next_status: str
    case_kind: str
    advance_by: str | None = None
    refund_scope: str | None = None
    compensation: bool = False
    price_difference: bool = False
    escalate: str | None = None
    urgent: bool = False
    note: str = ""
    requires: tuple[str, ...] = ()
    # A buyer's after-sales problem (entered in 售后问题表); false for a reminder call or a
    # follow-up that found nothing wrong. Defaults to the flow's `problem`.
    problem: bool = True
    # The platform refund status this outcome leads to (e.g. seller_refused when the agent
    # refuses the request); None: the status follows the outcome's refund timer, if any.
    refund_status: str | None = None
    # The platform has stepped in (小二介入): mark it on the case and start its clocks.
    intervened: bool = False

    def postage_text(self) -> str:
        """'去程我司,回程买家垫付→我司' style, for memo and screen."""
        if self.postage_out == self.postage_back == "none":
            return "无额外运费"
        out = f"去程{PAYERS[self.postage_out]}"
        if self.postage_back == "none":
            return out + ",无回程"
        back = PAYERS[self.postage_back]
        if self.advance_by and self.advance_by != self.postage_back:
            back = f"{ADVANCERS[self.advance_by]}→{back}承担"
        return f"{out},回程{back}"

    def as_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    text: str
    hint: str = ""
    collect: tuple[str, ...] = ()
    tone: tuple[str, ...] = ()
    rule: str | None = None
    choices: tuple[Choice, ...] = ()
    fields: tuple[FactField, ...] = ()
    next: str | None = None
    otherwise: str | None = None
    refuse_reason: str = ""
    outcome: Outcome | None = None
    line: int | None = None

    def targets(self) -> tuple[str, ...]:
        """Ids this node leads to, in order."""
        if self.type == "question":
            return tuple(c.next for c in self.choices)
        return tuple(t for t in (self.next, self.otherwise) if t)


@dataclass(frozen=True)
class Flow:
    id: str
    title: str
    case_kind: str
    start: str
    nodes: dict[str, Node]
    source: str = ""
    description: str = ""

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def outcomes(self) -> list[Outcome]:
        return [n.outcome for n in self.nodes.values() if n.outcome is not None]


@dataclass(frozen=True)
class Rules:
    """Shop-wide numbers and vocabularies from sop/rules.toml (defaults below)."""

    compensation_max_ratio: Decimal = Decimal("0.30")
    first_offer_ratio: Decimal = Decimal("0.83")
    raise_by: tuple[Decimal, ...] = (Decimal(3), Decimal(5))
    amount_max: Decimal = Decimal(100000)
    required_facts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    buyer_gets: frozenset[str] = frozenset()
    tones: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class Library:
    """Every flow in a directory: the usable ones, the broken ones with why, and all errors."""

    directory: Path
    flows: dict[str, Flow]
    unavailable: dict[str, str]
    errors: list[SopError]
    rules: Rules

    @property
    def ok(self) -> bool:
        return not self.errors

    def find(self, key: str) -> Flow | None:
        """A usable flow by id or by title."""
        if key in self.flows:
            return self.flows[key]
        return next((f for f in self.flows.values() if f.title == key), None)

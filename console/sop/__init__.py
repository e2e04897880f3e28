"""SOP decision trees: load and validate sop/*.toml, walk a flow, enforce the money rules.

No Textual here: the wizard screen calls these functions and shows what they return.
"""

from console.sop.loader import DEFAULT_DIR, load_flow_file, load_library
from console.sop.model import (
    GOODS_RETURN,
    PAYERS,
    REGISTERS,
    REPLY_CATEGORIES,
    Choice,
    FactField,
    Flow,
    Library,
    Node,
    Outcome,
    Rules,
    SopError,
    Verdict,
)
from console.sop.outline import outline_lines
from console.sop.rules import (
    AmountError,
    Money,
    MoneyNeeds,
    PriceOffer,
    check_compensation,
    check_money,
    check_refund,
    compensation_cap,
    load_rules,
    money_needs,
    parse_amount,
    postage_basis,
    price_difference_offer,
    yuan,
)
from console.sop.walk import Step, Walk, memo_line

__all__ = [
    "DEFAULT_DIR", "GOODS_RETURN", "PAYERS", "REGISTERS", "REPLY_CATEGORIES",
    "AmountError", "Choice", "FactField", "Flow", "Library", "Money", "MoneyNeeds", "Node", "Outcome",
    "PriceOffer", "Rules", "SopError", "Step", "Verdict", "Walk",
    "check_compensation", "check_money", "check_refund", "compensation_cap", "load_flow_file",
    "load_library", "load_rules", "memo_line", "money_needs", "outline_lines", "parse_amount",
    "postage_basis", "price_difference_offer", "yuan",
]

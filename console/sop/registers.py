"""Which register an outcome opens: one rule for every flow [004 第二章、第三章].

The same situation reached through two flows must open the same registers, so the trees do
not choose them node by node: the checker holds every outcome's `registers` to this rule.
"""

from __future__ import annotations

from console.sop.model import Outcome

# Goods sent to the buyer again, beyond the original order: what the 重发单 records.
RESENT = frozenset({"重发", "换货", "小样", "空瓶"})
RULE_REGISTERS = ("退件表", "重发单", "售后问题表")

RULE_TEXT = (
    "登记表按统一规则: 货要退回 → 退件表;补发、换货、小样、空瓶 → 重发单;"
    "买家的每个售后问题 → 售后问题表 (流程或结果写 problem = false 的除外,如催款、正常回访)"
)


def registers_by_rule(outcome: Outcome) -> tuple[str, ...]:
    """The registers of RULE_REGISTERS this outcome opens, in that order."""
    wanted = {
        "退件表": outcome.goods_return != "none",
        "重发单": bool(RESENT & set(outcome.buyer_gets)),
        "售后问题表": outcome.problem,
    }
    return tuple(name for name in RULE_REGISTERS if wanted[name])

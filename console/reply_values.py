"""What a reply's placeholders are filled with for one case, and which replies its SOP step
suggests first.

Each value comes from its own source only: the buyer's name (称呼) from the case's
buyer_name, never the buyer ID; a promise time only from a promise to the buyer, a platform
deadline only from a platform clock; a delivery estimate from nowhere (the agent types what
the courier said). What nobody knows yet stays a visible 【待填】 marker in the reply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.sla import Policy

if TYPE_CHECKING:
    from console.cases import CaseDetail
    from console.libraries import SopTrees
    from console.phrases import Library


def case_values(detail: CaseDetail | None, *, agent: str, policy: Policy, sop: SopTrees,
                shop_name: str = "", return_address: str = "") -> dict[str, str]:
    """Placeholder values from the agent, the shop and everything the case knows."""
    from console.phrases import clock_values

    values = {"agent_name": agent}
    if shop_name:
        values["shop_name"] = shop_name
    if return_address:
        values["return_address"] = return_address
    if detail is None:
        return values
    c = detail.case
    values.update(buyer_id=c.buyer_id, buyer_name=c.buyer_name or "", order_no=c.order_no or "",
                  product=c.product, amount=c.agreed_amount or "")
    values.update(clock_values(detail.deadlines, policy))
    outcome = sop.outcome_of(c.sop_step)
    if outcome is not None:
        values["solution"] = outcome.summary
    return values


def boost_for(case_step: str | None, lib: Library, sop: SopTrees) -> list[str]:
    """Replies linked to the case's current SOP step: those the step names, then those naming it."""
    if not case_step:
        return []
    outcome = sop.outcome_of(case_step)
    named = list(outcome.replies) if outcome is not None else []
    return list(dict.fromkeys(named + lib.for_step(case_step)))

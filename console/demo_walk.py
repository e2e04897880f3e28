"""The wizard's part of the demo history: walk an SOP flow the way an agent does (answer by
answer, through console.sop.Walk) and pick the money an outcome that pays the buyer needs,
within the shop's rules (a refund within the order, compensation within the 30 % cap, a
price difference within the postage), so applying it passes the same checks as at a desk."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from console.sop import (
    AmountError,
    Flow,
    Money,
    Outcome,
    Rules,
    Step,
    Walk,
    compensation_cap,
    money_needs,
    postage_basis,
    price_difference_offer,
    yuan,
)

_FACTS = {
    "photos": ["已收到 3张", "已收到 2张", "买家发了视频"], "skin": ["混合性", "干性", "敏感肌"],
    "problem": ["瓶口漏液", "开线", "颜色不符"], "age": ["26", "31", "45"], "usage": ["用了三天,每天一次"],
    "symptoms": ["脸颊发红发痒"], "region": ["浙江杭州", "广东深圳", "四川成都"],
    "damage": ["外箱压扁,瓶身裂开"], "package": ["完好"], "wording": ["到位"], "result": ["完整"],
}


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    path: tuple[Step, ...]
    facts: dict[str, str]
    money: Money
    memo_suffix: str  # the amount, added to the memo as the wizard screen does


def walk(flow: Flow, rng: random.Random, product: str, rules: Rules, order_amount: Decimal) -> Decision | None:
    """A random walk to an outcome, with its money; None when the walk goes in circles or the
    outcome's money cannot be met (the agent would pick another way)."""
    w = Walk.start(flow)
    for _ in range(40):
        if w.done:
            break
        node = w.node
        if node.type == "question":
            verdict = w.answer(rng.randint(1, len(node.choices)))
        elif node.type == "confirm":
            verdict = w.confirm(not node.otherwise or rng.random() < 0.8)
        else:
            values = {f.key: (product if f.key == "product" else rng.choice(_FACTS.get(f.key, ["已核实"])))
                      for f in node.fields if f.required or rng.random() < 0.5}
            verdict = w.provide(values)
        if not verdict:
            return None
    if not w.done:
        return None
    outcome = w.outcome
    money = _money(outcome, rng, rules, order_amount)
    if money is None:
        return None
    suffix = f" | 金额: {money.amount} 元" if money.amount else ""
    return Decision(outcome, w.path, w.fact_values(), money, suffix)


def _money(outcome: Outcome, rng: random.Random, rules: Rules, order_amount: Decimal) -> Money | None:
    needs = money_needs(outcome)
    if not needs.any:
        return Money()
    item = order_amount
    if outcome.price_difference:
        postage = "24" if postage_basis(outcome) == "换货来回运费" else "12"
        try:
            offer = price_difference_offer(postage, rules, yuan(item), basis=needs.postage)
        except AmountError:
            return None
        return Money(amount=yuan(rng.choice(offer.ladder)), base=yuan(item), postage=postage)
    if outcome.compensation:
        cap = compensation_cap(item, rules)
        amount = min(cap, Decimal(rng.choice((5, 10, 10, 15, 20, 30))))
        if amount < 1:
            return None
        return Money(amount=yuan(amount), base=yuan(item))
    if (outcome.refund_scope or "partial") == "whole_order" or rng.random() < 0.7:
        return Money(amount=yuan(order_amount), base=yuan(order_amount))
    part = (order_amount * Decimal(rng.choice(("0.2", "0.3", "0.5")))).quantize(Decimal(1))
    return Money(amount=yuan(max(part, Decimal(1))), base=yuan(order_amount))

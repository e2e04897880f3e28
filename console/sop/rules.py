"""The money rules the wizard enforces, and sop/rules.toml that sets their numbers.

Every check returns a Verdict; on refusal the reason is a sentence the agent can act on.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from console.money import AmountError, parse_amount
from console.sop.model import OK, Outcome, Rules, SopError, Verdict, refused
from console.units import qty

DEFAULT_BUYER_GETS = frozenset({
    "退款", "退差价", "重发", "换货", "发货", "继续派送", "自提", "小礼物", "补偿",
    "小样", "空瓶", "折扣", "退还垫付运费", "待定", "无",
})

_CENT = Decimal("0.01")


def _amount(value: str | int | Decimal, what: str, rules: Rules) -> Decimal | Verdict:
    try:
        return parse_amount(value, what=what, maximum=rules.amount_max)
    except AmountError as exc:
        return refused(str(exc))


def yuan(value: Decimal) -> str:
    """12.00 -> '12', 12.50 -> '12.5'."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def check_refund(amount: str | int | Decimal, order_total: str | int | Decimal,
                 scope: str | None = "whole_order", rules: Rules | None = None) -> Verdict:
    """A refund of `amount` against an order paid `order_total`.

    scope "whole_order" (not received, DOMAIN §2/§3.4): only the full amount is allowed.
    """
    rules = rules or Rules()
    value = _amount(amount, "退款金额", rules)
    total = _amount(order_total, "订单实付金额", rules)
    for parsed in (value, total):
        if isinstance(parsed, Verdict):
            return parsed
    if value > total:
        return refused(f"退款 {qty(yuan(value), '元')} 超过订单实付 {qty(yuan(total), '元')},不能同意")
    if scope == "whole_order" and value != total:
        return refused(
            f"未收到货的退款以订单为单位,只能整单退 {qty(yuan(total), '元')};"
            "不能部分退款(如只退邮费、折扣、抵价券)"
        )
    return OK


def compensation_cap(item_value: Decimal, rules: Rules | None = None) -> Decimal:
    rules = rules or Rules()
    return (item_value * rules.compensation_max_ratio).quantize(_CENT, ROUND_HALF_UP)


def check_compensation(amount: str | int | Decimal, item_value: str | int | Decimal,
                       rules: Rules | None = None) -> Verdict:
    """Compensation above the cap (default 30 % of the item's value [003]) is blocked."""
    rules = rules or Rules()
    value = _amount(amount, "补偿金额", rules)
    item = _amount(item_value, "宝贝价值", rules)
    for parsed in (value, item):
        if isinstance(parsed, Verdict):
            return parsed
    cap = compensation_cap(item, rules)
    if value > cap:
        pct = yuan(rules.compensation_max_ratio * 100)
        return refused(
            f"补偿 {qty(yuan(value), '元')} 超过宝贝价值 {qty(yuan(item), '元')} 的 {qty(pct, '%')}(上限 {qty(yuan(cap), '元')}),"
            "不能同意;请逐步协商,超出上限请上报主管"
        )
    return OK


@dataclass(frozen=True)
class PriceOffer:
    """Suggested price-difference offers for a small flaw, lowest first [002]."""

    postage: Decimal
    first: Decimal
    ladder: tuple[Decimal, ...]
    note: str
    basis: str = "运费"  # which postage the difference replaces, in words

    def text(self) -> str:
        steps = " → ".join(qty(yuan(a), "元") for a in self.ladder)
        return (f"出价阶梯: {steps}(上限是{self.basis} {qty(yuan(self.postage), '元')});"
                f"仍不接受就按退货/换货处理。{self.note}").rstrip()


def postage_basis(outcome: Outcome) -> str:
    """The postage a price difference replaces [002]: an exchange costs the shop both ways
    (来回 24 元 -> offer 20), a return the way back (寄回 12 元 -> offer 10)."""
    return "换货来回运费" if outcome.flow_id == "exchange" or "换货" in outcome.buyer_gets else "退货寄回运费"


def price_difference_offer(postage: str | int | Decimal, rules: Rules | None = None,
                           item_value: str | int | Decimal | None = None,
                           basis: str = "运费") -> PriceOffer:
    """First offer below the postage the shop would otherwise pay, then the raises, never
    above that postage: "补的差价必须在来回运费之内" [002]. 12 for a return -> 10, 12;
    24 both ways for an exchange -> 20, 23, 24. Raises AmountError on a bad amount.
    """
    rules = rules or Rules()
    cost = parse_amount(postage, what=basis, maximum=rules.amount_max)
    first = (cost * rules.first_offer_ratio).quantize(Decimal(1), ROUND_HALF_UP)
    if first >= cost:
        first = cost - 1
    if first < 1:
        raise AmountError(f"{basis}只有 {qty(yuan(cost), '元')},退差价省不了钱,直接按退货/换货处理")
    # The raises of 3–5 元 stop at the postage itself.
    ladder = list(dict.fromkeys([first] + [min(first + step, cost) for step in rules.raise_by]))
    note = ""
    if item_value is not None:
        cap = compensation_cap(parse_amount(item_value, what="宝贝价值"), rules)
        if any(a > cap for a in ladder):
            ladder = [a for a in ladder if a <= cap]
            note = f"已去掉超过补偿上限 {qty(yuan(cap), '元')} 的出价。"
            if not ladder:
                raise AmountError(f"补偿上限只有 {qty(yuan(cap), '元')},低于首次出价,直接按退货/换货处理")
    return PriceOffer(postage=cost, first=ladder[0], ladder=tuple(ladder), note=note, basis=basis)


# ---- money an outcome pays the buyer ------------------------------------------------------

PAYING_GETS = frozenset({"退款", "退差价", "补偿"})


@dataclass(frozen=True)
class Money:
    """Amounts the agent gives for an outcome that pays the buyer, as typed (yuan)."""

    amount: str = ""  # what the shop pays: the refund, the compensation, the price difference
    base: str = ""  # what it is checked against: the order paid (refund) or the item's value
    postage: str = ""  # price difference: the postage it replaces


@dataclass(frozen=True)
class MoneyNeeds:
    """Which amounts an outcome needs, with the words the screen shows for each."""

    amount: str = ""  # label, "" when not needed
    base: str = ""
    postage: str = ""
    base_optional: bool = False
    base_kind: str = ""  # "order" (订单实付) or "item" (宝贝价值): where the case keeps it

    @property
    def any(self) -> bool:
        return bool(self.amount)


def money_needs(outcome: Outcome) -> MoneyNeeds:
    """An outcome that pays the buyer needs the amount and what it is checked against, so the
    30 % cap, the whole-order rule and the price-difference limit are always checked."""
    if outcome.price_difference:
        return MoneyNeeds(amount="商定的差价", base="宝贝价值", postage=postage_basis(outcome),
                          base_optional=True, base_kind="item")
    if outcome.compensation:
        return MoneyNeeds(amount="补偿金额", base="宝贝价值", base_kind="item")
    if outcome.refund_scope or PAYING_GETS & set(outcome.buyer_gets):
        return MoneyNeeds(amount="退款金额", base="订单实付金额", base_kind="order")
    return MoneyNeeds()


def check_money(outcome: Outcome, money: Money, rules: Rules | None = None) -> Verdict:
    """Every money rule of an outcome at once: what the wizard warns about early and what
    applying the outcome enforces, whoever applies it."""
    rules = rules or Rules()
    needs = money_needs(outcome)
    if not needs.any:
        return OK
    missing = [label for label, value, required in (
        (needs.postage, money.postage, bool(needs.postage)),
        (needs.amount, money.amount, True),
        (needs.base, money.base, not needs.base_optional),
    ) if required and not str(value).strip()]
    if missing:
        return refused(f"这个结果要付钱给买家,请先填: {'、'.join(missing)}")
    if outcome.price_difference:
        try:
            offer = price_difference_offer(money.postage, rules, money.base or None, basis=needs.postage)
        except AmountError as exc:
            return refused(str(exc))
        value = _amount(money.amount, needs.amount, rules)
        if isinstance(value, Verdict):
            return value
        top = offer.ladder[-1]
        if value > top:
            return refused(f"差价 {qty(yuan(value), '元')} 超过了可给的上限 {qty(yuan(top), '元')}"
                           f"({needs.postage} {qty(yuan(offer.postage), '元')}{',及补偿上限' if offer.note else ''});"
                           "买家仍不接受就按退货/换货处理")
        return OK
    if outcome.compensation:
        return check_compensation(money.amount, money.base, rules)
    scope = outcome.refund_scope or "partial"
    return check_refund(money.amount, money.base, scope, rules)


# ---- rules.toml ----------------------------------------------------------------------


def load_rules(path: Path) -> tuple[Rules, list[SopError]]:
    """Rules from `path`; a missing file means the defaults. Never raises."""
    defaults = Rules(buyer_gets=DEFAULT_BUYER_GETS)
    if not path.exists():
        return defaults, []
    name = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return defaults, [SopError(name, None, f"无法读取规则文件: {exc}")]
    errors: list[SopError] = []

    def number(table: str, key: str, default: Decimal, low: Decimal, high: Decimal) -> Decimal:
        value = (raw.get(table) or {}).get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | Decimal) or not low <= value <= high:
            errors.append(SopError(name, None, f"[{table}] {key} 应为 {low}–{high} 之间的数 (got {value!r})"))
            return default
        return Decimal(value)

    ratio = number("compensation", "max_ratio", defaults.compensation_max_ratio, Decimal(0), Decimal(1))
    first = number("price_difference", "first_offer_ratio", defaults.first_offer_ratio,
                   Decimal("0.1"), Decimal("0.99"))
    amount_max = number("amount", "max", defaults.amount_max, Decimal(1), Decimal(10**9))
    raise_by = (raw.get("price_difference") or {}).get("raise_by", list(defaults.raise_by))
    if not isinstance(raise_by, list) or not all(
        isinstance(x, int | Decimal) and not isinstance(x, bool) and x > 0 for x in raise_by
    ):
        errors.append(SopError(name, None, f"[price_difference] raise_by 应为正数列表 (got {raise_by!r})"))
        raise_by = list(defaults.raise_by)

    required: dict[str, tuple[str, ...]] = {}
    for rule, spec in (raw.get("facts") or {}).items():
        keys = spec.get("required") if isinstance(spec, dict) else None
        if not _str_list(keys):
            errors.append(SopError(name, None, f"[facts.{rule}] required 应为字段名列表"))
            continue
        required[rule] = tuple(keys)

    gets = (raw.get("vocab") or {}).get("buyer_gets", sorted(DEFAULT_BUYER_GETS))
    if not _str_list(gets) or not gets:
        errors.append(SopError(name, None, "[vocab] buyer_gets 应为非空的文字列表"))
        gets = sorted(DEFAULT_BUYER_GETS)

    tones: dict[str, tuple[str, ...]] = {}
    for key, lines in (raw.get("tones") or {}).items():
        if not _str_list(lines):
            errors.append(SopError(name, None, f"[tones] {key} 应为文字列表"))
            continue
        tones[key] = tuple(lines)

    return Rules(
        compensation_max_ratio=ratio,
        first_offer_ratio=first,
        raise_by=tuple(Decimal(x) for x in raise_by),
        amount_max=amount_max,
        required_facts=required,
        buyer_gets=frozenset(gets),
        tones=tones,
    ), errors


def _str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) and x.strip() for x in value)

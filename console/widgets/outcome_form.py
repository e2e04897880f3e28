"""What the agent types before an SOP outcome is applied: when its platform clock started and
the money it pays. Each field shows only when the outcome needs it, labelled with what it is
checked against; what the case already knows is filled in, so nothing is typed twice."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from console.models import Case
from console.sop import Money, Outcome, Rules, check_money, money_needs, price_difference_offer

FIELDS = ("start", "promise", "receipt", "postage", "amount", "base")
# Clocks whose due time the agent types (it is not a duration from a start): field and clock.
DUE_FIELDS = {"promise": "buyer_promise", "receipt": "receipt_timeout"}


class FieldInput(Input):
    """A field of the wizard. Tab and Shift+Tab go round its own fields only: tabbing past
    the last one must not land on a key that acts (f switches the flow, r restarts), so what
    the agent types always goes into a field they can see. One line, no box, like the
    new-case form's fields, so a whole outcome with its fields fits at 80x24."""

    DEFAULT_CSS = """
    FieldInput {
        border: none;
        height: 1;
        padding: 0 1;
        margin-bottom: 1;
        width: 56;
        max-width: 100%;
        background: $boost;
        &:focus { border: none; background-tint: $foreground 8%; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "screen.next_field(1)", "下一格", id="field.next"),
        Binding("shift+tab", "screen.next_field(-1)", "上一格", show=False, id="field.previous"),
        Binding("escape", "screen.leave", "离开输入框", id="field.leave"),
    ]


class OutcomeInput(FieldInput):
    """A field of the outcome: the key bar says what Enter does from inside it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "应用到工单", key_display="⏎", id="outcome.apply"),
    ]


class OutcomeForm(Vertical):
    DEFAULT_CSS = """
    OutcomeForm {
        height: auto;
        margin-top: 1;
        & .field-label { margin-top: 0; }
        & #wiz-offer { height: auto; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.outcome: Outcome | None = None
        self.rules = Rules()

    def compose(self) -> ComposeResult:
        for name, placeholder in (("start", "2026-11-23 14:03 或 14:03,留空=现在"),
                                  ("promise", "明天10点 / 18:30 / 2026-11-25 10:00"),
                                  ("receipt", "5天3时 (千牛里的剩余时间) 或 2026-11-30 10:00"),
                                  ("postage", "元"), ("amount", "元"), ("base", "元")):
            yield Label("", id=f"wiz-{name}-label", classes="field-label")
            yield OutcomeInput(id=f"wiz-{name}", placeholder=placeholder)
        yield Static("", id="wiz-offer")

    def field(self, name: str) -> Input:
        return self.query_one(f"#wiz-{name}", Input)

    def show(self, outcome: Outcome, rules: Rules, case: Case | None, start_label: str) -> None:
        """Lay the form out for `outcome`, keeping what was typed for the same outcome."""
        same = self.outcome is not None and self.outcome.node_id == outcome.node_id
        self.outcome, self.rules = outcome, rules
        needs = money_needs(outcome)
        started = [t for t in outcome.timers if t not in DUE_FIELDS.values()]
        labels = {
            "start": f"{start_label} (店铺时间,留空=现在)" if started or outcome.refund_status else "",
            "promise": "答应买家的时间 (店铺时间,留空=24小时后)" if "buyer_promise" in outcome.timers else "",
            "receipt": "自动确认收货时间: 千牛订单页显示的剩余时间或时刻 (必填)"
            if "receipt_timeout" in outcome.timers else "",
            "postage": f"{needs.postage} (元): 差价的上限,不会超过它" if needs.postage else "",
            "amount": f"{needs.amount} (元)" if needs.amount else "",
            "base": (f"{needs.base} (元{',可不填' if needs.base_optional else ''}): "
                     + ("补偿最多为它的 " + f"{rules.compensation_max_ratio * 100:.0f}%" if needs.base_kind == "item"
                        else "退款不能超过它" + (",未收到货必须整单退" if outcome.refund_scope == "whole_order" else "")))
            if needs.base else "",
        }
        for name in FIELDS:
            shown = bool(labels[name])
            label = self.query_one(f"#wiz-{name}-label", Label)
            label.update(labels[name])
            label.display = self.field(name).display = shown
            if not same:
                self.field(name).value = ""
        if not same and case is not None:
            # What the case already knows: the order's amount, the item's value.
            base = case.order_amount if needs.base_kind == "order" else case.item_value
            if needs.base and base:
                self.field("base").value = base
            if outcome.refund_scope == "whole_order" and case.order_amount:
                self.field("amount").value = case.order_amount
        self.display = any(labels.values())
        self.check()

    def inputs(self) -> list[Input]:
        return [self.field(n) for n in FIELDS if self.field(n).display]

    def focus_first(self) -> None:
        """Typing on the outcome screen goes where it is seen: into the first empty field."""
        fields = self.inputs()
        target = next((f for f in fields if not f.value.strip()), fields[0] if fields else None)
        if target is not None:
            target.focus()

    def values(self) -> dict[str, str]:
        return {n: self.field(n).value for n in FIELDS}

    def restore(self, values: dict[str, str]) -> None:
        for name in FIELDS:
            if name in values:
                self.field(name).value = str(values[name])

    def start_text(self) -> str:
        return self.field("start").value.strip() if self.field("start").display else ""

    def money(self) -> Money:
        values = {n: self.field(n).value.strip() if self.field(n).display else "" for n in FIELDS}
        if self.outcome is not None and self.outcome.refund_scope == "whole_order" and not values["amount"]:
            values["amount"] = values["base"]  # a whole-order refund is the order's amount
        return Money(amount=values["amount"], base=values["base"], postage=values["postage"])

    def check(self) -> tuple[bool, str | None]:
        """The money rules as the agent types: (allowed, the field to fix). The ladder or the
        reason shows under the fields."""
        offer_box = self.query_one("#wiz-offer", Static)
        o = self.outcome
        if o is None or not money_needs(o).any:
            offer_box.update("")
            return True, None
        money = self.money()
        text = Text()
        if o.price_difference and money.postage:
            try:
                offer = price_difference_offer(money.postage, self.rules, money.base or None,
                                               basis=money_needs(o).postage)
                text.append(offer.text(), style="green")
            except ValueError as exc:
                text.append(str(exc), style="bold red")
        verdict = check_money(o, money, self.rules)
        if not verdict and any(v for v in (money.amount, money.base, money.postage)):
            if text:
                text.append("\n")
            text.append(verdict.reason, style="bold red")
        offer_box.update(text)
        if verdict:
            return True, None
        missing = next((n for n in ("postage", "amount", "base")
                        if self.field(n).display and not self.field(n).value.strip()
                        and not (n == "base" and money_needs(o).base_optional)), None)
        return False, missing or "amount"

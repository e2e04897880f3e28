"""SOP 向导: one question at a time, answered with number keys, to an outcome applied to the case."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from console.sop import (
    GOODS_RETURN,
    Flow,
    Library,
    Walk,
    check_compensation,
    check_refund,
    load_library,
    price_difference_offer,
)
from console.textsafe import inert
from console.vocab import KINDS, STATUSES, label
from console.widgets.keybar import KeyBar

_library: Library | None = None


def sop_library(reload: bool = False) -> Library:
    """The SOP trees, loaded once per run (a broken file leaves only its flow unavailable)."""
    global _library
    if _library is None or reload:
        _library = load_library()
    return _library


def flow_for_kind(library: Library, kind: str | None) -> Flow | None:
    return next((f for f in library.flows.values() if f.case_kind == kind), None)


class WizardScreen(Screen[None]):
    HELP_TITLE = "SOP 向导"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "answer(1)", "选择", key_display="1-9", id="wizard.answer"),
        *[Binding(str(n), f"answer({n})", show=False, id=f"wizard.answer{n}") for n in range(2, 10)],
        Binding("y", "confirm(True)", "确认", id="wizard.yes"),
        Binding("n", "confirm(False)", "不能确认", id="wizard.no"),
        Binding("backspace", "back", "上一步", id="wizard.back"),
        Binding("r", "restart", "重来", id="wizard.restart"),
        Binding("f", "switch_flow", "换流程", id="wizard.flow"),
        Binding("enter", "apply", "应用到工单", id="wizard.apply"),
        Binding("c", "copy_memo", "复制备注", id="wizard.memo", tooltip="复制一行备注,贴到千牛订单备注"),
        Binding("ctrl+s", "submit_facts", "提交信息", priority=True, id="wizard.facts"),
        Binding("escape", "leave", "返回", id="wizard.leave"),
        Binding("f3", "toggle_side", "提示栏", id="wizard.side", tooltip="显示/隐藏右侧的 怎么做·需要收集·沟通语气"),
    ]

    def action_toggle_side(self) -> None:
        from console.widgets.side_panel import toggle_panel

        toggle_panel(self.query_one("#wiz-side"))

    def __init__(self, case_id: int | None = None, flow_id: str | None = None) -> None:
        super().__init__()
        self.case_id = case_id
        self.flow_id = flow_id
        self.walk: Walk | None = None
        self._facts_node: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="wiz-title")
        with Horizontal(id="wiz-body"):
            with VerticalScroll(id="wiz-main"):
                yield Static(id="wiz-path")
                yield Static(id="wiz-node")
                yield Vertical(id="wiz-facts")
                yield Static(id="wiz-outcome")
                with Vertical(id="wiz-checks"):
                    yield Label("", id="wiz-start-label", classes="field-label")
                    yield Input(id="wiz-start", placeholder="2026-11-23 14:03 或 14:03,留空=现在")
                    yield Label("", id="wiz-amount-label", classes="field-label")
                    yield Input(id="wiz-amount", placeholder="金额 (元)")
                    yield Input(id="wiz-base", placeholder="商品价值 / 订单金额 (元)")
                yield Static(id="wiz-error")
            with VerticalScroll(id="wiz-side"):
                yield Static(id="wiz-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        library = sop_library()
        flow = library.flows.get(self.flow_id or "")
        if flow is None and self.case_id is not None:
            flow = flow_for_kind(library, self.app.cases.get(self.case_id).case.kind)
        if flow is None:
            self.call_after_refresh(self.action_switch_flow)
        else:
            self._start(flow)
        self._paint()

    # ---- state -----------------------------------------------------------------------------

    def _start(self, flow: Flow) -> None:
        self.flow_id = flow.id
        self.walk = Walk.start(flow)
        self._error("")
        self._paint()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        w = self.walk
        node_type = w.node.type if w and not w.done else None
        if action in ("answer",):
            return node_type == "question"
        if action == "confirm":
            return node_type == "confirm"
        if action == "submit_facts":
            return node_type == "facts"
        if action in ("apply", "copy_memo"):
            return bool(w and w.done)
        if action in ("back", "restart"):
            return bool(w and w.path)
        return True

    # ---- painting --------------------------------------------------------------------------

    def _paint(self) -> None:
        self.refresh_bindings()
        w = self.walk
        title = Text.assemble((" SOP 向导 ", "bold reverse"))
        if w is not None:
            title.append(f"  {w.flow.title}", style="bold cyan")
        if self.case_id is not None:
            c = self.app.cases.get(self.case_id).case
            title.append(f"  工单 #{c.id} 买家 ")
            title.append(inert(c.buyer_id), style="bold")
            title.append(f"  {label(KINDS, c.kind)}/{label(STATUSES, c.status)}")
        self.query_one("#wiz-title", Static).update(title)
        if w is None:
            return
        path = Text("已答\n" if w.path else "", style="bold")
        for i, step in enumerate(w.path, 1):
            path.append(f"{i}. {step.node.text}\n", style="dim")
            path.append(f"   → {step.answer}\n", style="cyan")
        self.query_one("#wiz-path", Static).update(path)
        self._paint_node()
        self._paint_outcome()

    def _paint_node(self) -> None:
        w = self.walk
        assert w is not None
        node_box = self.query_one("#wiz-node", Static)
        facts = self.query_one("#wiz-facts", Vertical)
        hint = Text()
        if w.done:
            node_box.update("")
            facts.remove_children()
            self._facts_node = None
            hint.append("按 Enter 应用到工单,c 复制一行备注,Backspace 改上一步。", style="dim")
            self.query_one("#wiz-hint", Static).update(hint)
            return
        node = w.node
        text = Text(f"\n{node.text}\n", style="bold")
        if node.type == "question":
            for n, choice in enumerate(node.choices, 1):
                text.append(f"  {n}  ", style="bold reverse")
                text.append(f" {choice.label}\n")
                if choice.hint:
                    text.append(f"      {choice.hint}\n", style="dim")
        elif node.type == "confirm":
            text.append("  y  ", style="bold reverse")
            text.append(" 确认    ")
            text.append("  n  ", style="bold reverse")
            text.append(" 不能确认\n")
        elif node.type == "facts":
            text.append("请填写以下信息 (必填项带 *),Ctrl+S 提交\n", style="dim")
        node_box.update(text)
        if node.type == "facts" and self._facts_node != node.id:
            self._facts_node = node.id
            facts.remove_children()
            previous = dict(w.previous(node.id).values) if w.previous(node.id) else {}
            widgets = []
            for f in node.fields:
                widgets.append(Label(f"{f.label}{' *' if f.required else ''}", classes="field-label"))
                widgets.append(Input(previous.get(f.key, ""), id=f"fact-{f.key}", placeholder=f.hint or ""))
            facts.mount_all(widgets)
            self.call_after_refresh(lambda: facts.query(Input).first().focus() if facts.query(Input) else None)
        elif node.type != "facts":
            facts.remove_children()
            self._facts_node = None
        if node.hint:
            hint.append("怎么做\n", style="bold")
            hint.append(node.hint + "\n\n")
        if node.collect:
            hint.append("需要收集\n", style="bold")
            for item in node.collect:
                hint.append(f"•{item}\n")  # no space: a long CJK line would wrap after the bullet
            hint.append("\n")
        if node.tone:
            hint.append("沟通语气\n", style="bold yellow")
            for item in node.tone:
                hint.append(f"•{item}\n")
        self.query_one("#wiz-hint", Static).update(hint)

    def _paint_outcome(self) -> None:
        w = self.walk
        assert w is not None
        box = self.query_one("#wiz-outcome", Static)
        checks = self.query_one("#wiz-checks")
        o = w.outcome
        if o is None:
            box.update("")
            checks.display = False
            return
        policy = self.app.policy
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        rows = [
            ("处理", o.summary),
            ("买家得到", "、".join(o.buyer_gets)),
            ("货物", GOODS_RETURN.get(o.goods_return, o.goods_return)),
            ("运费", o.postage_text()),
            ("到货检查", o.check_on_arrival or "—"),
            ("登记", "、".join(o.registers) or "—"),
            ("开始计时", "、".join(policy.label(t) for t in o.timers) or "—"),
            ("工单", f"类型 {label(KINDS, o.case_kind)} · 状态 {label(STATUSES, o.next_status)}"),
            ("适用话术", _reply_titles(o.replies) + "  (Ctrl+R 打开话术)" if o.replies else "—"),
        ]
        if o.note:
            rows.append(("注意", o.note))
        for name, value in rows:
            table.add_row(name, Text(value))
        steps = Text()
        for i, item in enumerate(o.checklist, 1):
            steps.append(f"{i}. {item}\n")
        table.add_row("下一步", steps)
        out = Table.grid()
        out.add_row(Text(f"\n结果: {o.summary}", style="bold green"))
        out.add_row(table)
        box.update(out)
        checks.display = True
        start_label = self.query_one("#wiz-start-label", Label)
        start = self.query_one("#wiz-start", Input)
        start.display = start_label.display = bool(o.timers)
        if o.timers:
            what = "买家申请退款的时间" if any(t.startswith("refund") for t in o.timers) else (
                "下单时间" if "unpaid_close" in o.timers else "计时开始时间")
            start_label.update(f"{what} (店铺时间,留空=现在)")
        amount_label = self.query_one("#wiz-amount-label", Label)
        amount, base = self.query_one("#wiz-amount", Input), self.query_one("#wiz-base", Input)
        needs_amount = o.compensation or o.price_difference or o.refund_scope == "whole_order"
        amount_label.display = amount.display = base.display = needs_amount
        if o.price_difference:
            amount_label.update(f"退差价: 输入这单退回要付的运费得到出价阶梯;填商品价值则按 {self._cap_percent()}% 上限封顶")
            amount.placeholder, base.placeholder = "运费 (元)", "商品价值 (元,可选)"
        elif o.compensation:
            amount_label.update(f"补偿金额 / 商品价值 (补偿最多为商品价值的 {self._cap_percent()}%)")
            amount.placeholder, base.placeholder = "补偿金额 (元)", "商品价值 (元)"
        elif o.refund_scope == "whole_order":
            amount_label.update("未收到货的退款必须整单退: 退款金额 / 订单实付金额 (可选,填了就检查)")
            base.placeholder = "订单实付金额 (元)"

    def _cap_percent(self) -> str:
        return f"{sop_library().rules.compensation_max_ratio * 100:.0f}"

    def _error(self, message: str) -> None:
        self.query_one("#wiz-error", Static).update(Text(message, style="bold red") if message else "")

    # ---- answering -------------------------------------------------------------------------

    def _after(self, verdict) -> None:
        self._error("" if verdict.ok else verdict.reason)
        self._paint()

    def action_answer(self, n: int) -> None:
        if self.walk and not self.walk.done and self.walk.node.type == "question":
            if n > len(self.walk.node.choices):
                self._error(f"没有第 {n} 项")
                return
            self._after(self.walk.answer(n))

    def action_confirm(self, yes: bool) -> None:
        if self.walk and not self.walk.done and self.walk.node.type == "confirm":
            self._after(self.walk.confirm(yes))

    def action_submit_facts(self) -> None:
        w = self.walk
        if not w or w.done or w.node.type != "facts":
            return
        values = {f.key: self.query_one(f"#fact-{f.key}", Input).value for f in w.node.fields}
        self._after(w.provide(values))

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id and event.input.id.startswith("fact-"):
            inputs = list(self.query_one("#wiz-facts").query(Input))
            if event.input is inputs[-1]:
                self.action_submit_facts()
            else:
                self.focus_next()
        elif self.walk and self.walk.done:
            self.action_apply()

    @on(Input.Changed, "#wiz-amount, #wiz-base")
    def _amounts_changed(self) -> None:
        self._check_amounts()

    def _check_amounts(self) -> bool:
        """The money rules: True when applying may go on."""
        o = self.walk.outcome if self.walk else None
        if o is None:
            return True
        amount = self.query_one("#wiz-amount", Input).value.strip()
        base = self.query_one("#wiz-base", Input).value.strip()
        rules = sop_library().rules
        if o.price_difference and amount:
            try:
                offer = price_difference_offer(amount, rules, base or None)
            except ValueError as exc:
                self._error(str(exc))
                return False
            self.query_one("#wiz-error", Static).update(Text(offer.text(), style="bold green"))
            return True
        if o.compensation and (amount or base):
            if not (amount and base):
                self._error("请同时填写补偿金额和商品价值")
                return False
            verdict = check_compensation(amount, base, rules)
        elif o.refund_scope == "whole_order" and (amount or base):
            if not (amount and base):
                self._error("请同时填写退款金额和订单实付金额")
                return False
            verdict = check_refund(amount, base, o.refund_scope, rules)
        else:
            self._error("")
            return True
        self._error("" if verdict.ok else verdict.reason)
        return verdict.ok

    def action_back(self) -> None:
        if self.walk and self.walk.path:
            self._after(self.walk.back())

    def action_restart(self) -> None:
        if self.walk:
            self.walk.restart()
            self._error("")
            self._paint()

    def action_switch_flow(self) -> None:
        from console.screens.dialogs import ChoiceDialog, ConfirmDialog

        library = sop_library()
        order = list(KINDS)  # logistics, return, exchange, refund, payment, followup, complaint
        flows = sorted(library.flows.values(), key=lambda f: order.index(f.case_kind) if f.case_kind in order else 99)
        options = [(f.id, f.title) for f in flows]
        options += [(fid, f"{fid} (不可用)") for fid in library.unavailable]

        def chosen(flow_id: str | None) -> None:
            if flow_id is None:
                if self.walk is None:
                    self.app.pop_screen()
                return
            if flow_id in library.unavailable:
                self._error(f"流程 {flow_id} 暂不可用: {library.unavailable[flow_id]}")
                return
            self._start(library.flows[flow_id])

        def pick() -> None:
            self.app.push_screen(ChoiceDialog("选择 SOP 流程", options, self.flow_id), chosen)

        if self.walk is not None and self.walk.path:
            self.app.push_screen(ConfirmDialog("换流程会丢掉已经回答的步骤,确定吗?"), lambda yes: yes and pick())
        else:
            pick()

    # ---- the outcome -----------------------------------------------------------------------

    def _memo(self) -> str:
        assert self.walk is not None
        return self.walk.memo(self.app.agent, self.app.now().astimezone(self.app.policy.timezone))

    def action_copy_memo(self) -> None:
        if self.walk and self.walk.done:
            self.app.copy_text(self._memo())

    def action_apply(self) -> None:
        from console.intake import parse_shop_time
        from console.wizard import apply_outcome

        w = self.walk
        if not w or not w.done:
            return
        app = self.app
        if self.case_id is None:
            self._error("没有打开工单: 请从工单里按 w 打开向导再应用。可以按 c 复制备注。")
            return
        if not self._check_amounts():
            return
        start_text = self.query_one("#wiz-start", Input).value.strip()
        start_at = None
        if start_text:
            start_at = parse_shop_time(start_text, app.policy, app.now())
            if start_at is None:
                self._error("时间格式: 2026-11-23 14:03 或 14:03")
                return
        outcome, path, memo = w.outcome, w.path, self._memo()
        amount = self.query_one("#wiz-amount", Input).value.strip()
        if amount and (outcome.price_difference or outcome.compensation):
            # What was agreed goes into the memo colleagues read in the order backend.
            memo += f" | {'运费' if outcome.price_difference else '补偿'}金额: {amount} 元"

        def done(applied) -> None:
            from console.screens.case import CaseScreen
            from console.screens.registers import RegisterForm

            app.notify("已按 SOP 记录到工单", markup=False)
            app.pop_screen()
            screen = app.screen
            # Registers the outcome filled: open a form for the rest of each row.
            for key, row_id in reversed(applied.rows):
                app.push_screen(RegisterForm.for_row(app, key, row_id))
            if outcome.next_status == "resolved" and isinstance(screen, CaseScreen):
                screen.call_after_refresh(screen.ask_satisfaction)

        app.write(lambda: apply_outcome(app.cases, self.case_id, outcome, path, app.agent, memo, start_at), done)

    def action_leave(self) -> None:
        self.app.pop_screen()


def _reply_titles(ids: tuple[str, ...]) -> str:
    """Reply titles for the outcome; ids when the library cannot be read."""
    try:
        from console.screens.phrases import library_and_index

        lib, _ = library_and_index()
    except Exception:  # noqa: BLE001 - the picker reports a broken library itself
        return "、".join(ids)
    return "、".join(r.title if (r := lib.get(i)) else i for i in ids)

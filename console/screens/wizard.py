"""SOP 向导: one question at a time, answered with number keys, to an outcome applied to the case."""

from __future__ import annotations

import json
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from console.db import StoreError
from console.messages import DataChanged
from console.sop import GOODS_RETURN, Flow, Walk
from console.textsafe import inert
from console.vocab import KINDS, REFUND_STATUSES, STATUSES, label
from console.widgets.draft_keeper import DraftKeeper
from console.widgets.keybar import KeyBar
from console.widgets.outcome_form import DUE_FIELDS, FieldInput, OutcomeForm

# The walk so far is a draft per agent and case, like the notes: Esc or a closed terminal
# loses no answers (console/widgets/draft_keeper.py).


def draft_place(case_id: int) -> str:
    return f"wizard:{case_id}"


def stored_walk(notes, agent: str, case_id: int) -> dict:
    """The saved walk of `agent` on a case ({} if none or unreadable). Any thread."""
    try:
        body = notes.draft(agent, draft_place(case_id))
        data = json.loads(body) if body else {}
    except (StoreError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


LOADING = Text("\n载入中…", style="dim")


class WizardScreen(Screen[None]):
    HELP_TITLE = "SOP 向导"

    class Applied(Message):
        """An outcome is on the case; `resolved`: by the SOP the buyer's problem is solved,
        so the case screen asks the buyer's satisfaction next."""

        def __init__(self, case_id: int | None, resolved: bool) -> None:
            super().__init__()
            self.case_id = case_id
            self.resolved = resolved

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
        Binding("escape", "leave", "返回(保留进度)", id="wizard.leave",
                tooltip="在输入框里先离开输入框;再按返回,已答的步骤保留到下次打开"),
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
        self.detail = None
        self._restoring: dict | None = None
        self._draft = DraftKeeper(self, lambda: draft_place(self.case_id or 0))
        self._applied = False
        self._opened = False  # the case and the saved walk have arrived
        self._focused_outcome: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="wiz-title")
        with Horizontal(id="wiz-body"):
            with VerticalScroll(id="wiz-main"):
                yield Static(id="wiz-path")
                yield Static(id="wiz-node")
                yield Vertical(id="wiz-facts")
                yield Static(id="wiz-outcome")
                yield OutcomeForm(id="wiz-checks")
            with VerticalScroll(id="wiz-side"):
                yield Static(id="wiz-hint")
        # Outside the scrolling column, right above the keys: a refusal is always in view.
        yield Static(id="wiz-error")
        yield KeyBar()

    def on_mount(self) -> None:
        self._paint()
        self.query_one("#wiz-node", Static).update(LOADING)
        self._load()

    def _load(self) -> None:
        """The trees, the case and the saved walk, read in a worker; `_loaded` starts the walk."""
        app = self.app
        services, case_id, agent = app.services, self.case_id, app.agent

        def job():
            library = services.sop.get()
            if services.replies.cached() is None:
                # The outcome names its replies by title: have the library ready (the app's
                # warm-up may not have run yet).
                try:
                    services.replies.get()
                except Exception:  # noqa: BLE001 - the picker reports a broken library itself
                    pass
            if case_id is None:
                return library, None, {}
            return library, app.cases.get(case_id), stored_walk(services.notes, agent, case_id)

        app.read(job, self._loaded, self._load_failed, owner=self, key=self._read_key)

    @property
    def _read_key(self) -> str:
        return f"wizard:{id(self)}"

    def _loaded(self, result) -> None:
        library, self.detail, saved = result
        self._opened = True
        self.query_one("#wiz-node", Static).update("")
        flow = library.flows.get(self.flow_id or saved.get("flow") or "")
        if flow is None and self.detail is not None:
            flow = self.app.services.sop.flow_for_kind(self.detail.case.kind)
        if flow is None:
            self.call_after_refresh(self.action_switch_flow)
        else:
            # Opening is no change: the saved draft stays as it is until the agent answers.
            self._start(flow, changed=False)
            if saved.get("flow") == flow.id:
                self._resume(flow, saved)
        gone = saved.get("flow")
        if gone and gone in library.unavailable:
            # Said, not dropped silently: the tree the answers belong to cannot be used now.
            self._error(f"上次的进度在“{gone}”流程,它现在不可用: {library.unavailable[gone]}")
        self._paint()

    def _load_failed(self, message: str) -> None:
        self.query_one("#wiz-node", Static).update(Text(f"\n{message}\n按 Esc 返回,稍后再试。", style="bold red"))

    def on_data_changed(self, message: DataChanged) -> None:
        """Someone committed (this console or another)."""
        if message.touches(self.case_id):
            self.reload()

    def reload(self) -> None:
        """The case changed (here or at another desk): what applying will do may have too."""
        if self.case_id is None or self._applied:
            return
        if not self._opened:
            self._load()  # still opening: read it all again (the newer read wins)
            return
        app, case_id = self.app, self.case_id
        app.read(lambda: app.cases.get(case_id), self._case_read, owner=self, key=self._read_key)

    def _case_read(self, detail) -> None:
        if not self._applied:
            self.detail = detail
            self._paint()

    # ---- the draft ---------------------------------------------------------------------

    def _resume(self, flow: Flow, saved: dict) -> None:
        walk = Walk.replay(flow, saved.get("steps"))
        if walk is None:
            self._error("上次的进度和现在的流程对不上了(流程改过),请重新回答。")
            return
        self.walk = walk
        self._restoring = saved
        if walk.path:
            self.app.notify(f"已恢复上次的进度: {flow.title} 第 {len(walk.path)} 步 (按 r 重来)", markup=False)

    def _draft_body(self) -> str:
        w = self.walk
        if w is None or (not w.path and not any(self._form().values().values())):
            return ""
        facts = {i.id.removeprefix("fact-"): i.value for i in self.query_one("#wiz-facts").query(Input) if i.id}
        return json.dumps({"flow": w.flow.id, "steps": w.to_data(), "form": self._form().values(),
                           "facts": facts}, ensure_ascii=False)

    def _changed(self) -> None:
        """Something the agent answered or typed changed: save the draft shortly."""
        if self.case_id is None or self._applied:
            return
        # Taken now, while the fields exist: leaving may need it after they are gone.
        self._draft.changed(self._draft_body())

    def on_unmount(self) -> None:
        self._draft.close()  # a save still pending goes to a worker (written here if the console closes)

    # ---- state -----------------------------------------------------------------------------

    def _form(self) -> OutcomeForm:
        return self.query_one(OutcomeForm)

    def _start(self, flow: Flow, *, changed: bool = True) -> None:
        self.flow_id = flow.id
        self.walk = Walk.start(flow)
        self._error("")
        self._paint()
        if changed:
            self._changed()

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
        if action == "switch_flow":
            return True if self._opened else None  # the saved walk decides the flow: wait for it
        return True

    # ---- painting --------------------------------------------------------------------------

    def _paint(self) -> None:
        self.refresh_bindings()
        w = self.walk
        title = Text.assemble((" SOP 向导 ", "bold reverse"))
        if w is not None:
            title.append(f"  {w.flow.title}", style="bold cyan")
        if not self._opened and self.case_id is not None:
            title.append(f"  工单 #{self.case_id} 载入中…", style="dim")
        elif self.detail is not None:
            c = self.detail.case
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
            hint.append("填好上面的格子后按 Enter 应用到工单。\n"
                        "Esc 离开输入框后: c 复制一行备注,Backspace 改上一步,r 重来。", style="dim")
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
            if self._restoring and isinstance(self._restoring.get("facts"), dict):
                previous.update({str(k): str(v) for k, v in self._restoring["facts"].items()})
            widgets = []
            for f in node.fields:
                widgets.append(Label(f"{f.label}{' *' if f.required else ''}", classes="field-label"))
                widgets.append(FieldInput(previous.get(f.key, ""), id=f"fact-{f.key}", placeholder=f.hint or ""))
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
        form = self._form()
        o = w.outcome
        if o is None:
            box.update("")
            form.display = False
            self._focused_outcome = None
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
            ("适用话术", self.app.services.replies.titles(o.replies) + "  (Ctrl+R 打开话术)" if o.replies else "—"),
        ]
        if o.refund_status:
            rows.append(("平台退款", f"→ {REFUND_STATUSES[o.refund_status]} (现在就在千牛操作)"))
        if o.note:
            rows.append(("注意", o.note))
        for name, value in rows:
            table.add_row(name, Text(value))
        steps = Text()
        for i, item in enumerate(o.checklist, 1):
            steps.append(f"{i}. {item}\n")
        table.add_row("下一步", steps)
        effects = self._effects()
        if effects:
            table.add_row(Text("应用后", style="bold yellow"), Text("\n".join(effects), style="yellow"))
        out = Table.grid()
        out.add_row(Text(f"\n结果: {o.summary}", style="bold green"))
        out.add_row(table)
        box.update(out)
        what = "买家申请退款的时间" if any(t.startswith("refund") for t in o.timers) else (
            "下单时间" if "unpaid_close" in o.timers else "计时开始时间")
        form.show(o, self.app.services.sop.get().rules, self.detail.case if self.detail else None, what)
        if self._restoring and isinstance(self._restoring.get("form"), dict):
            form.restore(self._restoring["form"])
            form.check()
        self._restoring = None
        if form.display and self._focused_outcome != o.node_id:
            self._focused_outcome = o.node_id
            self.call_after_refresh(form.focus_first)

    def _effects(self) -> list[str]:
        """What applying will do that the agent did not type, said before Enter."""
        w, d = self.walk, self.detail
        if w is None or w.outcome is None or d is None:
            return []
        o, c, policy = w.outcome, d.case, self.app.policy
        out = []
        if c.first_replied_at is None and c.initiated_by == "buyer":
            out.append("记为已首次回复 (按SOP答复了买家)")
        if o.case_kind != c.kind:
            line = f"类型 {label(KINDS, c.kind)} → {label(KINDS, o.case_kind)}"
            before, after = policy.start_kind.get(c.kind, ()), policy.start_kind.get(o.case_kind, ())
            if set(before) != set(after):
                line += (f";时限 {'、'.join(policy.label(k) for k in before) or '—'} → "
                         f"{'、'.join(policy.label(k) for k in after) or '—'}")
            out.append(line)
        old = [x for x in d.running if x.origin.startswith("sop:") and x.kind not in o.timers]
        if old:
            out.append("结束上一次SOP结果的计时: " + "、".join(policy.label(x.kind) for x in old))
        tasks = [t for t in d.tasks if t.done_at is None and t.origin.startswith("sop:")]
        if tasks:
            out.append(f"取消上一次SOP结果的 {len(tasks)} 条待办")
        if o.intervened and not c.platform_intervened:
            out.append("标记小二介入,开始平台的介入和处理计时 (按工作日)")
        if o.refund_status:
            out.append(f"平台退款状态 → {REFUND_STATUSES[o.refund_status]} (应用时会问你是否已在千牛操作)")
        return out

    def _cap_percent(self) -> str:
        return f"{self.app.services.sop.get().rules.compensation_max_ratio * 100:.0f}"

    def _error(self, message: str) -> None:
        self.query_one("#wiz-error", Static).update(Text(message, style="bold red") if message else "")

    # ---- answering -------------------------------------------------------------------------

    def _after(self, verdict) -> None:
        self._error("" if verdict.ok else verdict.reason)
        self._paint()
        self._changed()

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

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        if event.input.id in ("wiz-start", "wiz-postage", "wiz-amount", "wiz-base"):
            self._form().check()
        self._changed()

    def action_back(self) -> None:
        if self.walk and self.walk.path:
            self._after(self.walk.back())

    def action_restart(self) -> None:
        if self.walk:
            self.walk.restart()
            self._error("")
            self._paint()
            self._changed()

    def action_switch_flow(self) -> None:
        from console.screens.dialogs import ChoiceDialog, ConfirmDialog

        library = self.app.services.sop.get()
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

    def action_next_field(self, delta: int) -> None:
        """Tab within the fields on screen (the facts or the outcome's), round and round."""
        fields = [i for i in self.query(FieldInput) if i.display and i.parent is not None and i.parent.display]
        if not fields:
            return
        here = self.focused
        index = fields.index(here) if here in fields else -delta
        fields[(index + delta) % len(fields)].focus()

    def _refuse(self, message: str, field: str | None = None) -> None:
        """Refuse where the agent is looking: the line above the keys, the field to fix focused."""
        self._error(message)
        if field is not None:
            self._form().field(field).focus()
        self.app.bell()

    def action_apply(self) -> None:
        from console.intake import parse_due_time, parse_shop_time
        from console.wizard import apply_outcome

        w = self.walk
        if not w or not w.done:
            return
        app = self.app
        if self.case_id is None:
            self._refuse("没有打开工单: 请从工单里按 w 打开向导再应用。可以按 c 复制备注。")
            return
        form = self._form()
        start_text = form.start_text()
        start_at = None
        if start_text:
            start_at = parse_shop_time(start_text, app.policy, app.now())
            if start_at is None:
                self._refuse(f"时间“{start_text}”看不懂: 请写 2026-11-23 14:03 或 14:03,留空=现在", "start")
                return
            if start_at > app.now():
                self._refuse("开始时间不能晚于现在", "start")
                return
        due = {}
        for name, kind in DUE_FIELDS.items():
            field = form.field(name)
            text = field.value.strip() if field.display else ""
            if not field.display:
                continue
            if not text:
                if name == "receipt":
                    self._refuse("请填千牛订单页显示的自动确认收货时间 (如 5天3时):到期前要延长收货时间", name)
                    return
                continue
            when = parse_due_time(text, app.policy, app.now())
            if when is None or when <= app.now():
                self._refuse(f"“{text}”看不懂或已经过了: 写 5天3时、明天10点、18:30 或 2026-11-25 10:00", name)
                return
            due[kind] = when
        allowed, field = form.check()
        if not allowed:
            from console.sop import check_money

            self._refuse(check_money(w.outcome, form.money(), self.app.services.sop.get().rules).reason, field)
            return
        outcome, path, memo, money = w.outcome, w.path, self._memo(), form.money()
        if money.amount:
            # What was agreed goes into the memo colleagues read in the order backend.
            memo += f" | 金额: {money.amount} 元"
        facts = w.fact_values()
        rules = self.app.services.sop.get().rules
        version = self.detail.case.version if self.detail else None

        def done(result) -> None:
            from console.screens.registers import RegisterForm

            applied, rows = result
            self._applied = True
            self._draft.forget()  # the walk is on the case now; no draft to come back to
            # One line (the status line shows two at most); every change is in the history (h).
            app.notify("已按 SOP 记录到工单" + "".join(f";{x}" for x in applied.changes), markup=False,
                       timeout=10)
            if not self.is_current:
                return  # saved after waiting for the database server; the agent has moved on
            app.pop_screen()
            screen = app.screen
            # Registers the outcome filled: open a form for the rest of each row.
            for key, entry in reversed(rows):
                app.push_screen(RegisterForm(key, entry))
            # The screen beneath (the case, or the queue) decides what to do next.
            screen.post_message(self.Applied(self.case_id, resolved=outcome.next_status == "resolved"))

        def failed(message: str) -> None:
            self._refuse(message)

        case_id, agent, registers = self.case_id, app.agent, app.services.registers

        def go(platform_done: bool) -> None:
            def job():
                applied = apply_outcome(app.cases, case_id, outcome, path, agent, memo, start_at, money=money,
                                        rules=rules, facts=facts, expected_version=version,
                                        platform_done=platform_done, due=due)
                # The rows the outcome filled, read here too: the forms open without a read.
                return applied, [(key, registers.row(key, row_id)) for key, row_id in applied.rows]

            app.write(job, done, failed)

        if outcome.refund_status:
            from console.screens.dialogs import ConfirmDialog
            from console.wizard import PLATFORM_ACTIONS

            action = PLATFORM_ACTIONS.get(outcome.refund_status, "操作")
            status = REFUND_STATUSES[outcome.refund_status]
            # Said, not assumed: until the click is made the platform's clock runs on.
            app.push_screen(ConfirmDialog(
                f"已经在千牛{action}了吗?\n"
                f"是: 记为“{status}”,买家的处理期限开始。\n"
                f"否: 自动同意照常计时,加一条待办提醒你操作后按 f 记录。",
                yes=f"已{action}", no="还没有"), go)
        else:
            go(False)

    def action_leave(self) -> None:
        focused = self.focused
        if isinstance(focused, Input):
            # First Esc leaves the field, so letters work as keys again; the second leaves.
            self.query_one("#wiz-main").focus()
            return
        if self._draft.pending:
            self._draft.leave()
        if self.walk is not None and self.walk.path and self.case_id is not None:
            self.app.notify("向导进度已保留,下次按 w 接着做", markup=False)
        self.app.pop_screen()

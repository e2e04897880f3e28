"""One case: its fields, every running clock, the event timeline and the notes."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from console.case_edit import FACTS
from console.cases import CaseDetail, NotFoundError, allowed_statuses
from console.messages import DataChanged, PresenceChanged
from console.sla import format_countdown, shop_time, state_at
from console.textsafe import inert, inert_multiline
from console.vocab import (
    ACTIONS,
    CHANNEL_LABELS,
    COMPLAINT_STATUSES,
    ESCALATIONS,
    KINDS,
    REFUND_STATUSES,
    SATISFACTION,
    STATUSES,
    label,
)
from console.widgets.keybar import KeyBar
from console.widgets.notes_pane import NotesPane
from console.widgets.presence_keeper import doing

RECENT_EVENTS = 12
STATE_STYLE = {"ok": "green", "warning": "bold yellow", "overdue": "bold red", "paused": "dim"}
STATE_WORD = {"ok": "", "warning": "预警", "overdue": "已超时", "paused": "暂停"}


class CaseScreen(Screen[None]):
    HELP_TITLE = "工单详情"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "返回队列", id="case.back"),
        Binding("r", "first_reply", "已首响", id="case.first_reply", tooltip="标记已给买家首次回复"),
        Binding("s", "status", "改状态", id="case.status", tooltip="处理中/等买家/等仓库/等快递/已解决/关闭/重新打开"),
        Binding("u", "urgent", "加急", id="case.urgent", tooltip="标记或取消加急 (2小时内转专员)"),
        Binding("m", "assign_me", "接手", id="case.assign_me", tooltip="接手这个工单 (别人已接手时会提示是谁)"),
        Binding("a", "assign", "分配", id="case.assign", tooltip="分配给其他客服或放回待分配"),
        Binding("t", "start_clock", "计时", id="case.clock", tooltip="开始一个平台计时或答应买家的时限"),
        Binding("n", "note", "记笔记", id="case.note", tooltip="到笔记栏写沟通记录: Ctrl+S 保存 · Ctrl+T 答应买家 · Ctrl+G 改我上一条 · Esc 离开 (自动存草稿)"),
        Binding("f2", "toggle_notes", "笔记栏", id="case.notes", tooltip="显示/聚焦/隐藏笔记栏"),
        Binding("f", "refund", "退款状态", id="case.refund", tooltip="跟随千牛的退款状态,每个状态有自己的计时"),
        Binding("i", "intervened", "小二介入", id="case.intervened", tooltip="标记/取消平台小二介入"),
        Binding("x", "tasks", "待办", id="case.tasks", tooltip="勾选或取消待办事项"),
        Binding("g", "register", "登记", id="case.register", tooltip="为这个工单登记 退件表/重发单/售后问题表"),
        Binding("e", "escalate", "升级", id="case.escalate", tooltip="升级给资深客服/主管/风控法务,写明原因"),
        Binding("p", "complaint", "投诉进度", id="case.complaint", tooltip="投诉: 登记→调查→方案→确认/申诉→执行→结案"),
        Binding("h", "history", "历史", id="case.history", tooltip="完整处理历史: 谁、何时、改前→改后"),
        Binding("w", "wizard", "SOP向导", id="case.wizard", tooltip="按店铺SOP一步步处理,结果记到工单"),
        Binding("k", "kind", "改类型", id="case.kind", tooltip="改工单类型,时限随类型改变 (如物流纠纷 48 小时)"),
        Binding("d", "end_clock", "结束计时", id="case.end_clock",
                tooltip="答应买家的事已做到;平台那边已处理 (状态在千牛已变)"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "complaint":
            return bool(self.detail and self.detail.case.kind == "complaint")
        if action == "end_clock":
            return bool(self.detail and self.detail.running)
        return True

    def __init__(self, case_id: int) -> None:
        super().__init__()
        self.case_id = case_id
        self.detail: CaseDetail | None = None
        self._gone = False  # found deleted while open

    def compose(self) -> ComposeResult:
        yield Static(id="case-title")
        yield Static(id="case-presence")
        with Horizontal(id="case-body"):
            with VerticalScroll(id="case-right"):
                # What burns first: the running clocks and the checklist, then the fields.
                yield Static(id="case-clocks")
                yield Static(id="case-fields")
                yield Static(id="case-events")
            yield NotesPane(self.case_id, id="notes")
        yield KeyBar()

    def on_mount(self) -> None:
        self._paint_loading()
        self._paint_presence()
        self.load()

    def on_presence_changed(self, _message: PresenceChanged) -> None:
        self._paint_presence()

    def _paint_presence(self) -> None:
        """The line under the title: who else has this case open, who is typing in it
        (`小李 正在处理 (写笔记)`, `阿珍 也打开了此单`); hidden when nobody."""
        on = self.app.presence.team.on_case(self.case_id, besides=self.app.agent)
        line = self.query_one("#case-presence", Static)
        line.set_class(bool(on), "-shown")
        typing = any(t for _, t, _ in on)
        line.set_class(typing, "-typing")
        if not on:
            return
        text = Text("⚠ " if typing else "", style="bold yellow")
        for i, (agent, is_typing, screen) in enumerate(on):
            if i:
                text.append("  ·  ", style="dim")
            text.append(doing(agent, is_typing, screen), style="bold yellow" if is_typing else "bold")
        if typing:
            text.append("  先和对方确认再动手", style="yellow")
        line.update(text)

    # ---- data ------------------------------------------------------------------

    def on_data_changed(self, message: DataChanged) -> None:
        """Someone committed (this console or another)."""
        if message.touches(self.case_id):
            self.load()
            self.query_one(NotesPane).reload()

    def load(self) -> None:
        """Read the case in a worker thread; `_loaded` paints it when it arrives. A newer
        load supersedes one still on its way (the key is this screen's own)."""
        cases, case_id = self.app.cases, self.case_id

        def job() -> CaseDetail | None:
            try:
                return cases.get(case_id)
            except NotFoundError:
                return None

        self.app.read(job, self._loaded, self._not_loaded, owner=self, key=f"case-screen:{id(self)}")

    def _loaded(self, detail: CaseDetail | None) -> None:
        if detail is None:
            self.app.notify(f"找不到工单 #{self.case_id}", markup=False, severity="error")
            self._leave()
            return
        self.detail = detail
        self.refresh_bindings()  # 投诉进度 and 结束计时 depend on the case
        self._paint()

    def _not_loaded(self, _message: str) -> None:
        # The status line says why; what was shown before stays (it is the latest we have).
        if self.detail is None:
            self.query_one("#case-title", Static).update(Text.assemble(
                (f" 工单 #{self.case_id} ", "bold reverse"), "  ", ("没能载入,按 Esc 返回后再打开", "dim")))

    def _leave(self) -> None:
        """The case is gone: close this screen, now or when the agent comes back to it from
        a dialog (whose own action then says the case is not found)."""
        self._gone = True
        if self.is_current:
            self.app.pop_screen()

    def on_screen_resume(self) -> None:
        if self._gone:
            self.app.pop_screen()

    def _ready(self) -> CaseDetail | None:
        """The loaded case; None (and the agent told) while it is still on its way."""
        if self.detail is None:
            self.app.notify("工单还在载入,请稍等")
        return self.detail

    def tick(self) -> None:
        if self.detail is not None:
            self._paint_clocks()

    # ---- painting ------------------------------------------------------------------

    def _paint_loading(self) -> None:
        """Until the case arrives: its number and a dim placeholder."""
        self.query_one("#case-title", Static).update(Text.assemble(
            (f" 工单 #{self.case_id} ", "bold reverse"), "  ", ("载入中…", "dim")))

    def _paint(self) -> None:
        d = self.detail
        assert d is not None
        c = d.case
        policy = self.app.policy
        title = Text.assemble(
            (f" 工单 #{c.id} ", "bold reverse"), "  ",
            (" 加急 ", "bold reverse red") if c.urgent else "",
            " 买家 ", (inert(c.buyer_id), "bold"),
            "  订单 ", (c.order_no or "—", "bold"),
            "  ", (label(STATUSES, c.status), "bold cyan"),
        )
        self.query_one("#case-title", Static).update(title)

        fields = Table.grid(padding=(0, 2))
        fields.add_column(style="dim", no_wrap=True)
        fields.add_column()

        def t(dt):
            return shop_time(dt, policy, "%Y-%m-%d %H:%M:%S") if dt else "—"

        for name, value in (
            ("买家旺旺", inert(c.buyer_id)),
            ("订单号", c.order_no or "—"),
            ("渠道", label(CHANNEL_LABELS, c.channel)),
            ("类型", label(KINDS, c.kind)),
            ("状态", label(STATUSES, c.status)),
            ("加急", "是" if c.urgent else "否"),
            ("退款状态", label(REFUND_STATUSES, c.refund_status) or "—"),
            ("小二介入", "是" if c.platform_intervened else "否"),
            ("升级", f"{label(ESCALATIONS, c.escalated_to)} · {inert(c.escalation_reason)}" if c.escalated_to else "—"),
            ("满意度", label(SATISFACTION, c.satisfaction) or "—"),
            ("处理人", inert(c.assignee) or "待分配"),
            ("买家消息", t(c.first_message_at)),
            ("首次回复", t(c.first_replied_at)),
            ("创建", f"{t(c.created_at)}  {inert(c.created_by)}"),
            ("更新", t(c.updated_at)),
        ):
            fields.add_row(name, Text(value))
        for name, value in self._known_facts(c):
            fields.add_row(name, Text(value))
        if c.kind == "complaint":
            fields.add_row("投诉进度", label(COMPLAINT_STATUSES, c.complaint_status) or "未登记")
        fields.add_row("描述", Text(inert_multiline(c.description) or "—"))
        self.query_one("#case-fields", Static).update(fields)
        self._paint_clocks()

        events = Text()
        recent = d.events[-RECENT_EVENTS:]
        more = f" (最近 {len(recent)} 条,共 {len(d.events)} 条,按 h 看全部)" if len(d.events) > len(recent) else ""
        events.append("\n处理记录", style="bold underline")
        events.append(more + "\n", style="dim")
        for e in recent:
            events.append(f"{shop_time(e.at, policy, '%m-%d %H:%M:%S')} ", style="dim")
            events.append(f"{inert(e.agent)} ", style="cyan")
            events.append(label(ACTIONS, e.action))
            if e.before or e.after:
                events.append(f"  {inert(e.before) or '—'} → {inert(e.after) or '—'}")
            if e.detail:
                events.append(f"  {inert(e.detail)}", style="dim")
            events.append("\n")
        self.query_one("#case-events", Static).update(events)

    @staticmethod
    def _known_facts(c) -> list[tuple[str, str]]:
        """What the console knows of the order and the refund (typed, or from a Qianniu
        export), only the lines it has: a case typed by hand stays short."""
        money = [f"{word} {inert(amount)}元" for word, amount in (
            (FACTS["order_amount"], c.order_amount), (FACTS["item_value"], c.item_value),
            (FACTS["refund_amount"], c.refund_amount), ("已同意", c.agreed_amount)) if amount]
        parcel = " ".join(inert(v) for v in (c.return_tracking_no, c.return_carrier) if v)
        order = " · ".join(inert(v) for v in (c.order_status, c.province) if v)
        rows = [
            ("称呼", inert(c.buyer_name)),
            ("宝贝", inert(c.items or c.product)),
            ("金额", " · ".join(money)),
            (FACTS["refund_no"], inert(c.refund_no)),
            ("退货物流", parcel),
            ("订单", order),
        ]
        return [(name, value) for name, value in rows if value]

    def _paint_clocks(self) -> None:
        from console.widgets.fitted_table import FitColumn, FittedTable

        d = self.detail
        assert d is not None
        now = self.app.now()
        policy = self.app.policy
        kind, left, due, clock, word = (FitColumn(h) for h in ("时限", "剩余", "到期 (店铺时间)", "类别", ""))
        due.short, due.short_header = [], "到期"
        running = d.running
        for dl in running:
            kind.cells.append(Text(policy.label(dl.kind)))
            clock.cells.append(Text(_clock_word(dl.clock)))
            if dl.state == "paused":
                left.cells.append(Text(format_countdown_seconds(dl.remaining_s or 0), style="dim"))
                due.cells.append(Text("—"))
                due.short.append(Text("—"))
                word.cells.append(Text("暂停 (等买家)", style="dim"))
                continue
            state = state_at(dl.due_at, dl.warn_at or dl.due_at, now)
            left.cells.append(Text(format_countdown(dl.due_at - now), style=STATE_STYLE[state]))
            due.cells.append(Text(shop_time(dl.due_at, policy, "%m-%d %H:%M:%S")))
            due.short.append(Text(shop_time(dl.due_at, policy, "%d日%H:%M")))
            word.cells.append(Text(STATE_WORD[state], style=STATE_STYLE[state]))
        # Narrow (80 columns with the notes pane): 时限 and 剩余 stay; the rest gives way.
        table = FittedTable([kind, left, due, clock, word],
                            plan=[("drop", 3), ("short", 2), ("drop", 4), ("drop", 2)])
        out = Table.grid()
        out.add_row(Text("进行中的计时", style="bold underline"))
        out.add_row(table if running else Text("没有进行中的计时", style="dim"))
        if d.tasks:
            out.add_row(Text(""))
            done = sum(1 for t in d.tasks if t.done_at)
            out.add_row(Text(f"待办 {done}/{len(d.tasks)} (按 x 勾选)", style="bold underline"))
            for t in d.tasks:
                mark, style = ("☑", "dim strike") if t.done_at else ("☐", "")
                out.add_row(Text(f"{mark} {inert(t.text)}", style=style))
        out.add_row(Text(""))
        self.query_one("#case-clocks", Static).update(out)

    # ---- actions ---------------------------------------------------------------------

    def _write(self, job, message: str) -> None:
        self.app.write(job, lambda _: self.app.notify(message, markup=False))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_first_reply(self) -> None:
        app = self.app
        if self.detail and self.detail.case.first_replied_at is not None:
            app.notify("已经标记过首次回复")
            return
        self._write(lambda: app.cases.mark_first_reply(self.case_id, app.agent), "已标记首次回复")

    def action_status(self) -> None:
        from console.screens.dialogs import ChoiceDialog

        detail = self._ready()
        if detail is None:
            return
        c = detail.case
        options = []
        for s in allowed_statuses(c.status):
            text = STATUSES[s]
            if s == "in_progress" and c.status in ("resolved", "closed"):
                text = "重新打开 (回到处理中)"
            options.append((s, text))
        version = c.version
        app = self.app

        def chosen(status: str | None) -> None:
            if status == "resolved":
                self.ask_satisfaction()
            elif status == "closed":
                self._settle_then("closed", lambda leftovers: self._write(
                    lambda: app.cases.set_status(self.case_id, status, app.agent, expected_version=version,
                                                 leftovers=leftovers),
                    "工单已关闭"))
            elif status:
                self._write(
                    lambda: app.cases.set_status(self.case_id, status, app.agent, expected_version=version),
                    f"状态已改为 {STATUSES[status]}",
                )

        app.push_screen(ChoiceDialog(f"工单 #{c.id} 改状态 (现在: {STATUSES.get(c.status)})", options), chosen)

    def _settle_then(self, status: str, go) -> None:
        """Before resolving or closing: a running platform clock refuses it, with what to do
        instead; promises, other clocks and open steps are listed for the agent to decide.
        What still runs is read in a worker; `_settle` goes on when it arrives."""
        app = self.app
        cases, case_id = app.cases, self.case_id
        app.read(lambda: cases.pending(case_id), lambda pending: self._settle(status, pending, go),
                 owner=self, key=f"case-pending:{id(self)}")

    def _settle(self, status: str, pending, go) -> None:
        from console.cases import LEFTOVERS
        from console.screens.dialogs import ChoiceDialog, InfoDialog

        app = self.app
        word = "解决" if status == "resolved" else "关闭"
        if pending.blocking:
            lines = app.cases.describe_pending(pending)
            app.push_screen(InfoDialog(
                f"平台计时还在走,店铺{word}工单停不了它",
                "\n".join(f"• {line}" for line in lines)
                + f"\n\n平台状态变了: 按 f 记录新的退款状态。\n平台已经处理完: 按 d 记下来。然后再{word}。"))
            return
        if not pending.asks:
            go(None)
            return
        lines = "\n".join(f"• {line}" for line in app.cases.describe_pending(pending))
        keys = ("done", "keep") if status == "resolved" else ("done", "drop")
        options = [(k, LEFTOVERS[k]) for k in keys]
        app.push_screen(ChoiceDialog(f"{word}前,这些还开着:\n{lines}", options),
                        lambda choice: choice and go(choice))

    def on_wizard_screen_applied(self, message) -> None:
        """Back from the wizard (console/screens/wizard.py WizardScreen.Applied)."""
        if message.resolved and message.case_id == self.case_id:
            self.call_after_refresh(self.ask_satisfaction)

    def ask_satisfaction(self) -> None:
        """Resolving closes the loop: ask the buyer's satisfaction first."""
        from console.screens.dialogs import ChoiceDialog, PromptDialog

        app = self.app

        def resolve(satisfaction: str, reason: str = "", leftovers: str | None = None) -> None:
            message = {"unsatisfied": "买家不满意: 工单继续处理,已升级给资深客服"}.get(satisfaction, "")
            if not message:
                message = "已解决;保留的事项做完后自动归档" if leftovers == "keep" else "已解决并归档"
            self._write(lambda: app.cases.resolve(self.case_id, satisfaction, app.agent, reason, leftovers),
                        message)

        def chosen(satisfaction: str | None) -> None:
            if satisfaction == "unsatisfied":
                app.push_screen(
                    PromptDialog("买家为什么不满意? (会升级给资深客服)", check=lambda t: None if t else "请写明原因"),
                    lambda reason: reason and resolve("unsatisfied", reason),
                )
            elif satisfaction:
                self._settle_then("resolved", lambda leftovers: resolve(satisfaction, leftovers=leftovers))

        app.push_screen(ChoiceDialog("买家对处理结果满意吗?", list(SATISFACTION.items())), chosen)

    def action_escalate(self) -> None:
        from console.screens.dialogs import ChoiceDialog, PromptDialog

        app = self.app

        def with_reason(target: str | None) -> None:
            if target is None:
                return
            if target == "none":
                self._write(lambda: app.cases.escalate(self.case_id, None, "", app.agent), "已取消升级")
                return
            app.push_screen(
                PromptDialog(f"升级给{ESCALATIONS[target]}的原因", check=lambda t: None if t else "请写明原因"),
                lambda reason: reason and self._write(
                    lambda: app.cases.escalate(self.case_id, target, reason, app.agent), f"已升级给{ESCALATIONS[target]}"),
            )

        options = list(ESCALATIONS.items()) + [("none", "取消升级")]
        current = self.detail.case.escalated_to if self.detail else None
        app.push_screen(ChoiceDialog("升级给谁?", options, current), with_reason)

    def action_complaint(self) -> None:
        from console.cases import complaint_next
        from console.screens.dialogs import ChoiceDialog

        detail = self._ready()
        if detail is None:
            return
        app = self.app
        options = [(k, COMPLAINT_STATUSES[k]) for k in complaint_next(detail.case.complaint_status)]
        if not options:
            app.notify("投诉已结案")
            return
        app.push_screen(
            ChoiceDialog("投诉进度", options),
            lambda st: st and self._write(lambda: app.cases.set_complaint_status(self.case_id, st, app.agent),
                                          f"投诉进度: {COMPLAINT_STATUSES[st]}"),
        )

    def action_wizard(self) -> None:
        from console.screens.wizard import WizardScreen

        self.app.push_screen(WizardScreen(self.case_id))

    def action_history(self) -> None:
        from console.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.case_id))

    def action_urgent(self) -> None:
        detail = self._ready()
        if detail is None:
            return
        app = self.app
        urgent = not detail.case.urgent
        self._write(lambda: app.cases.set_urgent(self.case_id, urgent, app.agent),
                    "已标记加急,2小时内需转给专员" if urgent else "已取消加急")

    def action_assign_me(self) -> None:
        app = self.app
        self._write(lambda: app.cases.claim(self.case_id, app.agent), "已接手")

    def action_assign(self) -> None:
        from console.screens.agent_picker import POOL, AgentPicker

        app = self.app
        case_id = self.case_id

        def chosen(name: str | None) -> None:
            if name is None:
                return
            target = None if name == POOL else name

            def job():
                app.cases.assign(case_id, target, app.agent)
                # The urgent clocks still running afterwards, read in the same worker.
                return [d for d in app.cases.get(case_id).running if d.kind in app.policy.start_urgent]

            def done(urgent) -> None:
                app.notify(f"已分配给 {target}" if target else "已放回待分配", markup=False)
                if target and urgent:
                    # Said, not assumed: only a specialist meets the urgent clock.
                    app.notify(f"{target} 不是专员: {app.policy.label(urgent[0].kind)} 计时还在走,"
                               "请在时限内转给专员", markup=False, severity="warning", timeout=10)

            app.write(job, done)

        # The picker reads the roster itself, in a worker.
        app.push_screen(AgentPicker("分配给哪位客服?", exclude=app.agent,
                                    note="转给专员才算加急工单已转专员"), chosen)

    def action_kind(self) -> None:
        from console.screens.dialogs import ChoiceDialog

        detail = self._ready()
        if detail is None:
            return
        app = self.app
        version = detail.case.version

        def chosen(kind: str | None) -> None:
            if not kind:
                return
            app.write(lambda: app.cases.change_kind(self.case_id, kind, app.agent, expected_version=version),
                      lambda changes: app.notify(";".join(changes) or "类型没有变化", markup=False, timeout=10))

        app.push_screen(ChoiceDialog("改工单类型 (时限随类型改变)", list(KINDS.items()), detail.case.kind),
                        chosen)

    def action_end_clock(self) -> None:
        from console.screens.dialogs import ChoiceDialog, PromptDialog

        if not self.detail or not self.detail.running:
            return
        app = self.app
        running = self.detail.running[:9]
        policy = app.policy

        def line(d) -> str:
            due = shop_time(d.due_at, policy) if d.due_at else "暂停中"
            return f"{policy.label(d.kind)} ({_clock_word(d.clock)},到期 {due}){' · ' + d.note if d.note else ''}"

        def chosen(deadline_id: str | None) -> None:
            if not deadline_id:
                return
            d = next(x for x in running if str(x.id) == deadline_id)
            default = "平台已处理" if d.clock == "platform" else ("已兑现" if d.kind == "buyer_promise" else "已完成")
            app.push_screen(
                PromptDialog(f"结束“{policy.label(d.kind)}”: 写一句怎么结束的 (回车用默认)", value=default),
                lambda note: note is not None and self._write(
                    lambda: app.cases.end_clock(self.case_id, d.id, app.agent, note or default),
                    f"已结束计时: {policy.label(d.kind)}"),
            )

        app.push_screen(ChoiceDialog("结束哪个计时?", [(str(d.id), line(d)) for d in running]), chosen)

    def action_note(self) -> None:
        self.query_one(NotesPane).focus_input()

    def action_toggle_notes(self) -> None:
        from console.widgets.notes_pane import toggle_notes

        toggle_notes(self.query_one(NotesPane), self.query_one("#case-right"))

    def action_start_clock(self) -> None:
        from console.screens.clock_dialog import StartClockDialog

        app = self.app

        def chosen(result) -> None:
            if result is None:
                return
            kind, due_at, note = result
            self._write(
                lambda: app.cases.start_clock(self.case_id, kind, app.agent, due_at=due_at, note=note),
                f"已开始计时: {app.policy.label(kind)}",
            )

        app.push_screen(StartClockDialog(), chosen)


    def action_refund(self) -> None:
        from console.screens.dialogs import ChoiceDialog, PromptDialog

        detail = self._ready()
        if detail is None:
            return
        app = self.app
        current = detail.case.refund_status

        def apply(status: str, shipped: bool, when: str) -> None:
            from console.intake import parse_shop_time

            start = parse_shop_time(when, app.policy, app.now()) if when else None
            self._write(
                lambda: app.cases.set_refund_status(self.case_id, status, app.agent, shipped=shipped, start_at=start),
                f"退款状态: {REFUND_STATUSES[status]}",
            )

        def ask_time(status: str, shipped: bool) -> None:
            def check(text: str) -> str | None:
                from console.intake import parse_shop_time

                if text and parse_shop_time(text, app.policy, app.now()) is None:
                    return "时间格式: 2026-11-23 14:03 或 14:03;留空=现在"
                return None

            app.push_screen(
                PromptDialog("买家申请退款的时间 (千牛里显示的申请时间,留空=现在)", placeholder="2026-11-23 14:03",
                             check=check),
                lambda when: when is not None and apply(status, shipped, when),
            )

        def chosen(status: str | None) -> None:
            if status is None:
                return
            if status != "waiting_seller_agree":
                apply(status, True, "")
                return
            app.push_screen(
                ChoiceDialog("订单状态", [("paid", "买家已付款 (未发货): 2天内不处理自动同意"),
                                          ("shipped", "卖家已发货: 7天内不处理自动同意")]),
                lambda trade: trade is not None and ask_time(status, trade == "shipped"),
            )

        app.push_screen(ChoiceDialog("千牛退款状态", list(REFUND_STATUSES.items()), current), chosen)

    def action_intervened(self) -> None:
        from console.screens.dialogs import PromptDialog

        detail = self._ready()
        if detail is None:
            return
        app = self.app
        if detail.case.platform_intervened:
            self._write(lambda: app.cases.set_intervened(self.case_id, False, app.agent),
                        "已取消小二介入,平台的介入和处理计时已取消")
            return

        def check(text: str) -> str | None:
            from console.intake import parse_shop_time

            if text and parse_shop_time(text, app.policy, app.now()) is None:
                return "时间格式: 2026-11-23 14:03 或 14:03;留空=现在"
            return None

        def go(text: str | None) -> None:
            from console.intake import parse_shop_time

            if text is None:
                return
            start = parse_shop_time(text, app.policy, app.now()) if text else None
            self._write(lambda: app.cases.set_intervened(self.case_id, True, app.agent, start_at=start),
                        "已标记小二介入: 2个工作日内介入、7个工作日内处理完 (已开始计时),请准备聊天记录、发货凭证等证据")

        app.push_screen(PromptDialog("买家申请小二介入的时间 (千牛显示的,店铺时间;留空=现在)",
                                     placeholder="2026-11-23 14:03", check=check), go)

    def action_tasks(self) -> None:
        from console.screens.dialogs import ChoiceDialog

        detail = self._ready()
        if detail is None:
            return
        if not detail.tasks:
            self.app.notify("这个工单没有待办 (按 SOP 向导处理后会生成)")
            return
        app = self.app
        options = [(str(t.id), ("☑ " if t.done_at else "☐ ") + t.text) for t in detail.tasks[:9]]
        app.push_screen(
            ChoiceDialog("勾选待办 (数字键切换)", options),
            lambda tid: tid and self._write(lambda: app.cases.toggle_task(int(tid), app.agent), "待办已更新"),
        )

    def action_register(self) -> None:
        from console.registers import REGISTERS
        from console.screens.dialogs import ChoiceDialog
        from console.screens.registers import RegisterForm

        app = self.app
        app.push_screen(
            ChoiceDialog("登记到哪张表?", [(k, r.title) for k, r in REGISTERS.items()]),
            lambda key: key and app.push_screen(RegisterForm(key, None, self.case_id)),
        )


def _clock_word(clock: str) -> str:
    return "平台" if clock == "platform" else "店铺"


def format_countdown_seconds(seconds: int) -> str:
    return format_countdown(timedelta(seconds=seconds))

"""The new-case form. Paste a chat excerpt or an order line from Qianniu and the order
number, buyer ID and message time are picked out; everything stays editable."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Checkbox, Input, Label, Select, Static, TextArea

from console.db import StoreError
from console.intake import CaseDraft, pick_from_paste, validate_draft
from console.notes import Notes
from console.vocab import CHANNELS, KINDS
from console.widgets.keybar import KeyBar

# The unfinished form is saved as a draft in the database (like the notes pane's), a moment
# after each change and on leaving, so neither Esc nor a closed terminal loses it.
DRAFT_PLACE = "new_case"
AUTOSAVE_SECONDS = 0.6

FIELDS = ("buyer_id", "order_no", "message_time")


class NewCaseScreen(Screen[None]):
    HELP_TITLE = "新建工单"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "保存", priority=True, id="new.save", tooltip="保存并打开工单"),
        Binding("escape", "leave", "返回", id="new.leave", tooltip="返回队列,已填内容保留为草稿"),
        Binding("ctrl+n", "clear", "清空", priority=True, id="new.clear", tooltip="清空表单重新填写"),
    ]

    def __init__(self) -> None:
        super().__init__()
        # Values the paste filled in; a field the agent changed by hand is left alone.
        self._auto: dict[str, str] = {}
        self._saving = False
        self._loaded = False
        self._autosave: Timer | None = None
        self._last_json = ""

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble((" 新建工单 ", "bold reverse"),
                                   "  粘贴千牛聊天或订单行,自动识别订单号、买家和消息时间"), id="form-title")
        with VerticalScroll(id="form"):
            yield Label("粘贴区 (Ctrl+V 粘贴;识别结果填到下面,可修改)", classes="field-label")
            yield TextArea(id="paste", soft_wrap=True)
            yield Static("", id="picked", classes="field-hint")
            with Horizontal(classes="row"):
                with Vertical(classes="cell"):
                    yield Label("买家旺旺名 *", classes="field-label")
                    yield Input(id="buyer_id", placeholder="例如 小鱼儿2018")
                    yield Label("", id="buyer_id-error", classes="field-error")
                with Vertical(classes="cell"):
                    yield Label("订单号 (数字)", classes="field-label")
                    yield Input(id="order_no", placeholder="例如 3712345678901234567")
                    yield Label("", id="order_no-error", classes="field-error")
            with Horizontal(classes="row"):
                with Vertical(classes="cell"):
                    yield Label("渠道", classes="field-label")
                    yield Select([(v, k) for k, v in CHANNELS.items()], value="chat", allow_blank=False, id="channel")
                with Vertical(classes="cell"):
                    yield Label("类型", classes="field-label")
                    yield Select([(v, k) for k, v in KINDS.items()], value="other", allow_blank=False, id="kind")
            with Horizontal(classes="row"):
                with Vertical(classes="cell"):
                    yield Label("买家消息时间 (首响从此刻算,留空=现在)", classes="field-label")
                    yield Input(id="message_time", placeholder="14:03 或 2026-11-23 14:03:22")
                    yield Label("", id="message_time-error", classes="field-error")
                with Vertical(classes="cell"):
                    yield Label("加急", classes="field-label")
                    yield Checkbox("加急 (2小时内转专员)", id="urgent")
            yield Label("描述 / 买家诉求", classes="field-label")
            yield TextArea(id="description", soft_wrap=True)
            yield Label("", id="description-error", classes="field-error")
            yield Label("", id="form-error", classes="field-error")
        yield KeyBar()

    def on_mount(self) -> None:
        saved = self._stored_draft()
        if saved:
            self._restore(saved)
            self.notify("已恢复上次没保存的草稿")
        self._loaded = True
        self.query_one("#paste", TextArea).focus()

    # ---- draft ---------------------------------------------------------------------

    def _collect(self) -> CaseDraft:
        return CaseDraft(
            buyer_id=self.query_one("#buyer_id", Input).value,
            order_no=self.query_one("#order_no", Input).value,
            channel=str(self.query_one("#channel", Select).value),
            kind=str(self.query_one("#kind", Select).value),
            description=self.query_one("#description", TextArea).text,
            urgent=self.query_one("#urgent", Checkbox).value,
            message_time=self.query_one("#message_time", Input).value,
        )

    def _restore(self, saved: dict[str, object]) -> None:
        for name in FIELDS:
            self.query_one(f"#{name}", Input).value = str(saved.get(name, ""))
        self.query_one("#channel", Select).value = saved.get("channel", "chat")
        self.query_one("#kind", Select).value = saved.get("kind", "other")
        self.query_one("#urgent", Checkbox).value = bool(saved.get("urgent", False))
        self.query_one("#description", TextArea).text = str(saved.get("description", ""))
        self.query_one("#paste", TextArea).text = str(saved.get("paste", ""))

    def _draft_json(self) -> str:
        data = asdict(self._collect())
        data["paste"] = self.query_one("#paste", TextArea).text
        if not any(str(data[k]).strip() for k in (*FIELDS, "description", "paste")):
            return ""
        return json.dumps(data, ensure_ascii=False)

    def _stored_draft(self) -> dict[str, object]:
        try:
            body = Notes(self.app.cases).draft(self.app.agent, DRAFT_PLACE)
            return json.loads(body) if body else {}
        except (StoreError, ValueError):
            return {}

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _edited(self) -> None:
        if not self._loaded:
            return
        if self._autosave is not None:
            self._autosave.stop()
        self._last_json = self._draft_json()
        self._autosave = self.set_timer(AUTOSAVE_SECONDS, self._autosave_now)

    def _autosave_now(self) -> None:
        self._autosave = None
        self._persist(self._last_json)

    @work(thread=True, exclusive=True, exit_on_error=False, group="case-draft")
    def _persist(self, body: str) -> None:
        try:
            Notes(self.app.cases).save_draft(self.app.agent, DRAFT_PLACE, body)
        except StoreError as exc:
            self.app.call_from_thread(self.app.notify, f"草稿没存上: {exc.message}", markup=False,
                                      severity="warning")

    # ---- paste recognition ---------------------------------------------------------------

    @on(TextArea.Changed, "#paste")
    def _pasted(self, event: TextArea.Changed) -> None:
        text = event.text_area.text
        if not text.strip():
            self.query_one("#picked", Static).update("")
            return
        picked = pick_from_paste(text, self.app.policy)
        values = {"buyer_id": picked.buyer_id, "order_no": picked.order_no, "message_time": picked.message_time}
        for name, value in values.items():
            field = self.query_one(f"#{name}", Input)
            if value and (not field.value or field.value == self._auto.get(name)):
                field.value = value
                self._auto[name] = value
        kind = self.query_one("#kind", Select)
        if picked.kind and (kind.value == "other" or kind.value == self._auto.get("kind")):
            kind.value = picked.kind
            self._auto["kind"] = picked.kind
        desc = self.query_one("#description", TextArea)
        if picked.description and (not desc.text or desc.text == self._auto.get("description")):
            desc.text = picked.description
            self._auto["description"] = picked.description
        found = "、".join(picked.found) if picked.found else "没有识别到订单号或买家,请手动填写"
        self.query_one("#picked", Static).update(Text(f"识别到: {found}"))

    # ---- actions -----------------------------------------------------------------------

    def _show_errors(self, errors: dict[str, str]) -> None:
        for name in (*FIELDS, "description"):
            self.query_one(f"#{name}-error", Label).update(Text(errors.get(name, "")))
        first = next((n for n in (*FIELDS, "description") if n in errors), None)
        if first:
            self.query_one(f"#{first}").focus()

    def action_save(self) -> None:
        if self._saving:
            return
        app = self.app
        draft = self._collect()
        self.query_one("#form-error", Label).update("")
        # Validation is pure and instant: check here, so only the write goes to a thread.
        checked = validate_draft(draft, app.policy, app.now())
        self._show_errors(checked if isinstance(checked, dict) else {})
        if isinstance(checked, dict):
            return
        self._saving = True

        def done(case) -> None:
            from console.screens.case import CaseScreen

            self._saving = False
            self._forget_draft()
            app.notify(f"已创建工单 #{case.id}", markup=False)
            app.switch_screen(CaseScreen(case.id))

        def failed(message: str) -> None:
            # The form stays as it is: nothing typed is lost.
            self._saving = False
            self.query_one("#form-error", Label).update(Text(message))

        app.write(lambda: app.cases.create(draft, app.agent), done, failed)

    def _forget_draft(self) -> None:
        if self._autosave is not None:
            self._autosave.stop()
            self._autosave = None
        self._persist("")

    def on_unmount(self) -> None:
        # The console closing with a save pending: write it now, not after the debounce.
        if self._autosave is not None:
            self._autosave.stop()
            try:
                Notes(self.app.cases).save_draft(self.app.agent, DRAFT_PLACE, self._last_json)
            except StoreError:
                pass

    def action_leave(self) -> None:
        body = self._draft_json()
        if self._autosave is not None:
            self._autosave.stop()
            self._autosave = None
        app = self.app
        # An app-level worker: this screen is about to go, its own workers with it.
        app.write(lambda: Notes(app.cases).save_draft(app.agent, DRAFT_PLACE, body))
        if body:
            self.notify("草稿已保留,按 n 继续填写")
        self.app.pop_screen()

    def action_clear(self) -> None:
        self._auto.clear()
        self._restore({})
        self._show_errors({})
        self.query_one("#picked", Static).update("")
        self.query_one("#paste", TextArea).focus()

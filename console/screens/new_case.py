"""The new-case form. Paste a chat excerpt or an order line from Qianniu and the buyer ID,
order number, message time and product are picked out, with where each came from;
everything stays editable.

The 30-second first reply starts here, so the form opens fast: it is built once and kept
between uses (`open_new_case`), has few widgets (one-line `Choice`s instead of `Select`s,
borderless inputs in one grid), and reads the saved draft in a thread worker."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, VerticalScroll
from textual.screen import Screen
from textual.widgets import Checkbox, Input, Static, TextArea

from console.db import StoreError
from console.intake import (
    FIELD_NAMES,
    INITIATORS,
    CaseDraft,
    Picked,
    default_initiator,
    pick_from_paste,
    validate_draft,
)
from console.textsafe import inert
from console.vocab import CHANNELS, KINDS
from console.widgets.choice import Choice
from console.widgets.draft_keeper import DraftKeeper
from console.widgets.keybar import KeyBar

# The unfinished form is saved as a draft in the database (like the notes pane's), a moment
# after each change and on leaving, so neither Esc nor a closed terminal loses it.
DRAFT_PLACE = "new_case"
SCREEN_NAME = "new_case"
BOX_ROWS, BOX_ROWS_SHORT = 6, 4

FIELDS = ("buyer_id", "order_no", "message_time", "product")
# Error lines sit under their field in the grid; the two of a row show and hide together.
ERROR_ROWS = (("buyer_id", "order_no"), ("message_time", "product"))
_FIELD_OF = {title: name for name, title in FIELD_NAMES.items()}


def _error_row(*names: str) -> ComposeResult:
    """A grid row of error lines under the fields `names`, shown only when one has an error
    (the messages sit in the field columns: a cell spanning columns in an auto-height grid
    row is measured at the first column's width, which leaves blank lines)."""
    for name in names:
        yield Static(classes=f"field-error {'-'.join(names)}-errors")
        yield Static(id=f"{name}-error", classes=f"field-error {'-'.join(names)}-errors")


async def warm_new_case(app: App) -> None:
    """Build and lay out the form once, unseen (no frame is drawn between showing and hiding
    it), so that `n` only shows it. The app calls it while the agent is idle on the queue."""
    if app.is_screen_installed(SCREEN_NAME):
        return
    app.install_screen(NewCaseScreen(), SCREEN_NAME)
    with app.batch_update():
        await app.push_screen(SCREEN_NAME)
        app.pop_screen()


def open_new_case(app: App) -> None:
    """Show the new-case form, built on first use and kept afterwards."""
    if not app.is_screen_installed(SCREEN_NAME):
        app.install_screen(NewCaseScreen(), SCREEN_NAME)
    app.push_screen(SCREEN_NAME)


class NewCaseScreen(Screen[None]):
    HELP_TITLE = "新建工单"
    # Straight to the paste box: focusing anything else first restyles the whole form.
    AUTO_FOCUS = "#paste"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "保存", priority=True, id="new.save", tooltip="保存并打开工单"),
        Binding("escape", "leave", "返回", id="new.leave", tooltip="返回队列,已填内容保留为草稿"),
        Binding("ctrl+n", "clear", "清空", priority=True, id="new.clear", tooltip="清空表单重新填写"),
    ]

    def __init__(self) -> None:
        super().__init__()
        # Values filled in automatically (from the paste, or 发起方 from the kind); a field
        # the agent changed by hand is left alone.
        self._auto: dict[str, str] = {}
        self._initiator_by_hand = False
        self._agents: tuple[str, ...] = ()
        self._picked: Picked | None = None
        self._saving = False
        self._loaded = False
        self._touched = False
        self._draft = DraftKeeper(self, lambda: DRAFT_PLACE)

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble((" 新建工单 ", "bold reverse"),
                                   "  粘贴千牛/旺旺聊天或订单行,自动识别买家、订单号、消息时间和商品"),
                     id="form-title")
        with VerticalScroll(id="form", can_focus=False):
            yield Static("粘贴区 (终端粘贴,通常 Ctrl+Shift+V;识别结果填到下面,都可修改)", classes="field-label")
            yield TextArea(id="paste", soft_wrap=True)
            yield Static("", id="picked")
            with Container(classes="fields"):
                yield Static("买家旺旺 *", classes="field-label")
                yield Input(id="buyer_id", placeholder="例如 小鱼儿2018")
                yield Static("订单号", classes="field-label")
                yield Input(id="order_no", placeholder="10–20 位数字")
                yield from _error_row("buyer_id", "order_no")
                yield Static("渠道", classes="field-label")
                yield Choice(CHANNELS, "chat", id="channel")
                yield Static("类型", classes="field-label")
                yield Choice(KINDS, "other", id="kind")
                yield Static("发起方", classes="field-label")
                yield Choice(INITIATORS, "buyer", id="initiated_by")
                yield Static("加急", classes="field-label")
                yield Checkbox("2小时内转专员", id="urgent")
            yield Static(id="initiated_by-hint")
            with Container(classes="fields"):
                yield Static("消息时间", classes="field-label")
                yield Input(id="message_time", placeholder="14:03 或 2026-11-23 14:03:22,空=现在")
                yield Static("商品", classes="field-label")
                yield Input(id="product", placeholder="可不填")
                yield from _error_row("message_time", "product")
            yield Static("描述 / 买家诉求", classes="field-label", id="description-label")
            yield TextArea(id="description", soft_wrap=True)
            yield Static(id="description-error", classes="field-error")
            yield Static(id="form-error", classes="field-error")
        yield KeyBar()

    def on_mount(self) -> None:
        self._show_initiator_hint()
        self._load()

    def on_screen_resume(self) -> None:
        # Kept between uses: an empty form starts at the paste box, a draft where it was left.
        self._fit(self.app.size.height)
        if not self._draft_json():
            self.query_one("#paste", TextArea).focus()

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.height)

    def _fit(self, rows: int) -> None:
        """Paste and description boxes as tall as the terminal allows: the whole form fits
        at 80×24 and the description shows without scrolling from 30 rows. (Setting two
        heights, not a breakpoint class: a class on the screen restyles every widget.)"""
        box = BOX_ROWS_SHORT if rows < 30 else BOX_ROWS
        for name in ("#paste", "#description"):
            widget = self.query_one(name, TextArea)
            if widget.styles.height is None or widget.styles.height.value != box:
                widget.styles.height = box

    # ---- draft ---------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="new-case-load")
    def _load(self) -> None:
        """The saved draft and the agents' names (never the shop's buyer), off the UI thread."""
        app = self.app
        try:
            body = app.services.notes.draft(app.agent, DRAFT_PLACE)
            saved = json.loads(body) if body else {}
        except (StoreError, ValueError):
            saved = {}
        try:
            agents = tuple(app.cases.agents())
        except StoreError:
            agents = ()
        app.call_from_thread(self._loaded_draft, saved if isinstance(saved, dict) else {}, agents)

    def _loaded_draft(self, saved: dict[str, object], agents: tuple[str, ...]) -> None:
        self._agents = agents
        if saved:
            if self._touched:
                # The agent started before the draft arrived: fill only what is still empty.
                self._restore(saved, only_empty=True)
                self.notify("上次的草稿只补进了空着的格子", markup=False)
            else:
                self._restore(saved)
                self.notify("已恢复上次没保存的草稿")
        self._loaded = True
        if self._touched:
            self._edited()

    def _collect(self) -> CaseDraft:
        return CaseDraft(
            buyer_id=self.query_one("#buyer_id", Input).value,
            order_no=self.query_one("#order_no", Input).value,
            channel=self.query_one("#channel", Choice).value,
            kind=self.query_one("#kind", Choice).value,
            description=self.query_one("#description", TextArea).text,
            urgent=self.query_one("#urgent", Checkbox).value,
            message_time=self.query_one("#message_time", Input).value,
            initiated_by=self.query_one("#initiated_by", Choice).value,
            product=self.query_one("#product", Input).value,
        )

    def _restore(self, saved: dict[str, object], only_empty: bool = False) -> None:
        def put(widget, attribute: str, value: object, empty: object) -> None:
            if not only_empty or getattr(widget, attribute) == empty:
                setattr(widget, attribute, value)

        for name in FIELDS:
            put(self.query_one(f"#{name}", Input), "value", str(saved.get(name) or ""), "")
        put(self.query_one("#channel", Choice), "value", str(saved.get("channel", "chat")), "chat")
        put(self.query_one("#kind", Choice), "value", str(saved.get("kind", "other")), "other")
        put(self.query_one("#urgent", Checkbox), "value", bool(saved.get("urgent", False)), False)
        put(self.query_one("#description", TextArea), "text", str(saved.get("description") or ""), "")
        put(self.query_one("#paste", TextArea), "text", str(saved.get("paste") or ""), "")
        if not only_empty:
            auto = saved.get("auto")
            self._auto = {str(k): str(v) for k, v in auto.items()} if isinstance(auto, dict) else {}
            self._initiator_by_hand = bool(saved.get("initiator_by_hand", False))
            self.query_one("#initiated_by", Choice).value = str(saved.get("initiated_by", "buyer"))
        self._show_initiator_hint()

    def _draft_json(self) -> str:
        data = asdict(self._collect())
        data["paste"] = self.query_one("#paste", TextArea).text
        if not any(str(data[k]).strip() for k in (*FIELDS, "description", "paste")):
            return ""
        data["auto"] = self._auto
        data["initiator_by_hand"] = self._initiator_by_hand
        return json.dumps(data, ensure_ascii=False)

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Choice.Changed)
    @on(Checkbox.Changed)
    def _edited(self) -> None:
        if not self._loaded:
            self._touched = True
            return
        self._draft.changed(self._draft_json())

    # ---- who started it -------------------------------------------------------------

    @on(Choice.Changed, "#kind")
    def _kind_changed(self, event: Choice.Changed) -> None:
        if not self._initiator_by_hand:
            self.query_one("#initiated_by", Choice).value = default_initiator(event.value)
        self._show_initiator_hint()

    @on(Choice.Changed, "#initiated_by")
    def _initiator_changed(self, event: Choice.Changed) -> None:
        if event.by_hand and not self._initiator_by_hand:
            self._initiator_by_hand = True
            self._edited()  # the draft keeps that the agent chose
        self._show_initiator_hint()

    def _show_initiator_hint(self) -> None:
        initiator = self.query_one("#initiated_by", Choice).value
        kind = self.query_one("#kind", Choice).value
        if initiator == "shop":
            hint = Text.assemble(("店铺发起: 不计首次响应", "bold"), " (催款、回访、联系买家)")
            if not self._initiator_by_hand and default_initiator(kind) == "shop":
                hint.append(f" · 按类型「{KINDS[kind]}」自动选的,←→可改", "dim")
        else:
            hint = Text.assemble("买家发起: 首次响应从买家消息时间起算")
        self.query_one("#initiated_by-hint", Static).update(hint)

    # ---- paste recognition ---------------------------------------------------------------

    @on(TextArea.Changed, "#paste")
    def _pasted(self, event: TextArea.Changed) -> None:
        text = event.text_area.text
        if not text.strip():
            self._picked = None
            self.query_one("#picked", Static).remove_class("-shown")
            return
        app = self.app
        picked = pick_from_paste(text, app.policy, shop_name=app.shop_name or None, now=app.now(),
                                 agents=(*self._agents, app.agent))
        self._picked = picked
        for name in FIELDS:
            value = getattr(picked, name)
            field = self.query_one(f"#{name}", Input)
            if value and (not field.value or field.value == self._auto.get(name)):
                self._auto[name] = value
                field.value = value
        kind = self.query_one("#kind", Choice)
        if picked.kind and (kind.value == "other" or kind.value == self._auto.get("kind")):
            self._auto["kind"] = picked.kind
            kind.value = picked.kind
        desc = self.query_one("#description", TextArea)
        if picked.description and (not desc.text or desc.text == self._auto.get("description")):
            self._auto["description"] = picked.description
            desc.text = picked.description
        self._show_picked()

    def _show_picked(self) -> None:
        """识别到 买家=快乐的小猪 (第1行,说话人) · 订单号=… : what the paste gave which field."""
        picked = self._picked
        line = Text.assemble(("识别到 ", "bold"))
        rows = picked.report() if picked else []
        if not rows:
            line.append("没有识别到买家或订单号,请手动填写", "yellow")
        kind = self.query_one("#kind", Choice).value
        for i, (title, value, where) in enumerate(rows):
            if i:
                line.append(" · ", "dim")
            line.append(f"{title}=")
            line.append(inert(value), "bold")
            line.append(f" ({inert(where)})", "dim")
            name = _FIELD_OF[title]
            current = kind if name == "kind" else self.query_one(f"#{name}", Input).value
            wanted = picked.kind if name == "kind" else value
            if current != wanted:
                line.append(" 未填入:此项已手改", "yellow")
        self.query_one("#picked", Static).update(line)
        self.query_one("#picked", Static).add_class("-shown")

    @on(Input.Changed)
    @on(Choice.Changed, "#kind")
    def _field_changed(self) -> None:
        if self._picked is not None:
            self._show_picked()

    # ---- actions -----------------------------------------------------------------------

    def _show_errors(self, errors: dict[str, str]) -> None:
        for row in ERROR_ROWS:
            for name in row:
                self.query_one(f"#{name}-error", Static).update(Text(errors.get(name, "")))
            shown = any(name in errors for name in row)
            self.query(f".{'-'.join(row)}-errors").set_class(shown, "-shown")
        label = self.query_one("#description-error", Static)
        label.update(Text(errors.get("description", "")))
        label.set_class("description" in errors, "-shown")
        first = next((n for n in (*FIELDS, "description") if n in errors), None)
        if first:
            self.query_one(f"#{first}").focus()
        else:
            other = next(iter(errors.values()), "")
            self._show_form_error(other)

    def _show_form_error(self, message: str) -> None:
        label = self.query_one("#form-error", Static)
        label.update(Text(message))
        label.set_class(bool(message), "-shown")

    def action_save(self) -> None:
        if self._saving:
            return
        app = self.app
        draft = self._collect()
        self._show_form_error("")
        # Validation is pure and instant: check here, so only the write goes to a thread.
        checked = validate_draft(draft, app.policy, app.now())
        self._show_errors(checked if isinstance(checked, dict) else {})
        if isinstance(checked, dict):
            return
        self._saving = True

        def done(case) -> None:
            self._saving = False
            self._reset()
            self._forget_draft()
            app.notify(f"已创建工单 #{case.id}", markup=False)
            # Saved after waiting for the database server, the agent may be elsewhere by now.
            if self.is_current:
                app.open_case(case.id, replace=True)

        def failed(message: str) -> None:
            # The form stays as it is: nothing typed is lost.
            self._saving = False
            self._show_form_error(message)

        app.write(lambda: app.cases.create(draft, app.agent), done, failed)

    def _forget_draft(self) -> None:
        self._draft.forget()

    def on_unmount(self) -> None:
        self._draft.close()  # the console closing with a save pending: written here

    def action_leave(self) -> None:
        body = self._draft_json()
        if self._loaded:
            # Before the saved draft has arrived there is nothing newer to write over it.
            self._draft.leave(body)
        if body:
            self.notify("草稿已保留,按 n 继续填写")
        self.app.pop_screen()

    def _reset(self) -> None:
        self._auto.clear()
        self._initiator_by_hand = False
        self._picked = None
        self._restore({})
        self._show_errors({})
        self.query_one("#picked", Static).remove_class("-shown")

    def action_clear(self) -> None:
        self._reset()
        self.query_one("#paste", TextArea).focus()

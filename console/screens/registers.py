"""登记表: list, filter by date, add and edit register rows, export them for Excel.
Rows are read in worker threads (`app.read`); the screen says "载入中…" until they arrive."""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Label, Static

from console.messages import DataChanged
from console.registers import (
    REGISTERS,
    Register,
    Registers,
    cell,
    check_values,
    export_csv,
    export_xlsx,
)
from console.textsafe import inert
from console.widgets.keybar import KeyBar


def parse_range(text: str, today: date) -> tuple[date | None, date | None] | None:
    """'' -> all; '7' -> last 7 days; '今天'; '2026-11-01' ; '2026-11-01~2026-11-23'."""
    text = text.strip().replace("～", "~").replace("至", "~")
    if not text:
        return None, None
    if text in ("今天", "today"):
        return today, today
    if text.isdigit() and 0 < int(text) <= 3660:
        return today - timedelta(days=int(text) - 1), today
    parts = [p.strip() for p in text.split("~")]
    try:
        days = [date.fromisoformat(p) if p else None for p in parts]
    except ValueError:
        return None
    if any(d is not None and abs(d.year - today.year) > 50 for d in days):
        return None  # a typo, and near year 1 or 9999 the date arithmetic overflows
    if len(days) == 1:
        return days[0], days[0]
    if len(days) == 2:
        if days[0] and days[1] and days[0] > days[1]:
            return None
        return days[0], days[1]
    return None


class RegistersScreen(Screen[None]):
    HELP_TITLE = "登记表"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "返回", id="reg.back"),
        Binding("1", "show('return')", "退件表", id="reg.return"),
        Binding("2", "show('reship')", "重发单", id="reg.reship"),
        Binding("3", "show('problem')", "问题表", id="reg.problem"),
        Binding("f", "filter", "日期", id="reg.filter", tooltip="按日期筛选: 今天 / 7 / 2026-11-01~2026-11-23"),
        Binding("a", "add", "新增", id="reg.add", tooltip="新增一行"),
        Binding("e", "edit", "编辑", id="reg.edit", tooltip="编辑选中行 (也可按回车)"),
        Binding("x", "export('csv')", "导出CSV", id="reg.csv", tooltip="导出 CSV (Excel 可直接打开)"),
        Binding("X", "export('xlsx')", "导出xlsx", id="reg.xlsx", tooltip="导出 Excel .xlsx"),
    ]

    def __init__(self, key: str = "return", case_id: int | None = None) -> None:
        super().__init__()
        self.key = key
        self.case_id = case_id
        self.range_text = "7"
        self.rows: list = []
        # Which register and dates `rows` are of; not (key, range_text) while a read is on its way.
        self.shown: tuple[str, str] | None = None

    @property
    def register(self) -> Register:
        return REGISTERS[self.key]

    @property
    def service(self) -> Registers:
        app = self.app
        return app.services.registers

    def compose(self) -> ComposeResult:
        yield Static(id="reg-title")
        yield DataTable(id="reg-table", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self._paint_title("载入中…")
        self.reload()
        self.query_one(DataTable).focus()

    def _range(self) -> tuple[date | None, date | None]:
        today = self.app.now().astimezone(self.app.policy.timezone).date()
        return parse_range(self.range_text, today) or (None, None)

    def on_data_changed(self, message: DataChanged) -> None:
        """Someone committed (this console or another)."""
        self.reload()

    def reload(self) -> None:
        """Read the rows of the register and dates chosen, in a worker; painted on arrival."""
        service, key, range_text = self.service, self.key, self.range_text
        day_from, day_to = self._range()
        if self.shown != (key, range_text):
            self._paint_title("载入中…")
        self.app.read(lambda: service.rows(key, day_from, day_to),
                      lambda rows: self._loaded(key, range_text, rows), owner=self, key=f"registers:{id(self)}")

    def _loaded(self, key: str, range_text: str, rows: list) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row if self.shown == (key, range_text) else 0  # a refresh keeps the cursor
        self.rows, self.shown = rows, (key, range_text)
        reg = REGISTERS[key]
        table.clear(columns=True)
        for col in reg.columns:
            mark = "▸" if col.side == "warehouse" else ""
            table.add_column(Text(mark + col.title), width=col.width)
        policy = self.app.policy
        for entry in self.rows:
            table.add_row(*[Text(inert(cell(entry, c, policy)), no_wrap=True, overflow="ellipsis")
                            for c in reg.columns], key=str(entry.id))
        if keep and self.rows:
            table.move_cursor(row=min(keep, len(self.rows) - 1))
        self._paint_title(f"{len(self.rows)} 行")

    def _paint_title(self, count: str) -> None:
        day_from, day_to = self._range()
        span = "全部日期" if day_from is None and day_to is None else f"{day_from or '…'} ~ {day_to or '…'}"
        tabs = []
        for i, r in enumerate(REGISTERS.values(), 1):
            tabs.append((f" {i} {r.title} ", "bold reverse" if r.key == self.key else "dim"))
            tabs.append(" ")
        self.query_one("#reg-title", Static).update(Text.assemble(
            *tabs, "   ", (span, "cyan"), f"   {count}", ("   ▸ 仓库填写的列", "dim"),
        ))

    def _ready(self) -> bool:
        """The rows shown are those of the register and dates chosen (else: said, False)."""
        if self.shown != (self.key, self.range_text):
            self.app.notify("登记表还在载入,请稍等")
            return False
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_show(self, key: str) -> None:
        self.key = key
        self.reload()

    def action_filter(self) -> None:
        from console.screens.dialogs import PromptDialog

        today = self.app.now().astimezone(self.app.policy.timezone).date()

        def check(text: str) -> str | None:
            return None if parse_range(text, today) is not None else "格式: 今天 / 7 (最近7天) / 2026-11-01~2026-11-23 / 留空=全部"

        def chosen(text: str | None) -> None:
            if text is not None:
                self.range_text = text
                self.reload()

        self.app.push_screen(PromptDialog("按日期筛选", self.range_text, "今天 / 7 / 2026-11-01~2026-11-23", check), chosen)

    def _selected(self):
        table = self.query_one(DataTable)
        if not self._ready() or not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def on_data_table_row_selected(self) -> None:
        self.action_edit()

    def action_add(self) -> None:
        self.app.push_screen(RegisterForm(self.key, None, self.case_id), lambda ok: ok and self.reload())

    def action_edit(self) -> None:
        entry = self._selected()
        if entry is not None:
            self.app.push_screen(RegisterForm(self.key, entry), lambda ok: ok and self.reload())

    def action_export(self, fmt: str) -> None:
        if not self._ready():
            return
        reg = self.register
        folder = self.app.home.exports_dir  # in the shop's folder, not wherever the shell was
        stamp = self.app.now().astimezone(self.app.policy.timezone).strftime("%Y%m%d-%H%M%S")
        path = folder / f"{reg.title}-{stamp}.{fmt}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (export_csv if fmt == "csv" else export_xlsx)(reg, self.rows, path, self.app.policy)
        except OSError as exc:
            self.app.notify(f"导出失败: {exc}", markup=False, severity="error")
            return
        self.app.notify(f"已导出 {len(self.rows)} 行 → {path}", markup=False)


class RegisterForm(ModalScreen[bool]):
    """Add or edit one register row. Errors show under their field; nothing is saved half-way.
    `entry`: the row to edit; `row_id` instead: the row is read in a worker when the form
    opens (its fields wait, disabled, until it is there)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "保存", priority=True, id="regform.save"),
        Binding("escape", "cancel", "取消", id="regform.cancel"),
    ]

    def __init__(self, key: str, entry=None, case_id: int | None = None, prefill: dict | None = None,
                 *, row_id: int | None = None) -> None:
        super().__init__()
        self.reg = REGISTERS[key]
        self.entry = entry
        self.row_id = entry.id if entry is not None else row_id
        self.case_id = case_id
        self.prefill = prefill or {}

    @classmethod
    def for_row(cls, app, key: str, row_id: int) -> RegisterForm:
        """The form for a row the SOP created, to fill in the rest. The row is read when the
        form opens, not here (`app` is no longer needed; kept for the callers)."""
        return cls(key, row_id=row_id)

    @property
    def loading(self) -> bool:
        return self.row_id is not None and self.entry is None

    def compose(self) -> ComposeResult:
        policy = self.app.policy
        title = f"{self.reg.title} · " + (f"编辑第 {self.row_id} 行" if self.row_id is not None else "新增")
        if self.case_id:
            title += f" (工单 #{self.case_id})"
        with Vertical(classes="dialog wide"):
            yield Label(Text(title), classes="dialog-title")
            with VerticalScroll(id="regform-fields"):
                for col in self.reg.editable:
                    side = " (仓库)" if col.side == "warehouse" else ""
                    yield Label(f"{col.title}{side}", classes="field-label")
                    value = cell(self.entry, col, policy) if self.entry else str(self.prefill.get(col.name, ""))
                    yield Input(value, id=f"f-{col.name}", disabled=self.loading)
                    yield Label("", id=f"e-{col.name}", classes="field-error")
            yield Label("Ctrl+S 保存 · Tab 下一项 · Esc 取消", classes="dialog-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        if self.loading:
            svc, key, row_id = self.app.services.registers, self.reg.key, self.row_id
            self.app.read(lambda: svc.row(key, row_id), self._loaded, owner=self, key=f"register-form:{id(self)}")
            return
        self.query(Input).first().focus()

    def _loaded(self, entry) -> None:
        if entry is None:
            self.app.notify(f"{self.reg.title} 没有第 {self.row_id} 行", markup=False, severity="error")
            self.dismiss(False)
            return
        self.entry = entry
        policy = self.app.policy
        for col in self.reg.editable:
            field = self.query_one(f"#f-{col.name}", Input)
            field.value = cell(entry, col, policy)
            field.disabled = False
        self.query(Input).first().focus()

    def action_save(self) -> None:
        if self.loading:
            self.app.notify("这一行还在载入,请稍等")
            return
        values = {col.name: self.query_one(f"#f-{col.name}", Input).value for col in self.reg.editable}
        if self.case_id is not None:
            # Empty buyer/order on a case's row take the case's own.
            values = {k: v for k, v in values.items() if not (k in ("buyer_id", "order_code") and not v.strip())}
        app = self.app
        for col in self.reg.editable:
            self.query_one(f"#e-{col.name}", Label).update("")
            self.query_one(f"#e-{col.name}", Label).remove_class("-shown")
        # Check here (pure, instant) so only the write itself goes to a worker thread.
        _, errors = check_values(self.reg, values, app.policy, app.now())
        if self.entry is None and self.case_id is not None:
            errors.pop("buyer_id", None)  # taken from the case
        if errors:
            for name, message in errors.items():
                label = self.query_one(f"#e-{name}", Label)
                label.update(Text(message))
                label.add_class("-shown")
            return
        svc = app.services.registers
        key, entry, case_id = self.reg.key, self.entry, self.case_id

        def job():
            if entry is not None:
                return svc.update(key, entry.id, values, app.agent)
            return svc.add(key, values, app.agent, case_id=case_id)

        def done(_row) -> None:
            app.notify(f"{self.reg.title} 已保存", markup=False)
            if self.is_current:  # not when it waited for the server and the agent moved on
                self.dismiss(True)

        app.write(job, done)

    def action_cancel(self) -> None:
        self.dismiss(False)


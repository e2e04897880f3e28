"""The floor the queue's key figures are divided by: a bare Line-API table.

The least a Textual widget can do for the same keys: a `ScrollView` whose `render_line`
draws one plain line per row, a cursor moved by repainting two lines, and for a filter or
a search character the same domain call the queue makes (`QueueReader.view`, so the same
SQL) in a thread worker, then a repaint. No header, counts, notes pane, colours per
deadline or column fitting. The console divided by this, measured in the same process
with the same harness, is what the console's own drawing and bookkeeping cost; a busy
machine slows both alike.
"""

from __future__ import annotations

from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.events import Key
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from console.queue import PAGE, QueueFilter, QueueReader, QueueRow

CURSOR = Style(reverse=True)
PLAIN = Style()


def line_of(row: QueueRow) -> str:
    due = row.next_due_at.strftime("%m-%d %H:%M")
    return f"{row.id:>8}  {row.buyer_id:<20}  {row.kind:<10}  {row.status:<10}  {due}"


class BareTable(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("down", "move(1)"),
        Binding("up", "move(-1)"),
        Binding("pagedown", "page(1)"),
        Binding("pageup", "page(-1)"),
        Binding("home", "jump(0)"),
        Binding("end", "jump(-1)"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.total = 0
        self.lines: dict[int, str] = {}
        self.cursor_row = 0

    def show(self, total: int, pages: dict[int, list[QueueRow]], cursor: int = 0) -> None:
        self.total = total
        self.lines = {n * PAGE + i: line_of(row) for n, rows in pages.items() for i, row in enumerate(rows)}
        self.cursor_row = cursor
        self.virtual_size = Size(self.size.width, total)
        self.scroll_to(y=0, animate=False)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.size.width
        if index >= self.total:
            return Strip.blank(width)
        text = self.lines.get(index, "…")
        style = CURSOR if index == self.cursor_row else PLAIN
        return Strip([Segment(text, style)]).extend_cell_length(width, style).crop(0, width)

    def _to(self, row: int) -> None:
        row = max(0, min(row, self.total - 1))
        old, self.cursor_row = self.cursor_row, row
        self.scroll_to_region(Region(0, row, 1, 1), animate=False, immediate=True)
        top = self.scroll_offset.y
        for index in (old, row):
            self.refresh(Region(0, index - top, self.size.width, 1))

    def action_move(self, step: int) -> None:
        self._to(self.cursor_row + step)

    def action_page(self, step: int) -> None:
        self._to(self.cursor_row + step * self.size.height)

    def action_jump(self, where: int) -> None:
        self._to(0 if where == 0 else self.total - 1)


class BareApp(App):
    """The bare table over the same reader; filter keys m u o d, typed characters search."""

    FILTER_KEYS = {"m": "mine", "u": "urgent", "o": "overdue", "d": "due_soon"}

    def __init__(self, reader: QueueReader, now: datetime, rows: int) -> None:
        super().__init__()
        self.reader, self.now, self.rows = reader, now, rows
        self.filter = QueueFilter()
        self.searching = False

    def compose(self) -> ComposeResult:
        yield BareTable()

    def on_mount(self) -> None:
        # Enough rows in memory for the cursor run, read before anything is timed.
        f, now, table = self.filter, self.now, self.query_one(BareTable)
        pages = {n: self.reader.page(f, now, n * PAGE, PAGE) for n in range(self.rows // PAGE + 1)}
        table.show(self.reader.count(f, now), pages)
        table.focus()

    def _read(self) -> None:
        f, now, reader = self.filter, self.now, self.reader
        height = max(self.query_one(BareTable).size.height, 40)

        def job() -> None:
            view = reader.view(f, now, near=0, selected=None, height=height)
            self.call_from_thread(self.query_one(BareTable).show, view.total, view.pages, view.cursor)

        self.run_worker(job, thread=True, group="reads", exit_on_error=False)

    def on_key(self, event: Key) -> None:
        key = event.key
        if key == "slash":
            self.searching = True
        elif key == "escape":
            self.searching = False
            self.filter = QueueFilter()
        elif self.searching and event.character and event.is_printable:
            self.filter = QueueFilter(search=self.filter.search + event.character)
            self._read()
        elif key in self.FILTER_KEYS:
            self.filter = self.filter.toggled(self.FILTER_KEYS[key])
            self._read()
        else:
            return
        event.stop()

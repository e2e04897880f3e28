"""The queue table: a virtual list drawn line by line (Textual's Line API).

Only the rows on screen are drawn, from pages of rows the screen reads in a worker thread
(never on the UI thread): a line whose page has not arrived yet is a dim placeholder, and
is filled in when it comes. A reload hands over the count, the cursor and the pages around
it at once (`show`), so the screen never flickers through placeholders for data it had.
The static part of each row is cached; the countdown is formatted while drawing, so
the once-a-second tick is a plain `refresh()` of the visible lines.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.color import Color as TColor
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from console.models import NO_DEADLINE
from console.queue import PAGE, QueueRow
from console.sla import Policy, format_age, format_countdown, state_at
from console.textsafe import inert
from console.vocab import KINDS, STATUSES, label

ESCALATION_MARK = {"senior": "资", "supervisor": "主", "risk_legal": "法", "special_team": "专"}
REFUND_ACTIVE = frozenset({"waiting_seller_agree", "waiting_buyer_return", "waiting_seller_confirm"})

# (title, width); the buyer column takes what is left.
COLUMNS: list[tuple[str, int]] = [
    ("", 6),  # marks: 急 urgent, 资/主/法/专 escalated, 退 refund under way, 介 platform stepped in
    ("倒计时", 8),
    ("时限", 10),
    ("买家", 0),
    ("订单号", 20),
    ("类型", 8),
    ("状态", 6),
    ("处理人", 8),
    ("谁在看", 7),  # another agent with the case open now: 小李, typing: 小李✎, more: 小李✎+1
    ("时长", 5),
]
PRESENCE_COLUMN = 8
TYPING_MARK = "✎"  # one cell wide (East Asian Width N)
GAP = 1
MIN_BUYER = 12
MIN_CONTRAST = 3.0  # a deadline colour on the cursor bar is lightened (darkened) to at least this
MAX_BUYER = 24  # wider leaves the columns to the right too far from the buyer


def fit(text: str, width: int) -> str:
    """Pad or cut `text` to exactly `width` cells; a cut ends in an ellipsis."""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


# When the table is narrow (the notes pane is open), these columns go first, in this order.
# Without 谁在看 the marks column still shows ✎ for a case another agent is typing in.
DROP_ORDER = (9, 2, 8, 7)  # 时长, 时限, 谁在看, 处理人


def column_widths(total: int) -> list[int]:
    """Cell width of each column; 0 for a column dropped to make room."""
    widths = [w for _, w in COLUMNS]
    for drop in (None, *DROP_ORDER):
        if drop is not None:
            widths[drop] = 0
        shown = [w for i, w in enumerate(widths) if w or i == 3]
        fixed = sum(shown) + GAP * (len(shown) - 1)
        if total - fixed >= MIN_BUYER:
            break
    widths[3] = min(MAX_BUYER, max(MIN_BUYER, total - fixed))
    return widths


def presence_cell(present: tuple[tuple[str, bool, str], ...], width: int) -> str:
    """The 谁在看 cell: the first agent (typing ones come first) with ✎ when typing and +N
    for the others, cut to `width` cells without losing the marks; "" for nobody."""
    if not present:
        return ""
    name, typing, _screen = present[0]
    suffix = (TYPING_MARK if typing else "") + (f"+{len(present) - 1}" if len(present) > 1 else "")
    name = inert(name)
    room = max(1, width - cell_len(suffix))
    if cell_len(name) > room:
        name = set_cell_size(name, room - 1).rstrip() + "…"
    return name + suffix


def header_line(total: int) -> str:
    widths = column_widths(total)
    return (" " * GAP).join(fit(title, w) for (title, _), w in zip(COLUMNS, widths, strict=True) if w)


class CaseTable(ScrollView, can_focus=True):
    """Open cases in deadline order, with live countdowns."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "上移", show=False, id="table.up"),
        Binding("down", "cursor(1)", "下移", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "上一页", show=False, id="table.page_up"),
        Binding("pagedown", "page(1)", "下一页", show=False, id="table.page_down"),
        Binding("home", "jump(0)", "第一条", show=False, id="table.first"),
        Binding("end", "jump(-1)", "最后一条", show=False, id="table.last"),
        Binding("enter", "open", "打开", id="queue.open"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "case-table--cursor",
        "case-table--overdue",
        "case-table--warning",
        "case-table--ok",
        "case-table--paused",
        "case-table--urgent",
        "case-table--dim",
    }

    DEFAULT_CSS = """
    CaseTable {
        height: 1fr;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        & > .case-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: bold;
        }
        & > .case-table--overdue { color: $error; text-style: bold; }
        & > .case-table--warning { color: $warning; text-style: bold; }
        & > .case-table--ok { color: $success; }
        & > .case-table--paused { color: $text-muted; }
        & > .case-table--urgent { color: $error; text-style: bold reverse; }
        & > .case-table--dim { color: $text-muted; }
    }
    """

    # The watcher repaints just the two rows involved; a full repaint per move is wasted.
    cursor_row: reactive[int] = reactive(0, repaint=False)

    class Opened(Message):
        """The agent pressed Enter on a case."""

        def __init__(self, case_id: int) -> None:
            super().__init__()
            self.case_id = case_id

    class Resized(Message):
        """The table's width changed (window resized, notes pane shown): redo the header."""

        def __init__(self, width: int) -> None:
            super().__init__()
            self.width = width

    class Highlighted(Message):
        def __init__(self, row: QueueRow | None) -> None:
            super().__init__()
            self.row = row

    def __init__(
        self,
        request: Callable[[int, int], None],
        now: Callable[[], datetime],
        policy: Policy,
        *,
        id: str | None = None,
    ) -> None:
        """`request(generation, page_no)`: read that page off the UI thread and hand it to
        `set_page` (a page of an older generation is dropped there)."""
        super().__init__(id=id)
        self._request = request
        self._now = now
        self._policy = policy
        self._pages: dict[int, list[QueueRow]] = {}
        self._asked: set[int] = set()
        self._holding = False  # a reload is on its way: do not ask for pages of the old data
        self.generation = 0
        self._static: dict[tuple, list[Segment]] = {}
        self._strips: dict[tuple, Strip] = {}
        # Other agents with a case open now, by case (console/presence.py Team.on_case).
        self._present: dict[int, tuple[tuple[str, bool, str], ...]] = {}
        self._styles: dict[str, Style] = {}
        self._readable: dict[str, Color | None] = {}
        # What each screen line showed in its countdown column at the last paint.
        self._shown: dict[int, str] = {}
        self.total = 0

    # ---- data ------------------------------------------------------------------

    def show(self, total: int, pages: dict[int, list[QueueRow]], cursor: int) -> None:
        """New data at once: the row count, the pages read with it and the cursor's row.
        Pages read before this are dropped, including any still on their way."""
        self.generation += 1
        self._holding = False
        self.total = total
        self._pages = dict(pages)
        self._asked.clear()
        self._static.clear()
        self._strips.clear()
        self.virtual_size = Size(0, total)
        cursor = max(0, min(cursor, total - 1))
        if cursor != self.cursor_row:
            self.cursor_row = cursor  # its watcher says what is highlighted now
        else:
            self._scroll_cursor_visible()
            self.post_message(self.Highlighted(self.current))
        self.refresh()

    def set_presence(self, present: dict[int, tuple[tuple[str, bool, str], ...]]) -> None:
        """Who else has which case open now: repaint the visible rows if that changed."""
        if present != self._present:
            self._present = present
            self.refresh()

    def hold(self) -> None:
        """The data is about to be replaced (a filter changed): keep showing what is there,
        and ask for no more pages of it, until `show`."""
        self._holding = True

    def set_page(self, generation: int, page_no: int, rows: list[QueueRow]) -> None:
        """A page the table asked for has arrived."""
        if generation != self.generation:
            return
        self._asked.discard(page_no)
        if len(self._pages) > 50:  # keep memory flat while scrolling a long queue
            keep = self.cursor_row // PAGE
            self._pages = {n: p for n, p in self._pages.items() if abs(n - keep) <= 2}
        self._pages[page_no] = rows
        self.refresh()
        if self.cursor_row // PAGE == page_no:
            self.post_message(self.Highlighted(self.current))

    def page_failed(self, generation: int, page_no: int) -> None:
        """A page could not be read: it is asked for again the next time it is drawn."""
        if generation == self.generation:
            self._asked.discard(page_no)

    def row_at(self, index: int) -> QueueRow | None:
        """The row at `index`; None past the end or while its page is on its way."""
        if not 0 <= index < self.total:
            return None
        page_no, offset = divmod(index, PAGE)
        page = self._pages.get(page_no)
        if page is None:
            self._ask(page_no)
            return None
        return page[offset] if offset < len(page) else None

    def _ask(self, page_no: int) -> None:
        if page_no in self._asked or self._holding:
            return
        self._asked.add(page_no)
        # After this paint, not during it: the request starts a worker.
        self.call_later(self._request, self.generation, page_no)

    @property
    def current(self) -> QueueRow | None:
        return self.row_at(self.cursor_row)

    # ---- cursor ----------------------------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)
        self._scroll_cursor_visible()
        self.post_message(self.Highlighted(self.current))
        self._prefetch()

    def _prefetch(self) -> None:
        """Ask ahead for the pages a screen above and below what is shown, so a cursor
        walking or paging on finds its rows already there instead of placeholders."""
        if not self.total:
            return
        height = max(1, self.size.height)
        top = int(self.scroll_y)
        first = max(0, top - height) // PAGE
        last = min(self.total - 1, top + 2 * height) // PAGE
        for page_no in range(first, last + 1):
            if page_no not in self._pages:
                self._ask(page_no)

    def _refresh_row(self, index: int) -> None:
        y = index - int(self.scroll_y)
        if 0 <= y < self.size.height:
            self.refresh_lines(index, 1)

    def _scroll_cursor_visible(self) -> None:
        top, height = int(self.scroll_y), max(1, self.size.height)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + height:
            self.scroll_to(y=self.cursor_row - height + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        if self.total:
            self.cursor_row = min(self.total - 1, max(0, self.cursor_row + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.size.height - 1))

    def action_jump(self, where: int) -> None:
        if self.total:
            self.cursor_row = self.total - 1 if where < 0 else 0

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Opened(row.id))

    def on_resize(self) -> None:
        self.virtual_size = Size(0, self.total)
        self._static.clear()
        self.post_message(self.Resized(self.scrollable_content_region.width))

    def tick(self) -> None:
        """Repaint only the lines whose countdown text changed since the last paint: near
        the top of a busy queue most read like '-5h57m' and change once a minute."""
        now = self._now()
        top = int(self.scroll_y)
        for y in range(min(self.size.height, self.total - top)):
            row = self.row_at(top + y)
            if row is not None and self._shown.get(y) != _countdown(row, now)[0]:
                self.refresh_lines(top + y, 1)

    # ---- drawing ---------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        row = self.row_at(index)
        if row is None:
            self._shown.pop(y, None)
            if index < self.total:  # its page is on its way
                return self._placeholder(index == self.cursor_row, width)
            return Strip.blank(width, self._style("base"))
        now = self._now()
        countdown, state = _countdown(row, now)
        self._shown[y] = countdown
        return self._row_strip(row, index == self.cursor_row, width, now, countdown, state).crop(
            scroll_x, scroll_x + width)

    def _style(self, name: str) -> Style:
        # Resolving a component style walks the CSS; a screen of rows asks ~200 times a paint.
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = (
                self.rich_style if name == "base" else self.get_component_rich_style(f"case-table--{name}")
            )
        return style

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._readable.clear()
        self._static.clear()
        self._strips.clear()

    def _placeholder(self, cursor: bool, width: int) -> Strip:
        style = self._style("base") + self._style("dim")
        if cursor:
            style += self._cursor("bar")
        return Strip([Segment(fit("", COLUMNS[0][1] + GAP) + "…", style)]).adjust_cell_length(width, style)

    def _row_strip(self, row: QueueRow, cursor: bool, width: int, now: datetime, countdown: str,
                   state: str) -> Strip:
        # A scroll by one row redraws every line; all but one were drawn a moment ago.
        present = self._present.get(row.id, ())
        key = (row.id, row.version, width, cursor, countdown, state, int(now.timestamp()) // 60, present)
        strip = self._strips.get(key)
        if strip is None:
            if len(self._strips) > 500:
                self._strips.clear()
            strip = self._strips[key] = self._build_strip(row, cursor, width, now, countdown, state, present)
        return strip

    def _build_strip(self, row: QueueRow, cursor: bool, width: int, now: datetime, countdown: str,
                     state: str, present: tuple[tuple[str, bool, str], ...]) -> Strip:
        widths = column_widths(width)
        base = self._style("base")
        marks = (
            ("急" if row.urgent else "")
            + ESCALATION_MARK.get(row.escalated_to or "", "")
            + ("退" if row.refund_status in REFUND_ACTIVE else "")
            + ("介" if row.platform_intervened else "")
            # Too narrow for 谁在看: another agent typing in it still shows.
            + (TYPING_MARK if not widths[PRESENCE_COLUMN] and any(t for _, t, _ in present) else "")
        )
        gap = Segment(" " * GAP, base)
        mark_style = self._style("urgent") if row.urgent else base + self._style("warning")
        time_style = base + self._style(state)
        if cursor:
            # The cursor goes *over* each cell's own style (Strip.apply_style would put it
            # under, where a cell that sets its own colours hides it): the bar's background on
            # every cell, its text colour except for the deadline colours, kept readable on it.
            # The urgent mark is not reversed there: the bar stays one piece; 急 still says it.
            gap = Segment(" " * GAP, self._cursor("bar"))
            mark_style = self._on_bar(mark_style + Style(reverse=False))
            time_style = self._on_bar(time_style)
        segments = [
            Segment(fit(marks, widths[0]), mark_style),
            gap,
            Segment(fit(countdown, widths[1]), time_style),
            gap,
        ]
        # Age moves by the minute, so the cache key does too.
        key = (row.id, row.version, width, cursor, int(now.timestamp()) // 60, present)
        static = self._static.get(key)
        if static is None:
            if len(self._static) > 2000:
                self._static.clear()
            static = self._static_segments(row, widths, now, base, present)
            if cursor:
                static = list(Segment.apply_style(static, post_style=self._cursor("bar")))
            self._static[key] = static
        segments += static
        # Neighbours of one style drawn as one segment: every later step of a paint (line
        # filters, cropping, the compositor) works per segment.
        strip = Strip(Segment.simplify(segments)).adjust_cell_length(width, base + self._cursor("bar") if cursor else base)
        return strip.simplify()

    def _cursor(self, part: str) -> Style:
        """The cursor row's style: "bar" (background, text colour, weight) or "bg" (no colour)."""
        name = f"cursor-{part}"
        style = self._styles.get(name)
        if style is None:
            cursor = self._style("cursor")
            color = cursor.color if part == "bar" else None
            style = self._styles[name] = Style(color=color, bgcolor=cursor.bgcolor, bold=cursor.bold)
        return style

    def _on_bar(self, style: Style) -> Style:
        """`style` on the cursor bar: the bar's background, and the cell's own colour made
        light (or dark) enough to read there, so red stays reddish on a blue bar."""
        key = str(style.color)
        color = self._readable.get(key)
        if color is None:
            bar = self._style("cursor")
            color = self._readable[key] = (
                readable_on(style.color, bar.bgcolor) if style.color and bar.bgcolor else bar.color
            )
        return style + self._cursor("bg") + Style(color=color)

    def _static_segments(self, row: QueueRow, widths: list[int], now: datetime, base: Style,
                         present: tuple[tuple[str, bool, str], ...]) -> list[Segment]:
        dim = base + self._style("dim")
        typing = any(t for _, t, _ in present)
        cells = [
            (self._policy.label(row.next_due_kind), dim),
            (inert(row.buyer_id), base),
            (row.order_no or "—", base),
            (label(KINDS, row.kind), base),
            (label(STATUSES, row.status), base),
            (inert(row.assignee) or "待分配", base if row.assignee else dim),
            (presence_cell(present, widths[PRESENCE_COLUMN]), base + self._style("warning") if typing else base),
            (format_age(now - row.created_at), dim),
        ]
        out: list[Segment] = []
        for (text, style), w in zip(cells, widths[2:], strict=True):
            if not w:
                continue
            if out:
                out.append(Segment(" " * GAP, base))
            out.append(Segment(fit(text, w), style))
        return out


def contrast(a: Color, b: Color) -> float:
    """WCAG contrast ratio of two colours (1 = none, 21 = black on white)."""

    def luminance(color: Color) -> float:
        def channel(v: int) -> float:
            c = v / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = color.get_truecolor()
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)

    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def readable_on(color: Color, background: Color, minimum: float = MIN_CONTRAST) -> Color:
    """`color`, or the nearest mix of it with white (or black) that reads on `background`."""
    if contrast(color, background) >= minimum:
        return color
    own, bg = TColor.from_rich_color(color), TColor.from_rich_color(background)
    target = bg.get_contrast_text(1.0)
    for step in range(1, 11):
        mixed = own.blend(target, step / 10).rich_color
        if contrast(mixed, background) >= minimum:
            return mixed
    return target.rich_color


def _countdown(row: QueueRow, now: datetime) -> tuple[str, str]:
    """(text, state) of a row's nearest clock."""
    if row.next_due_at >= NO_DEADLINE:
        if row.status == "resolved":
            return "待办", "paused"  # resolved, with checklist steps kept until they are done
        return ("已结" if row.status == "closed" else "暂停"), "paused"
    return format_countdown(row.next_due_at - now), state_at(row.next_due_at, row.next_warn_at, now)

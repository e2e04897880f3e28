"""Tables that fit the width they are drawn at: the less needed columns go first.

`FittedTable` is a Rich renderable: Rich hands it the width at draw time (a resize, the
notes pane shown or hidden), so it never wraps a cell; it shortens or drops columns in the
order given until the rest fits, and the columns that matter stay whole.

`share_width` is the same idea for a DataTable whose column widths we set: columns that
must not be cut get their natural width, the others share what is left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

GAP = 2  # cells between two columns


@dataclass
class FitColumn:
    """A column: its header, its cells, and optionally a shorter form to fall back on."""

    header: str
    cells: list[Text] = field(default_factory=list)
    short: list[Text] | None = None
    short_header: str | None = None


class FittedTable:
    """Rows under headers; `plan` says how to make room, one step at a time:
    ("short", i) swaps column i to its short cells, ("drop", i) removes it."""

    def __init__(self, columns: Sequence[FitColumn], plan: Sequence[tuple[str, int]] = ()) -> None:
        self.columns = list(columns)
        self.plan = list(plan)

    @staticmethod
    def _width(cells: list[Text], header: str) -> int:
        return max([cell_len(header), *(c.cell_len for c in cells)])

    def layout(self, width: int) -> list[tuple[str, list[Text]]]:
        """(header, cells) of the columns shown at `width`, after as few plan steps as fit."""
        shown: dict[int, tuple[str, list[Text]]] = {i: (c.header, c.cells) for i, c in enumerate(self.columns)}

        def total() -> int:
            widths = [self._width(cells, header) for header, cells in shown.values()]
            return sum(widths) + GAP * (len(widths) - 1)

        for action, index in self.plan:
            if total() <= width:
                break
            if index not in shown:
                continue
            if action == "drop":
                del shown[index]
            elif action == "short" and (column := self.columns[index]).short is not None:
                shown[index] = (column.short_header or column.header, column.short)
        return [shown[i] for i in sorted(shown)]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        columns = self.layout(options.max_width)
        table = Table(box=None, padding=(0, GAP // 2), pad_edge=False, show_header=True,
                      header_style="dim", expand=False)
        for header, _ in columns:
            table.add_column(header, no_wrap=True, overflow="ellipsis")
        rows = len(columns[0][1]) if columns else 0
        for r in range(rows):
            table.add_row(*(cells[r] for _, cells in columns))
        yield table

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        full = self.layout(10**6)
        widest = sum(self._width(cells, h) for h, cells in full) + GAP * max(0, len(full) - 1)
        return Measurement(1, min(widest, options.max_width))


def share_width(natural: Sequence[int], keep: Sequence[bool], total: int,
                minimum: Sequence[int] | int = 4) -> list[int]:
    """Widths for columns with these natural (content) widths in `total` cells.

    Columns marked `keep` get their natural width. The others first get their minimum
    (or natural width, if smaller), then share what is left fairly, the least wanting
    first, none beyond its natural width. What nobody wants goes to the last shared
    column, so the table fills the line. The sum exceeds `total` only when the kept
    columns and the minimums alone do.
    """
    mins = [minimum] * len(natural) if isinstance(minimum, int) else list(minimum)
    flex = [i for i, k in enumerate(keep) if not k]
    widths = [n if keep[i] else min(n, mins[i]) for i, n in enumerate(natural)]
    room = total - sum(widths)
    wanting = sorted((i for i in flex if natural[i] > widths[i]), key=lambda i: natural[i] - widths[i])
    for done, i in enumerate(wanting):
        if room <= 0:
            break
        give = min(natural[i] - widths[i], room // (len(wanting) - done))
        widths[i] += give
        room -= give
    if room > 0 and flex:
        widths[flex[-1]] += room
    return widths

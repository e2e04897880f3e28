"""A trend drawn in one line of text: ▁▂▃▄▅▆▇█, one character a day (or a few days each when
the range is wider than the room). No Textual here: the figures screen puts it in a table cell.

Why text and not Textual's Sparkline widget or a plotting library: a figure is one row of a
table (name, value, trend, rank) that the cursor moves over, and at 80 columns a 30-day trend
gets 30 cells; a text sparkline sits in that row's cell, aligned with the others, while a widget
per row needs its own layout and cannot tell a day with nothing counted (drawn `·`) from a zero.
"""

from __future__ import annotations

BLOCKS = "▁▂▃▄▅▆▇█"
NOTHING = "·"  # a day with nothing counted (no median on a day without replies)


def buckets(values: list[float | None], width: int) -> list[float | None]:
    """`values` in at most `width` groups of neighbouring days, each the mean of its counted days."""
    if width <= 0:
        return []
    if len(values) <= width:
        return list(values)
    out: list[float | None] = []
    for i in range(width):
        part = [v for v in values[i * len(values) // width:(i + 1) * len(values) // width] if v is not None]
        out.append(sum(part) / len(part) if part else None)
    return out


def spark(values: list[float | None], width: int) -> str:
    """Heights from 0 to the highest value (figures are never negative), so a bar twice as tall
    is twice as much; a zero is the lowest block, a day with nothing counted `·`."""
    points = buckets(values, width)
    counted = [v for v in points if v is not None]
    top = max(counted, default=0) or 0
    out = []
    for v in points:
        if v is None:
            out.append(NOTHING)
        elif top <= 0:
            out.append(BLOCKS[0])
        else:
            out.append(BLOCKS[min(len(BLOCKS) - 1, int(max(0.0, v) / top * (len(BLOCKS) - 1) + 0.5))])
    return "".join(out)

"""Numbers with their units, kept on one line when Chinese text wraps.

Textual and Rich wrap at whitespace, and U+00A0 counts as whitespace to them (Python's
`\\s`): `4 天` and `4\\u00a0天` both may break into `4` / `天`. A run with no space is
moved to the next line whole, so a number and its unit are written together: `4天`,
`2小时`, `30%`, `12.50元`. A run longer than the line is cut at any cell, though, so inside
a long stretch of Chinese the pair starts after a space: `补偿 50元 超过…`, `前一天 0点 到 23点 拍下`.
U+2060 (word joiner) would also hold, but some terminals draw it one cell wide.
"""

from __future__ import annotations


def qty(number: object, unit: str) -> str:
    """`number` and `unit` as one unbreakable piece: qty(4, "天") -> "4天"."""
    return f"{number}{unit}"


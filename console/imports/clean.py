"""Cleaning the cells of a Qianniu export: the quirks Excel and the seller centre add.

Each function takes the cell as text and returns the clean value, or raises CellError with
the reason in Chinese (the caller names the file, line and column).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, tzinfo

from console.money import AmountError, parse_amount

# 2026-11-23 14:03:22, and after Excel 2026/11/23 14:03 (or 2026/1/5 9:03); a bare date too.
# A pattern, not strptime over a list of formats: a 100,000-row export has 300,000 times.
_TIME = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?$")
_PROVINCE = re.compile(r"^(.{2,8}?(?:特别行政区|自治区|省|市))")
# A cell that says "nothing here" in an export.
_EMPTY = frozenset({"", "-", "--", "null", "无", "暂无"})


class CellError(ValueError):
    """A cell that cannot be read; str() is the reason in Chinese."""


def text(cell: str) -> str:
    """A text cell: Excel's `="…"` wrapper and leading `'` (which keep digits as text) and
    surrounding spaces removed; "-", "null", "无" mean empty."""
    s = cell.strip()
    if s and (s[0] in "='" or "\u3000" in s):
        if s.startswith('="') and s.endswith('"') and len(s) >= 3:
            s = s[2:-1]
        s = s.removeprefix("'").strip()
        s = s.replace("\u3000", " ").strip()
    return "" if len(s) <= 4 and s.lower() in _EMPTY else s


def digits(cell: str, what: str, min_len: int = 1, max_len: int = 32) -> str:
    """An order or refund number: digits only (full-width digits become ASCII)."""
    s = unicodedata.normalize("NFKC", text(cell))
    if not s:
        raise CellError(f"{what}是空的")
    if not (s.isascii() and s.isdigit()):
        raise CellError(f"{what}只能是数字, 这里是“{s[:40]}”")
    if not min_len <= len(s) <= max_len:
        raise CellError(f"{what}应为 {min_len}–{max_len} 位数字, 这里是 {len(s)} 位")
    return s


def amount(cell: str, what: str) -> str | None:
    """Yuan with two decimals ('12.5元', '¥1,234', '0') as text like the registers; None when
    the cell is empty. Zero is allowed here (a 0 元 postage), negative is not."""
    s = unicodedata.normalize("NFKC", text(cell)).replace(",", "").removesuffix("元").strip()
    if not s:
        return None
    try:
        if s.removeprefix("¥").strip().strip("0").strip(".") == "":
            return "0.00"  # 0, 0.0, 0.00: parse_amount refuses zero, an export may hold it
        return f"{parse_amount(s, what=what):.2f}"
    except AmountError as exc:
        raise CellError(str(exc)) from None


def shop_time(cell: str, zone: tzinfo, what: str) -> datetime | None:
    """'2026-11-23 14:03:22' or, after Excel, '2026/11/23 14:03' in the shop's zone -> aware
    UTC; None when empty."""
    s = unicodedata.normalize("NFKC", text(cell))
    if not s:
        return None
    m = _TIME.match(s)
    if m is not None:
        try:
            local = datetime(*(int(g) for g in m.groups() if g is not None))
        except ValueError:
            raise CellError(f"{what}不是一个存在的时间: “{s[:40]}”") from None
        if not 2000 <= local.year <= 2100:
            raise CellError(f"{what}的年份不对: “{s}”")
        return local.replace(tzinfo=zone).astimezone(UTC)
    raise CellError(f"{what}看不懂: “{s[:40]}” (应为 2026-11-23 14:03:22 或 2026/11/23 14:03)")


def quantity(cell: str, what: str) -> int:
    s = unicodedata.normalize("NFKC", text(cell))
    if not s:
        return 1
    if not s.isdigit():
        raise CellError(f"{what}应为整数, 这里是“{s[:20]}”")
    return int(s)


def province(address: str) -> str:
    """The province (or municipality) at the start of an address: '浙江省 杭州市 …' -> 浙江省."""
    s = text(address)
    if not s:
        return ""
    first = s.split()[0]
    m = _PROVINCE.match(first) or _PROVINCE.match(s)
    return m.group(1) if m else first[:20]

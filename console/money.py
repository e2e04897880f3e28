"""Amounts of money as agents type them: yuan, positive, at most two decimals.

One parser for the wizard's rules and the registers alike.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from console.units import qty

_AMOUNT = re.compile(r"^(\d+)(?:\.(\d+))?$")
_CENT = Decimal("0.01")


class AmountError(ValueError):
    """An amount the agent typed is not a valid sum of yuan; str() is the Chinese message."""


def parse_amount(text: str | int | Decimal, *, what: str = "金额",
                 maximum: Decimal | None = None) -> Decimal:
    """'12', '12.5', '¥12.50', '12元', full-width digits -> Decimal; AmountError otherwise."""
    if isinstance(text, Decimal | int) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str):
        raise AmountError(f"{what}应为数字,例如 12 或 12.50")
    # NFKC turns full-width digits and points (１２．５) into ASCII.
    s = unicodedata.normalize("NFKC", text).strip().removeprefix("¥").removesuffix("元").strip()
    if not s:
        raise AmountError(f"请输入{what}")
    if s.startswith("-"):
        raise AmountError(f"{what}必须大于 0")
    match = _AMOUNT.match(s)
    if not match:
        raise AmountError(f"{what}应为数字,例如 12 或 12.50 (got {text!r})")
    if match.group(2) is not None and len(match.group(2)) > 2:
        raise AmountError(f"{what}最多两位小数")
    value = Decimal(s)
    if value <= 0:
        raise AmountError(f"{what}必须大于 0")
    if maximum is not None and value > maximum:
        raise AmountError(f"{what}过大(上限 {qty(maximum, '元')}),请检查是否输错")
    return value.quantize(_CENT)



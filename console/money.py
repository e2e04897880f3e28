"""Amounts of money as agents type them: yuan, positive, at most two decimals."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_AMOUNT = re.compile(r"^\d+(\.\d{1,2})?$")


class AmountError(ValueError):
    """The message says what is wrong, in the agent's words."""


def parse_amount(text: str) -> Decimal:
    """'12', '12.5', '¥12.50', '12元' -> Decimal('12.50'); AmountError with a clear message otherwise."""
    raw = text.strip().removeprefix("¥").removeprefix("￥").removesuffix("元").strip()
    if not raw:
        raise AmountError("请填写金额 (元)")
    if raw.startswith("-"):
        raise AmountError("金额必须是正数")
    if "." in raw and len(raw.split(".", 1)[1]) > 2:
        raise AmountError("金额最多两位小数,例如 12.50")
    if not _AMOUNT.match(raw):
        raise AmountError("金额只能是数字,例如 12 或 12.50 (单位: 元)")
    try:
        value = Decimal(raw).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise AmountError("金额只能是数字,例如 12 或 12.50 (单位: 元)") from None
    if value <= 0:
        raise AmountError("金额必须大于 0")
    return value

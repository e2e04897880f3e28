"""Numbers and their units never split when Chinese text wraps."""

import re

from textual._wrap import compute_wrap_offsets

from console.sop.rules import check_compensation, price_difference_offer
from console.units import qty


def _lines(text: str, width: int) -> list[str]:
    cuts = [0, *compute_wrap_offsets(text, width, 4), len(text)]
    return [text[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]


def _split_pairs(text: str, width: int) -> list[str]:
    """Places where a line ends in a digit and the next starts with a unit."""
    lines = _lines(text, width)
    return [f"{a!r}|{b!r}" for a, b in zip(lines, lines[1:], strict=False)
            if re.search(r"\d\s*$", a) and re.match(r"\s*(元|天|个|条|%|小时)", b)]


def test_qty_joins_a_number_and_its_unit():
    assert qty(4, "天") == "4天" and qty("12.50", "元") == "12.50元"


def test_a_space_or_a_no_break_space_lets_the_pair_split_but_qty_does_not():
    spaced = "超过 30 天的订单"
    assert any(_split_pairs(spaced, w) for w in range(4, 12))
    assert any(_split_pairs(spaced.replace("30 ", "30\u00a0"), w) for w in range(4, 12))
    joined = f"超过 {qty(30, '天')}的订单"
    assert not any(_split_pairs(joined, w) for w in range(4, 12))


def test_money_rule_messages_keep_amounts_whole_at_every_width():
    texts = [check_compensation("50", "100").reason, price_difference_offer("24", item_value="100").text()]
    for text in texts:
        assert "元" in text
        for width in range(6, 60):
            assert _split_pairs(text, width) == [], (text, width)

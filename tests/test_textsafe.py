from console.textsafe import inert, inert_multiline


def test_escape_sequences_become_visible_and_inert():
    assert inert("a\x1b[31mred") == "a^[[31mred"
    assert inert("bell\x07") == "bell^G"
    assert inert("del\x7f") == "del^?"
    assert inert("c1\x9b2J") == "c1\\x9b2J"
    assert "\x1b" not in inert("\x1b]52;c;ZXZpbA==\x07")


def test_markup_is_left_as_text():
    # Markup is not interpreted because screens build rich.text.Text from this, never markup.
    assert inert("型号[b]加粗[/x]") == "型号[b]加粗[/x]"


def test_lines():
    assert inert("a\nb") == "a⏎b"
    assert inert_multiline("a\r\nb\x1b") == "a\nb^["
    assert inert(None) == ""


def test_inert_cell_keeps_formula_looking_text_as_text():
    from console.textsafe import inert_cell

    for text in ("=HYPERLINK(\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1"):
        assert inert_cell(text) == "'" + text
    for text in ("小王", "12.50", "", "a=b"):
        assert inert_cell(text) == text

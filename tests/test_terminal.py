"""Terminal input and output: bracketed pastes kept whole and in order; controls never drawn."""

import pytest
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual._xterm_parser import XTermParser
from textual.color import Color

from console.terminal import InertControls, PasteSafeParser

PASTED = "AAA\x1b[31mBBB\x07\n第二行\x9b2J"
RAW = "x\x1b[200~" + PASTED + "\x1b[201~y"


def _describe(events_):
    return [("paste", e.text) if isinstance(e, events.Paste) else ("key", e.key) for e in events_]


def test_textual_own_parser_reorders_a_paste_with_an_escape():
    # Why PasteSafeParser exists: if this starts passing, Textual fixed it and ours can go.
    out = _describe(XTermParser().feed("\x1b[200~AAA\x1b[31mBBB\x1b[201~"))
    assert ("paste", "AAA\x1b[31mBBB") not in out
    assert out[-1] == ("paste", "AAA")


@pytest.mark.parametrize("split", range(len(RAW) + 1))
def test_a_paste_arrives_whole_and_in_order_however_the_reads_split_it(split):
    parser = PasteSafeParser()
    out = list(parser.feed(RAW[:split])) if split else []
    out += parser.feed(RAW[split:])
    assert _describe(out) == [("key", "x"), ("paste", PASTED), ("key", "y")]


def test_a_paste_split_over_many_reads_inside_the_end_marker():
    parser = PasteSafeParser()
    out = []
    for ch in "\x1b[200~" + PASTED + "\x1b[201~":
        out += parser.feed(ch)
    assert _describe(out) == [("paste", PASTED)]


def test_keys_outside_a_paste_are_textuals_and_a_lone_escape_is_still_a_key(monkeypatch):
    parser = PasteSafeParser()
    assert _describe(parser.feed("\x1b[A")) == [("key", "up")]
    assert _describe(parser.feed("\x1b")) == []  # could be the start of a paste marker
    assert _describe(parser.tick()) == []  # not yet: wait as long as Textual does for Esc
    import console.terminal as terminal

    later = terminal.get_time() + 1
    monkeypatch.setattr(terminal, "get_time", lambda: later)
    assert _describe(parser.tick()) == [("key", "escape")]


def test_control_characters_never_reach_the_terminal_in_drawn_text():
    red = Style(color="red")
    line = [Segment("AAA\x1b[31mBBB", red), Segment("\x07ok\x9b")]
    out = InertControls().apply(line, Color(0, 0, 0))
    assert [(s.text, s.style) for s in out] == [("AAA[31mBBB", red), ("ok", None)]
    clean = [Segment("买家 阿狸")]
    assert InertControls().apply(clean, Color(0, 0, 0)) is clean

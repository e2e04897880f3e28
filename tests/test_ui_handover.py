"""Notes pane, two consoles on one database, and the handover between two agents."""

from textual.widgets import TextArea

from console.cases import Cases
from console.db import Database, resolve_url
from console.handover import Handovers
from console.intake import CaseDraft
from console.notes import Notes
from console.screens.case import CaseScreen
from console.screens.handover import HandoverInbox, HandoverScreen
from console.screens.queue import QueueScreen
from tests.ui_helpers import make_app, settle, type_text

SIZE = (130, 36)


def _second(db_path):
    """A second console: its own engine and connections on the same file."""
    return Database(resolve_url(str(db_path)))


async def test_typed_note_survives_the_app_ending_without_saving(db, db_path, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", channel="phone"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(CaseScreen(case.id))
        await settle(pilot)
        await pilot.press("n")
        await type_text(pilot, "买家说周六在家")
        await pilot.pause(0.8)  # the autosave debounce
        await settle(pilot)
        assert Notes(cases).draft("小王", f"case:{case.id}") == "买家说周六在家"
    # Ended without Ctrl+S. A new console on the same file shows the text where it was.
    app2 = make_app(_second(db_path), policy, clock)
    async with app2.run_test(size=SIZE) as pilot:
        app2.push_screen(CaseScreen(case.id))
        await settle(pilot)
        assert app2.screen.query_one("#notes-input", TextArea).text == "买家说周六在家"
        await pilot.press("n", "ctrl+s")
        await settle(pilot)
        assert [n.body for n in Notes(cases).current(case.id)] == ["买家说周六在家"]
        assert Notes(cases).draft("小王", f"case:{case.id}") == ""


async def test_two_consoles_claim_at_once_and_write_notes(db, db_path, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", channel="phone"), "老陈")
    a = make_app(db, policy, clock, agent="小王")
    b = make_app(_second(db_path), policy, clock, agent="阿珍")
    async with a.run_test(size=SIZE) as pa, b.run_test(size=SIZE) as pb:
        for app, pilot in ((a, pa), (b, pb)):
            app.push_screen(CaseScreen(case.id))
            await settle(pilot)
        await pa.press("m")
        await pb.press("m")
        await settle(pa)
        await settle(pb)
        owner = Cases(db, policy, clock).get(case.id).case.assignee
        assert owner in ("小王", "阿珍")
        loser = b if owner == "小王" else a
        assert any(f"{owner} 接手" in m.text for m in loser.messages)

        # Both write a note at the same moment: both are kept.
        for pilot, text in ((pa, "小王的笔记"), (pb, "阿珍的笔记")):
            await pilot.press("n")
            await type_text(pilot, text)
        await pa.press("ctrl+s")
        await pb.press("ctrl+s")
        await settle(pa)
        await settle(pb)
        bodies = sorted(n.body for n in Notes(cases).current(case.id))
        assert bodies == ["小王的笔记", "阿珍的笔记"]

        # Both edit their view of 小王's note: the second edit is refused, its text kept.
        note = next(n for n in Notes(cases).current(case.id) if n.author == "小王")
        Notes(Cases(db, policy, clock)).edit(note.id, "小王的笔记(补充)", "阿珍")
        pane_a = a.screen.query_one("#notes-input", TextArea)
        a.screen.query_one("NotesPane")._editing = note  # noqa: SLF001 - a's stale view of the note
        pane_a.load_text("小王改的内容")
        await pa.press("ctrl+s")
        await settle(pa)
        assert pane_a.text == "小王改的内容"
        assert any("改过" in m.text for m in a.messages)


async def test_handover_round_trip_between_two_agents(db, db_path, policy, clock, cases):
    for buyer in ("阿狸", "糖糖"):
        c = cases.create(CaseDraft(buyer_id=buyer, channel="phone"), "小王")
        cases.claim(c.id, "小王")
    out = make_app(db, policy, clock, agent="小王")
    async with out.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("H")
        await settle(pilot)
        assert isinstance(out.screen, HandoverScreen)
        await pilot.press("t")
        await type_text(pilot, "阿珍")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("down", "p")  # the second case goes to the pool
        await pilot.press("n")
        await type_text(pilot, "仓库今天缺货")
        await pilot.press("escape")
        await pilot.press("c")
        assert "【交接班】小王 → 阿珍" in out.last_copied
        await pilot.press("ctrl+s", "y")
        await settle(pilot)
        assert isinstance(out.screen, QueueScreen)
    owners = sorted((c.assignee or "池") for c in (cases.get(1).case, cases.get(2).case))
    assert owners == ["池", "阿珍"]

    inc = make_app(_second(db_path), policy, clock, agent="阿珍")
    async with inc.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(inc.screen, HandoverInbox)
        assert "仓库今天缺货" in str(inc.screen.query_one("#inbox-text").render())
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(inc.screen, QueueScreen)
    assert Handovers(cases).unread_for("阿珍") == []


async def test_the_handover_note_is_autosaved_and_cleared_by_the_handover(db, db_path, policy, clock, cases):
    c = cases.create(CaseDraft(buyer_id="阿狸", channel="phone"), "小王")
    cases.claim(c.id, "小王")
    app = make_app(db, policy, clock, agent="小王")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("H", "n")
        await type_text(pilot, "仓库缺货")
        await pilot.press("escape", "escape")  # out of the note, off the screen: saved at once
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert Notes(cases).draft("小王", "handover") == "仓库缺货"
        await pilot.press("H", "n")
        await settle(pilot)
        note = app.screen.query_one("#handover-note", TextArea)
        assert note.text == "仓库缺货"
        await pilot.press("end")
        await type_text(pilot, ",明早补")
    # Ended while typing (no Esc, no pause for the autosave): the note is still there.
    assert Notes(cases).draft("小王", "handover") == "仓库缺货,明早补"

    app2 = make_app(_second(db_path), policy, clock, agent="小王")
    async with app2.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("H")
        await settle(pilot)
        assert app2.screen.query_one("#handover-note", TextArea).text == "仓库缺货,明早补"
        await pilot.press("ctrl+s", "y")
        await settle(pilot)
        assert isinstance(app2.screen, QueueScreen)
    assert Notes(cases).draft("小王", "handover") == ""
    assert Handovers(cases).unread_for("阿珍")[0].note == "仓库缺货,明早补"

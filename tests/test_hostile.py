"""Text from anyone is inert, and no input crashes the console (issue 10).

Every screen is drawn over a database holding hostile values in every field that comes from
outside the program (buyer IDs, descriptions, notes, agent names, handover notes, register
cells, reply drafts, promise notes, escalation reasons, checklist steps): what reaches the
screen carries no terminal control byte, no style or action from markup, and the markup
shows as the text it is.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from rich.segment import Segment
from sqlalchemy import text

from console.handover import Handovers
from console.intake import (
    CaseDraft,
    parse_due_time,
    parse_future_time,
    parse_shop_time,
    validate_draft,
)
from console.notes import Notes
from console.presence import PresenceStore
from console.registers import Registers
from tests.conftest import T0
from tests.ui_helpers import make_app, settle

BOTH = pytest.mark.backends("sqlite", "postgresql")

MARKUP = "[bold red]红[/]"
ACTION = "[@click=app.quit]点我[/]"
CLOSER = "[/]"
ESCAPES = "ev\x1b]0;OWNED\x07\x1b]52;c;aGFja2Vk\x1b\\\x1b[31m"
C1_BIDI = "c1\x9b2J rlo\u202eexe.txt"
HOSTILE = f"{MARKUP}{ACTION}{CLOSER}{ESCAPES}{C1_BIDI}"
# Names are checked when created; one written by an older program (or straight into the
# database) must still be drawn inert on every colleague's screen.
HOSTILE_AGENT = f"{ACTION}{ESCAPES}"[:64]

FORBIDDEN = [chr(c) for c in range(0x20) if chr(c) not in "\n"] + ["\x7f"] + [chr(c) for c in range(0x80, 0xA0)]
FORBIDDEN += ["\u202e"]


def _segments(app) -> list[Segment]:
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)  # noqa: SLF001
    return [seg for line in update.strips for strip in line for seg in strip]


def assert_inert(app, *, must_show: tuple[str, ...] = ()) -> str:
    """No control byte and no markup-made action on screen; the markup shown as text."""
    segments = _segments(app)
    drawn = "".join(seg.text for seg in segments)
    bad = sorted({repr(ch) for ch in drawn if ch in FORBIDDEN})
    where = [drawn[max(0, i - 60):i + 5] for i, ch in enumerate(drawn) if ch in FORBIDDEN][:2]
    if bad:
        update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)  # noqa: SLF001
        for y, line in enumerate(update.strips):
            if any(ch in FORBIDDEN for strip in line for seg in strip for ch in seg.text):
                x = 0
                for strip in line:
                    for seg in strip:
                        if any(ch in FORBIDDEN for ch in seg.text):
                            try:
                                where.append(repr(app.screen.get_widget_at(x, y)))
                            except Exception as exc:  # noqa: BLE001
                                where.append(repr(exc))
                        from rich.cells import cell_len
                        x += cell_len(seg.text)
                break
    assert not bad, f"control characters reached the screen: {bad} in {where}"
    for seg in segments:
        meta = seg.style.meta if seg.style else {}
        assert "app.quit" not in str(meta.get("@click", "")), "markup in user text became a click action"
    for piece in must_show:
        assert piece in drawn, f"{piece!r} is not shown as text"
    return drawn


@pytest.fixture
def hostile_db(db, policy, clock, cases):
    """One case with hostile values in every field a person can fill, and a hostile colleague."""
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO agent (name, role, created_at) VALUES (:n, 'agent', :t)"),
                     {"n": HOSTILE_AGENT, "t": T0.replace(tzinfo=None)})
    Handovers(cases).start_shift(HOSTILE_AGENT)
    case = cases.create(CaseDraft(buyer_id=HOSTILE[:64], order_no="3712345678901234567", kind="refund",
                                  description=HOSTILE, channel="chat"), "小王")
    cases.claim(case.id, "小王")
    Notes(cases).add(case.id, HOSTILE, "小王")
    cases.start_clock(case.id, "buyer_promise", "小王", due_at=T0.replace(hour=9), note=HOSTILE[:200])
    cases.add_tasks(case.id, [HOSTILE], "小王")
    cases.escalate(case.id, "senior", HOSTILE, "小王")
    with db.engine.begin() as conn:  # the last note was written by the hostile colleague
        conn.execute(text("UPDATE note SET author = :a"), {"a": HOSTILE_AGENT})
    Registers(db, policy, clock).add("problem", {"description": HOSTILE, "remarks": HOSTILE}, "小王", case.id)
    Notes(cases).save_draft("小王", "new_case", '{"buyer_id": ' + _json(HOSTILE[:60]) + ', "description": '
                            + _json(HOSTILE) + '}')
    handover_to_me = cases.create(CaseDraft(buyer_id="糖糖", channel="phone"), "小王")
    cases.ensure_agent("老陈")
    cases.claim(handover_to_me.id, "老陈")
    Handovers(cases).hand_over("老陈", "小王", HOSTILE, {handover_to_me.id: "小王"})
    # The hostile colleague's console is running, typing in the case: 在班, the queue's
    # 谁在看 and the case screen's presence line all draw the name.
    PresenceStore(db, clock).beat("hostile-desk", HOSTILE_AGENT, "CaseScreen", case.id, typing=True)
    return case


def _json(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


SHOWN = (CLOSER, "^[", "<U+202E>")


async def test_every_screen_draws_hostile_text_inert(hostile_db, db, policy, clock):
    from console.screens.case import CaseScreen
    from console.screens.handover import HandoverScreen
    from console.screens.history import HistoryScreen
    from console.screens.new_case import NewCaseScreen
    from console.screens.queue import QueueScreen
    from console.screens.registers import RegistersScreen
    from console.screens.wizard import WizardScreen

    app = make_app(db, policy, clock)
    async with app.run_test(size=(150, 45)) as pilot:
        await settle(pilot)
        # The handover addressed to this agent opens first: its note is hostile.
        drawn = assert_inert(app, must_show=SHOWN)
        assert "[bold red]红[/]" in drawn
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert_inert(app, must_show=(CLOSER, "^["))  # the buyer ID in the table, the colleague on shift
        for screen, keys in ((CaseScreen(hostile_db.id), ()), (HistoryScreen(hostile_db.id), ()),
                             (WizardScreen(hostile_db.id, "refund"), ()), (HandoverScreen(), ()),
                             (RegistersScreen(), ("3",))):  # 售后问题表 holds the hostile row
            app.push_screen(screen)
            await settle(pilot)
            for key in keys:
                await pilot.press(key)
                await settle(pilot)
            assert_inert(app, must_show=(CLOSER,))
            app.pop_screen()
            await settle(pilot)
        app.push_screen(CaseScreen(hostile_db.id))
        await settle(pilot)
        for key in ("a", "s", "d", "e", "ctrl+r", "question_mark", "ctrl+p"):
            await pilot.press(key)  # the colleague picker, dialogs, the replies, help, the palette
            await settle(pilot)
            assert_inert(app)
            await pilot.press("escape")
            await settle(pilot)
        app.notify(f"已分配给 {HOSTILE_AGENT}", markup=False)  # a message naming a colleague
        await settle(pilot)
        assert_inert(app, must_show=(ACTION[:10],))
        await pilot.press("escape")
        await settle(pilot)
        app.push_screen(NewCaseScreen())
        await settle(pilot)
        assert_inert(app)


async def test_a_second_console_draws_a_hostile_colleague_inert(hostile_db, db_path, policy, clock):
    from console.db import open_database, resolve_url

    other = make_app(open_database(resolve_url(str(db_path))), policy, clock, agent="阿珍")
    async with other.run_test(size=(150, 45)) as pilot:
        await settle(pilot)
        await pilot.press("escape")  # the pool's handover
        await settle(pilot)
        assert_inert(other, must_show=("点我",))


@BOTH
def test_names_are_checked_when_created(cases):
    from console.db import StoreError

    for bad in ("ev\x1b]0;OWNED\x07", "a\nb", "x" * 65, "   ", "rlo\u202eexe"):
        with pytest.raises(StoreError, match="客服名字不能用"):
            cases.ensure_agent(bad)
    assert not [n for n in cases.agents() if "OWNED" in n or "\u202e" in n]
    cases.ensure_agent("[/]小王")  # markup characters are fine: they are drawn as text
    assert "[/]小王" in cases.agents()


@pytest.mark.parametrize("typed", ["0001-01-01 00:00", "9999-12-31 23:59", "1900-01-01 00:00"])
def test_a_year_one_date_is_refused_not_a_crash(policy, typed):
    now = T0
    assert parse_shop_time(typed, policy, now) is None
    assert parse_future_time(typed, policy, now) is None
    assert parse_due_time(typed, policy, now) is None
    errors = validate_draft(CaseDraft(buyer_id="阿狸", message_time=typed), policy, now)
    assert "message_time" in errors


@BOTH
def test_a_register_date_of_year_one_is_refused(db, policy, clock):
    from console.registers import RegisterError
    from console.screens.registers import parse_range

    assert parse_range("0001-01-01", date(2026, 11, 23)) is None
    assert parse_range("9999-12-31", date(2026, 11, 23)) is None
    with pytest.raises(RegisterError):
        Registers(db, policy, clock).add("return", {"received_at": "0001-01-01 00:00"}, "小王")


async def test_a_year_one_promise_is_refused_on_screen(db, policy, clock, cases):
    from console.screens.case import CaseScreen
    from tests.ui_helpers import type_text

    case = cases.create(CaseDraft(buyer_id="阿狸", channel="phone"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=(130, 36)) as pilot:
        app.push_screen(CaseScreen(case.id))
        await settle(pilot)
        await pilot.press("n")
        await type_text(pilot, "回电")
        await pilot.press("ctrl+t")
        await settle(pilot)
        await type_text(pilot, "0001-01-01 00:00")
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running
        assert "时间格式" in str(app.screen.query_one(".dialog-error").render())
        assert not [d for d in app.cases.get(case.id).deadlines if d.kind == "buyer_promise"]


def test_t0_is_a_monday_morning_in_shanghai():
    # The fixtures above depend on it (a promise at 09:00 UTC is the same day's afternoon).
    assert datetime(2026, 11, 23).weekday() == 0

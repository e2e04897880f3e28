"""A handover moves every open case of the agent, however many: 600 here."""

from __future__ import annotations

import pytest
from sqlalchemy import func, update
from sqlmodel import col, select
from textual.widgets import DataTable

from console.db import StoreError
from console.demo import populate
from console.handover import LISTED, Handovers
from console.intake import CaseDraft
from console.models import Case, HandoverCase
from console.screens.dialogs import ConfirmDialog
from console.screens.handover import HandoverScreen
from console.screens.queue import QueueScreen
from tests.ui_helpers import make_app, settle

SIZE = (130, 36)
MANY = 600
BOTH = pytest.mark.backends("sqlite", "postgresql")


@pytest.fixture
def six_hundred(db, policy, clock, cases):
    """600 open cases, all 小王's (the demo bulk insert, then one update)."""
    populate(db, policy, clock.now(), MANY, open_ratio=1.0, with_events=False)
    with db.write() as s:
        s.exec(update(Case).values(assignee="小王"))
    return cases


def _open_of(db, agent: str | None) -> int:
    who = Case.assignee == agent if agent is not None else col(Case.assignee).is_(None)
    with db.read() as s:
        return s.exec(select(func.count()).select_from(Case).where(Case.is_open.is_(True), who)).one()


@BOTH
def test_the_summary_counts_every_case_and_the_handover_moves_them_all(db, six_hundred):
    out = Handovers(six_hundred)
    summary = out.summary("小王")
    assert len(summary.items) == MANY
    text = out.summary_text(summary, "", "阿珍")
    assert f"未结工单 {MANY}个" in text
    assert sum(1 for line in text.splitlines() if line.startswith(("#", "【")) and "交给 阿珍" in line) == LISTED
    assert f"另有 {MANY - LISTED}个未列出" in text and f"一并交给 阿珍 {MANY - LISTED}个" in text

    first = summary.items[0].case.id
    h = out.hand_over("小王", "阿珍", "交班", {first: None}, expected=summary.case_ids)
    assert _open_of(db, "小王") == 0
    assert _open_of(db, "阿珍") == MANY - 1
    assert six_hundred.get(first).case.assignee is None
    with db.read() as s:
        moved = s.exec(select(func.count()).select_from(HandoverCase).where(HandoverCase.handover_id == h.id)).one()
    assert moved == MANY
    assert f"未结工单 {MANY}个" in h.summary


@BOTH
def test_a_case_that_became_mine_after_the_screen_read_them_stops_the_handover(db, six_hundred):
    out = Handovers(six_hundred)
    seen = out.summary("小王").case_ids
    late = six_hundred.create(CaseDraft(buyer_id="迟到的买家"), "小王")
    six_hundred.claim(late.id, "小王")
    with pytest.raises(StoreError, match=f"多了 #{late.id}"):
        out.hand_over("小王", "阿珍", "", {}, expected=seen)
    assert _open_of(db, "小王") == MANY + 1  # nothing moved
    assert _open_of(db, "阿珍") == 0


async def test_the_handover_screen_says_and_moves_all_600(db, policy, clock, six_hundred):
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("H")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HandoverScreen)
        title = str(screen.query_one("#handover-title").render())
        assert f"未结 {MANY}个" in title
        assert screen.query_one(DataTable).row_count == LISTED
        flags = str(screen.query_one("#handover-flags").render())
        assert f"其余 {MANY - LISTED}个也一起交给 待分配池" in flags
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert f"全部 {MANY}个未结工单" in str(app.screen.query_one(".dialog-title").render())
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert any(f"已交接 {MANY}个工单给 待分配池" in m.text for m in app.messages)
    assert _open_of(db, "小王") == 0
    assert _open_of(db, None) == MANY

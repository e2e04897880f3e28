"""Case operations: clocks start, pause, resume, meet; every change is an event."""

from datetime import timedelta

import pytest

from console.cases import DraftError, StaleError, allowed_statuses
from console.db import StoreError
from console.intake import CaseDraft
from console.models import NO_DEADLINE
from tests.conftest import T0


def _new(cases, **kw):
    draft = CaseDraft(buyer_id=kw.pop("buyer_id", "阿狸"), order_no=kw.pop("order_no", "3712345678901234567"), **kw)
    return cases.create(draft, "小王")


def _clocks(cases, case_id):
    return {d.kind: d for d in cases.get(case_id).deadlines}


def test_create_starts_first_response_from_the_buyers_message(cases, clock):
    case = _new(cases, kind="return", message_time="09:59:40")
    clocks = _clocks(cases, case.id)
    assert set(clocks) == {"first_response", "solution"}
    assert clocks["first_response"].due_at == T0 - timedelta(seconds=20) + timedelta(seconds=30)
    assert clocks["solution"].due_at == T0 + timedelta(hours=24)
    assert case.next_due_kind == "first_response"
    assert case.next_due_at == T0 + timedelta(seconds=10)
    detail = cases.get(case.id)
    assert [e.action for e in detail.events] == ["created", "clock_started", "clock_started"]


def test_bad_draft_saves_nothing(cases, db):
    with pytest.raises(DraftError) as err:
        _new(cases, buyer_id=" ", order_no="12x")
    assert set(err.value.errors) == {"buyer_id", "order_no"}
    from sqlalchemy import text

    with db.engine.connect() as conn:
        assert conn.execute(text('select count(*) from "case"')).scalar() == 0


def test_first_reply_meets_the_clock_and_takes_the_case(cases, clock):
    case = _new(cases, kind="logistics")
    clock.advance(12)
    case = cases.mark_first_reply(case.id, "小王")
    clocks = _clocks(cases, case.id)
    assert clocks["first_response"].state == "met"
    assert case.first_replied_at == T0 + timedelta(seconds=12)
    assert case.status == "in_progress" and case.assignee == "小王"
    assert case.next_due_kind == "solution"


def test_waiting_for_the_buyer_pauses_shop_clocks_not_platform_clocks(cases, clock):
    case = _new(cases, kind="refund", channel="phone")
    cases.start_clock(case.id, "refund_auto_agree_shipped", "小王")
    clock.advance(hours=20)
    cases.set_status(case.id, "waiting_buyer", "小王")
    clocks = _clocks(cases, case.id)
    assert clocks["solution"].state == "paused" and clocks["solution"].remaining_s == 4 * 3600
    assert clocks["refund_auto_agree_shipped"].state == "running"
    assert cases.get(case.id).case.next_due_kind == "refund_auto_agree_shipped"

    clock.advance(days=3)  # the buyer answers three days later
    case = cases.set_status(case.id, "in_progress", "小王")
    clocks = _clocks(cases, case.id)
    assert clocks["solution"].state == "running"
    assert clocks["solution"].due_at == clock.now() + timedelta(hours=4)
    assert case.next_due_kind == "solution"
    actions = [e.action for e in cases.get(case.id).events]
    assert "clock_paused" in actions and "clock_resumed" in actions


def test_a_clock_started_while_waiting_starts_paused(cases, clock):
    case = _new(cases, kind="return", channel="phone")
    cases.set_status(case.id, "waiting_buyer", "小王")
    cases.start_clock(case.id, "buyer_promise", "小王")
    clocks = _clocks(cases, case.id)
    assert clocks["buyer_promise"].state == "paused"
    assert cases.get(case.id).case.next_due_at == NO_DEADLINE


def test_resolve_meets_everything_and_leaves_the_queue(cases):
    case = _new(cases, kind="complaint")
    case = cases.set_status(case.id, "resolved", "小王")
    assert not case.is_open
    assert case.next_due_at == NO_DEADLINE
    assert {d.state for d in cases.get(case.id).deadlines} == {"met"}


def test_close_cancels_and_reopen_starts_a_fresh_solution_clock(cases, clock):
    case = _new(cases, kind="exchange")
    cases.set_status(case.id, "closed", "小王")
    assert {d.state for d in cases.get(case.id).deadlines} == {"cancelled"}
    clock.advance(hours=50)
    case = cases.set_status(case.id, "in_progress", "小王")
    assert case.is_open
    running = [d for d in cases.get(case.id).deadlines if d.state == "running"]
    assert [d.kind for d in running] == ["solution"]
    assert running[0].due_at == clock.now() + timedelta(hours=24)
    assert "reopened" in [e.action for e in cases.get(case.id).events]


def test_transitions():
    assert "new" not in allowed_statuses("in_progress")
    assert allowed_statuses("closed") == ["in_progress"]
    assert set(allowed_statuses("resolved")) == {"closed", "in_progress"}


def test_refused_transition_changes_nothing(cases):
    case = _new(cases)
    cases.set_status(case.id, "closed", "小王")
    with pytest.raises(StoreError, match="不能从"):
        cases.set_status(case.id, "waiting_buyer", "小王")
    assert cases.get(case.id).case.status == "closed"


def test_urgent_starts_and_cancels_the_specialist_clock(cases, clock):
    case = _new(cases, kind="return", channel="phone")
    case = cases.set_urgent(case.id, True, "小王")
    assert case.urgent and case.next_due_kind == "urgent_specialist"
    assert case.next_due_at == T0 + timedelta(hours=2)
    # Handing it to a specialist meets the 2 h clock.
    case = cases.assign(case.id, "老陈", "小王")
    assert _clocks(cases, case.id)["urgent_specialist"].state == "met"
    assert case.next_due_kind == "solution"
    case = cases.set_urgent(case.id, False, "小王")
    assert not case.urgent


def test_assign_to_pool_and_events_record_before_and_after(cases):
    case = _new(cases)
    cases.assign(case.id, "阿珍", "小王")
    cases.assign(case.id, None, "小王")
    events = [(e.action, e.before, e.after) for e in cases.get(case.id).events if e.action == "assigned"]
    assert events == [("assigned", "待分配", "阿珍"), ("assigned", "阿珍", "待分配")]
    assert "阿珍" in cases.agents()


def test_stale_version_is_refused(cases):
    case = _new(cases)
    seen = case.version
    cases.add_note(case.id, "买家说明天在家", "阿珍")
    with pytest.raises(StaleError, match="刚被别人改过"):
        cases.set_status(case.id, "in_progress", "小王", expected_version=seen)
    assert cases.get(case.id).case.status == "new"


def test_notes(cases):
    case = _new(cases)
    with pytest.raises(StoreError, match="空"):
        cases.add_note(case.id, "   ", "小王")
    cases.add_note(case.id, "已联系仓库 [red]加急[/red]", "小王")
    notes = cases.get(case.id).notes
    assert [n.body for n in notes] == ["已联系仓库 [red]加急[/red]"]


def test_platform_deadline_typed_by_the_agent(cases, clock):
    case = _new(cases, kind="refund")
    due = T0 + timedelta(days=1, hours=3)
    d = cases.start_clock(case.id, "refund_auto_agree_shipped", "小王", due_at=due, note="千牛显示")
    assert d.due_at == due
    assert d.warn_at == due - timedelta(days=1)


def test_refund_status_moves_its_clock(cases, clock):
    case = _new(cases, kind="refund", channel="phone")
    applied = T0 - timedelta(hours=5)
    cases.set_refund_status(case.id, "waiting_seller_agree", "小王", shipped=False, start_at=applied)
    clocks = _clocks(cases, case.id)
    assert clocks["refund_auto_agree_paid"].due_at == applied + timedelta(days=2)
    clock.advance(hours=1)
    case = cases.set_refund_status(case.id, "waiting_buyer_return", "小王")
    clocks = _clocks(cases, case.id)
    assert clocks["refund_auto_agree_paid"].state == "met"
    assert clocks["buyer_return_goods"].due_at == clock.now() + timedelta(days=7)
    # The agent types the deadline Qianniu shows when it differs from the rule.
    shown = clock.now() + timedelta(days=9, hours=2)
    case = cases.set_refund_status(case.id, "waiting_seller_confirm", "小王", due_at=shown)
    assert _clocks(cases, case.id)["seller_confirm_goods"].due_at == shown
    case = cases.set_refund_status(case.id, "success", "小王")
    assert {d.state for d in cases.get(case.id).deadlines if d.kind != "solution"} == {"met"}
    assert case.refund_status == "success"
    with pytest.raises(StoreError, match="申请时间"):
        cases.set_refund_status(case.id, "waiting_seller_agree", "小王", start_at=clock.now() + timedelta(hours=1))


def test_intervened_and_tasks(cases):
    case = _new(cases, kind="complaint")
    assert cases.set_intervened(case.id, True, "小王").platform_intervened is True
    tasks = cases.add_tasks(case.id, ["上传聊天记录", "上传发货凭证", "  "], "小王")
    assert [t.text for t in tasks] == ["上传聊天记录", "上传发货凭证"]
    done = cases.toggle_task(tasks[0].id, "小王")
    assert done.done_by == "小王"
    assert [t.done_at is not None for t in cases.get(case.id).tasks] == [True, False]
    assert cases.toggle_task(tasks[0].id, "小王").done_at is None


def test_a_case_created_urgent_flags_the_supervisor(cases):
    case = _new(cases, urgent=True)
    assert case.escalated_to == "supervisor"
    assert case.next_due_kind == "first_response"
    assert "urgent_specialist" in {d.kind for d in cases.get(case.id).deadlines}

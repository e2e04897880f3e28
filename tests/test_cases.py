"""Case operations: clocks start, pause, resume, meet; every change is an event."""

from datetime import timedelta

import pytest

from console.cases import DraftError, StaleError, allowed_statuses
from console.db import StoreError
from console.intake import CaseDraft
from console.models import NO_DEADLINE
from console.notes import Notes
from tests.conftest import T0

pytestmark = pytest.mark.backends("sqlite", "postgresql")


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


def test_only_clocks_that_wait_on_the_buyer_pause(cases, clock):
    # A new chat, urgent, not answered yet: the agent sets 等买家 (e.g. a wizard outcome does).
    case = _new(cases, kind="return", urgent=True)
    cases.set_status(case.id, "waiting_buyer", "小王")
    clocks = _clocks(cases, case.id)
    assert clocks["solution"].state == "paused"
    # The buyer still waits for a first word, and the urgent case for a specialist.
    assert clocks["first_response"].state == "running"
    assert clocks["urgent_specialist"].state == "running"
    assert cases.get(case.id).case.next_due_kind == "first_response"


def test_a_clock_started_while_waiting_starts_paused_only_if_it_waits_on_the_buyer(cases, clock):
    case = _new(cases, kind="return", channel="phone")
    cases.set_status(case.id, "waiting_buyer", "小王")
    promise = cases.start_clock(case.id, "buyer_promise", "小王", due_at=T0 + timedelta(hours=3))
    assert promise.state == "running"  # a promise to the buyer is the shop's: it never pauses
    cases.change_kind(case.id, "complaint", "小王")
    clocks = _clocks(cases, case.id)
    assert clocks["dispute_solution"].state == "paused"
    assert cases.get(case.id).case.next_due_kind == "buyer_promise"


def test_a_case_the_shop_starts_has_no_first_response_clock(cases):
    case = _new(cases, kind="payment", initiated_by="shop")
    assert "first_response" not in _clocks(cases, case.id)
    assert case.initiated_by == "shop"
    buyer = _new(cases, kind="payment")
    assert "first_response" in _clocks(cases, buyer.id)


def test_resolve_meets_its_clocks_and_asks_about_the_rest(cases, clock):
    from console.cases import PendingError

    case = _new(cases, kind="complaint")
    # The first reply was never recorded: resolving asks, it does not end it silently.
    with pytest.raises(PendingError, match="首次响应") as err:
        cases.set_status(case.id, "resolved", "小王")
    assert [d.kind for d in err.value.pending.clocks] == ["first_response"]
    assert cases.get(case.id).case.status == "new"
    case = cases.set_status(case.id, "resolved", "小王", leftovers="done")
    assert not case.is_open and case.first_replied_at == T0
    assert case.next_due_at == NO_DEADLINE
    assert {d.state for d in cases.get(case.id).deadlines} == {"met"}


def test_a_platform_clock_refuses_resolve_and_close(cases, clock):
    from console.cases import PendingError

    case = _new(cases, kind="refund", channel="phone")
    d = cases.start_clock(case.id, "refund_auto_agree_shipped", "小王")
    for status in ("resolved", "closed"):
        with pytest.raises(PendingError, match="平台计时还在走"):
            cases.set_status(case.id, status, "小王", leftovers="done")
    with pytest.raises(PendingError, match="退款自动同意"):
        cases.resolve(case.id, "satisfied", "小王", leftovers="done")
    assert cases.get(case.id).case.is_open
    # The agent records that the platform dealt with it; then the case can be resolved.
    cases.end_clock(case.id, d.id, "小王", "千牛显示退款已关闭")
    assert _clocks(cases, case.id)["refund_auto_agree_shipped"].state == "met"
    case = cases.resolve(case.id, "satisfied", "小王")
    assert case.status == "closed" and not case.is_open
    events = cases.get(case.id).events
    assert any(e.action == "clock_met" and e.detail == "千牛显示退款已关闭" for e in events)


def test_kept_promise_and_task_keep_the_resolved_case_in_the_queue(cases, clock):
    from console.cases import PendingError

    case = _new(cases, kind="return", channel="phone")
    promise = cases.start_clock(case.id, "buyer_promise", "小王", due_at=T0 + timedelta(hours=5),
                                note="退回垫付运费")
    (task,) = cases.add_tasks(case.id, ["收到退件后退运费"], "小王")
    with pytest.raises(PendingError) as err:
        cases.resolve(case.id, "satisfied", "小王")
    lines = cases.describe_pending(err.value.pending)
    assert any("答应买家" in line and "退回垫付运费" in line for line in lines)
    assert "待办: 收到退件后退运费" in lines
    case = cases.resolve(case.id, "satisfied", "小王", leftovers="keep")
    assert (case.status, case.is_open) == ("resolved", True)
    assert case.next_due_kind == "buyer_promise"
    assert _clocks(cases, case.id)["solution"].state == "met"
    # Done one by one: the case archives itself when the last kept item is done.
    cases.end_clock(case.id, promise.id, "小王", "已退运费")
    assert cases.get(case.id).case.is_open
    cases.toggle_task(task.id, "小王")
    case = cases.get(case.id).case
    assert (case.status, case.is_open) == ("closed", False)
    assert any(e.detail == "保留的事项都已完成,自动归档" for e in cases.get(case.id).events)


def test_closing_drops_what_is_left_with_events(cases):
    case = _new(cases, kind="exchange")
    cases.add_tasks(case.id, ["通知仓库"], "小王")
    case = cases.set_status(case.id, "closed", "小王", leftovers="drop")
    detail = cases.get(case.id)
    assert {d.state for d in detail.deadlines} == {"cancelled"}
    assert detail.tasks == []  # dropped steps leave the checklist (they stay in the history)
    assert "task_dropped" in [e.action for e in detail.events]
    assert not case.is_open


def test_close_cancels_and_reopen_starts_a_fresh_solution_clock(cases, clock):
    case = _new(cases, kind="exchange", channel="phone")
    cases.set_status(case.id, "closed", "小王")
    assert {d.state for d in cases.get(case.id).deadlines} == {"cancelled"}
    clock.advance(hours=50)
    case = cases.set_status(case.id, "in_progress", "小王")
    assert case.is_open
    running = [d for d in cases.get(case.id).deadlines if d.state == "running"]
    assert [d.kind for d in running] == ["solution"]
    assert running[0].due_at == clock.now() + timedelta(hours=24)
    assert "reopened" in [e.action for e in cases.get(case.id).events]


def test_kind_change_swaps_the_kind_clocks_from_when_they_started(cases, clock):
    case = _new(cases, kind="logistics", channel="phone")
    clock.advance(hours=3)
    changes = cases.change_kind(case.id, "complaint", "小王")
    clocks = _clocks(cases, case.id)
    assert clocks["solution"].state == "cancelled"
    assert clocks["dispute_solution"].due_at == T0 + timedelta(hours=48)
    assert clocks["complaint_response"].due_at == T0 + timedelta(hours=24)
    assert "纠纷方案" in changes[0] and "给出方案" in changes[0]
    assert cases.get(case.id).case.kind == "complaint"


def test_transitions():
    assert "new" not in allowed_statuses("in_progress")
    assert allowed_statuses("closed") == ["in_progress"]
    assert set(allowed_statuses("resolved")) == {"closed", "in_progress"}


def test_refused_transition_changes_nothing(cases):
    case = _new(cases)
    cases.set_status(case.id, "closed", "小王", leftovers="drop")
    with pytest.raises(StoreError, match="不能从"):
        cases.set_status(case.id, "waiting_buyer", "小王")
    assert cases.get(case.id).case.status == "closed"


def test_urgent_starts_and_cancels_the_specialist_clock(cases, clock):
    case = _new(cases, kind="return", channel="phone")
    case = cases.set_urgent(case.id, True, "小王")
    assert case.urgent and case.next_due_kind == "urgent_specialist"
    assert case.next_due_at == T0 + timedelta(hours=2)
    # Handing it to a colleague is not reaching a specialist: the clock runs on.
    case = cases.assign(case.id, "阿珍", "小王")
    assert _clocks(cases, case.id)["urgent_specialist"].state == "running"
    assert case.next_due_kind == "urgent_specialist"
    # Handing it to a specialist meets the 2 h clock.
    cases.set_role("老陈", "specialist")
    case = cases.assign(case.id, "老陈", "小王")
    assert _clocks(cases, case.id)["urgent_specialist"].state == "met"
    assert case.next_due_kind == "solution"
    case = cases.set_urgent(case.id, False, "小王")
    assert not case.urgent


def test_an_urgent_case_already_with_a_specialist_meets_its_specialist_clock(cases):
    cases.set_role("老陈", "specialist")
    # Created urgent for the specialist: it is with one from the start.
    case = _new(cases, kind="return", channel="phone", urgent=True, assignee="老陈")
    assert _clocks(cases, case.id)["urgent_specialist"].state == "met"
    assert case.next_due_kind != "urgent_specialist"
    # Marked urgent while a specialist holds it: met at once too.
    other = cases.assign(_new(cases, kind="return", channel="phone").id, "老陈", "小王")
    other = cases.set_urgent(other.id, True, "小王")
    assert _clocks(cases, other.id)["urgent_specialist"].state == "met"
    # A colleague who is not a specialist does not meet it.
    cases.ensure_agent("阿珍")
    plain = _new(cases, kind="return", channel="phone", urgent=True, assignee="阿珍")
    assert _clocks(cases, plain.id)["urgent_specialist"].state == "running"


def test_assign_to_pool_and_events_record_before_and_after(cases):
    case = _new(cases)
    cases.assign(case.id, "阿珍", "小王")
    cases.assign(case.id, None, "小王")
    events = [(e.action, e.before, e.after) for e in cases.get(case.id).events if e.action == "assigned"]
    assert events == [("assigned", "待分配", "阿珍"), ("assigned", "阿珍", "待分配")]


def test_assigning_to_an_unknown_name_is_refused(cases):
    from console.cases import UnknownAgentError

    case = _new(cases)
    with pytest.raises(UnknownAgentError, match="阿真"):
        cases.assign(case.id, "阿真", "小王")  # a typo of 阿珍
    assert "阿真" not in cases.agents()
    assert cases.get(case.id).case.assignee is None
    cases.ensure_agent("小美")  # a new colleague, confirmed by the agent
    assert cases.assign(case.id, "小美", "小王").assignee == "小美"


def test_stale_version_is_refused(cases):
    case = _new(cases)
    seen = case.version
    Notes(cases).add(case.id, "买家说明天在家", "阿珍")
    with pytest.raises(StaleError, match="刚被别人改过"):
        cases.set_status(case.id, "in_progress", "小王", expected_version=seen)
    assert cases.get(case.id).case.status == "new"


def test_notes(cases):
    case = _new(cases)
    with pytest.raises(StoreError, match="空"):
        Notes(cases).add(case.id, "   ", "小王")
    Notes(cases).add(case.id, "已联系仓库 [red]加急[/red]", "小王")
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

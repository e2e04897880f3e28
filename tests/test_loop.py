"""Claiming, escalation, satisfaction, complaints, versioned notes, drafts and handovers."""

import threading
from datetime import timedelta

import pytest

from console.cases import Cases, ClaimedError, StaleError
from console.db import Database, StoreError
from console.handover import Handovers
from console.intake import CaseDraft
from console.notes import Notes
from tests.conftest import T0

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def _new(cases, buyer="阿狸", **kw):
    kw.setdefault("channel", "phone")
    return cases.create(CaseDraft(buyer_id=buyer, order_no="3712345678901234567", **kw), "小王")


def test_simultaneous_claim_exactly_one_wins(db, db_url, cases, policy, clock):
    case = _new(cases)
    agents = {name: Cases(Database(db_url), policy, clock) for name in ("小王", "阿珍")}
    results: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def claim(name):
        barrier.wait()
        try:
            results[name] = agents[name].claim(case.id, name).assignee
        except ClaimedError as exc:
            results[name] = exc

    threads = [threading.Thread(target=claim, args=(n,)) for n in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [n for n, r in results.items() if r == n]
    losers = [r for r in results.values() if isinstance(r, ClaimedError)]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].owner == winners[0]
    assert winners[0] in losers[0].message
    assert cases.get(case.id).case.assignee == winners[0]


def test_claim_own_case_again_is_fine(cases):
    case = _new(cases)
    cases.claim(case.id, "小王")
    assert cases.claim(case.id, "小王").assignee == "小王"


def test_urgent_flags_the_supervisor_and_escalations_need_a_reason(cases):
    case = _new(cases)
    case = cases.set_urgent(case.id, True, "小王")
    assert case.escalated_to == "supervisor"
    with pytest.raises(StoreError, match="原因"):
        cases.escalate(case.id, "risk_legal", " ", "小王")
    case = cases.escalate(case.id, "risk_legal", "买家要求赔偿 2000 元并提到律师", "小王")
    assert (case.escalated_to, case.escalation_reason) == ("risk_legal", "买家要求赔偿 2000 元并提到律师")


def test_satisfied_archives(cases):
    case = _new(cases)
    case = cases.resolve(case.id, "satisfied", "小王")
    assert case.status == "closed" and case.satisfaction == "satisfied" and not case.is_open


def test_unsatisfied_reopens_and_escalates_to_senior(cases, clock):
    case = _new(cases)
    with pytest.raises(StoreError, match="原因"):
        cases.resolve(case.id, "unsatisfied", "小王")
    case = cases.resolve(case.id, "unsatisfied", "小王", reason="觉得补偿太少")
    assert case.status == "in_progress" and case.is_open
    assert case.escalated_to == "senior" and "补偿太少" in case.escalation_reason
    actions = [e.action for e in cases.get(case.id).events]
    assert "satisfaction" in actions and "escalated" in actions
    # Its solution clock runs on: the buyer is still waiting for a solution.
    assert [d.kind for d in cases.get(case.id).running] == ["solution"]


def test_unsatisfied_after_a_kept_resolve_reopens(cases, clock):
    case = _new(cases)
    cases.add_tasks(case.id, ["退运费"], "小王")
    cases.resolve(case.id, "satisfied", "小王", leftovers="keep")
    case = cases.resolve(case.id, "unsatisfied", "小王", reason="运费没退")
    assert case.status == "in_progress"
    assert "reopened" in [e.action for e in cases.get(case.id).events]


def test_complaint_flow(cases):
    case = _new(cases, kind="complaint")
    for status in ("registered", "investigating", "solution_proposed", "appealed"):
        case = cases.set_complaint_status(case.id, status, "小王")
    assert case.escalated_to == "supervisor"  # an appeal goes to the supervisor
    with pytest.raises(StoreError, match="投诉不能从"):
        cases.set_complaint_status(case.id, "closed", "小王")
    for status in ("solution_proposed", "buyer_confirmed", "carried_out", "closed"):
        case = cases.set_complaint_status(case.id, status, "小王")
    assert case.complaint_status == "closed"


def test_notes_are_versioned_and_stale_edits_refused(cases):
    notes = Notes(cases)
    case = _new(cases)
    first = notes.add(case.id, "已联系仓库", "小王")
    edited = notes.edit(first.id, "已联系仓库,明天发出", "阿珍")
    assert [n.body for n in notes.current(case.id)] == ["已联系仓库,明天发出"]
    assert [n.body for n in notes.versions(edited.id)] == ["已联系仓库", "已联系仓库,明天发出"]
    # Another agent edits the version they saw, which is no longer the latest.
    with pytest.raises(StaleError, match="阿珍"):
        notes.edit(first.id, "我的改法", "小王")


def test_two_agents_writing_notes_at_once_keep_both(db_url, cases, policy, clock):
    case = _new(cases)
    a = Notes(Cases(Database(db_url), policy, clock))
    b = Notes(Cases(Database(db_url), policy, clock))
    barrier = threading.Barrier(2)

    def write(notes, who):
        barrier.wait()
        for i in range(10):
            notes.add(case.id, f"{who}-{i}", who)

    threads = [threading.Thread(target=write, args=(n, w)) for n, w in ((a, "小王"), (b, "阿珍"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bodies = [n.body for n in Notes(cases).current(case.id)]
    assert sorted(bodies) == sorted([f"小王-{i}" for i in range(10)] + [f"阿珍-{i}" for i in range(10)])


def test_a_promise_becomes_a_clock(cases, clock):
    notes = Notes(cases)
    case = _new(cases)
    promise = T0 + timedelta(hours=3)
    notes.add(case.id, "答应买家明天10点前回电", "小王", promise_at=promise)
    clocks = [d for d in cases.get(case.id).deadlines if d.kind == "buyer_promise"]
    assert len(clocks) == 1 and clocks[0].due_at == promise
    with pytest.raises(StoreError, match="晚于现在"):
        notes.add(case.id, "过去的承诺", "小王", promise_at=T0 - timedelta(minutes=1))


def test_drafts_survive_and_clear_on_save(cases):
    notes = Notes(cases)
    case = _new(cases)
    notes.save_draft("小王", f"case:{case.id}", "买家说周末")
    assert Notes(cases).draft("小王", f"case:{case.id}") == "买家说周末"
    notes.add(case.id, "买家说周末在家", "小王")
    assert notes.draft("小王", f"case:{case.id}") == ""
    notes.save_draft("小王", "shift", "今天仓库缺货")
    assert notes.draft("小王", "shift") == "今天仓库缺货"
    assert notes.draft("阿珍", "shift") == ""


def test_handover_round_trip(cases, clock, db_url, policy):
    out = Handovers(cases)
    notes = Notes(cases)
    out.start_shift("小王")
    a = _new(cases, "阿狸")
    b = _new(cases, "糖糖", kind="complaint")
    for c in (a, b):
        cases.claim(c.id, "小王")
    cases.add_tasks(a.id, ["等仓库回复补发单号"], "小王")
    notes.add(b.id, "买家要求今天给答复", "小王", promise_at=T0 + timedelta(hours=1))
    cases.escalate(b.id, "senior", "买家情绪激动", "小王")
    summary = out.summary("小王")
    assert [i.case.id for i in summary.items] == [b.id, a.id]  # promise due in 1 h first
    assert summary.items[1].next_step == "等仓库回复补发单号"
    assert summary.items[0].state == "warning"
    text = out.summary_text(summary, "仓库今天缺货", "阿珍", {a.id: "阿珍", b.id: None})
    assert "【交接班】小王 → 阿珍" in text and "等仓库回复补发单号" in text
    assert "已升级" in text and "答应买家" in text

    h = out.hand_over("小王", "阿珍", "仓库今天缺货", {a.id: "阿珍", b.id: None})
    assert cases.get(a.id).case.assignee == "阿珍"
    assert cases.get(b.id).case.assignee is None
    assert out.on_shift() == []

    incoming = Handovers(Cases(Database(db_url), policy, clock))
    unread = incoming.unread_for("阿珍")
    assert [x.id for x in unread] == [h.id]
    assert unread[0].note == "仓库今天缺货"
    assert incoming.unread_for("小王") == []
    incoming.acknowledge(h.id, "阿珍")
    assert incoming.unread_for("阿珍") == []
    assert {hc.case_id: hc.assigned_to for hc in incoming.cases_of(h.id)} == {a.id: "阿珍", b.id: None}


def test_handover_of_a_case_someone_took_meanwhile_is_refused_whole(cases):
    out = Handovers(cases)
    a = _new(cases, "阿狸")
    b = _new(cases, "糖糖")
    cases.claim(a.id, "小王")
    cases.claim(b.id, "小王")
    cases.assign(b.id, "老陈", "老陈")
    with pytest.raises(StoreError, match="已不在您名下"):
        out.hand_over("小王", None, "", {a.id: None, b.id: None})
    assert cases.get(a.id).case.assignee == "小王"  # nothing moved

"""The clock rules of a case pinned through its history: what starts, pauses, resumes, meets
and ends each clock, a kind swap and the time it counts from, the specialist, and what
resolving or closing asks about, keeps, completes or drops, each with the words the agent
reads in the history (`h` on the case).

`make mutation` runs mutmut over console/case_clocks.py and console/case_close.py; these
tests are what kills their mutants.

Accepted survivors (mutants no test can tell from the code, and why):
- case_clocks.py `_open_tasks`, line 92: `order_by(CaseTask.position, CaseTask.id)` with
  either key dropped or None: a case's steps get rising positions in the order they are
  added (case_followup._add_tasks_in), so position order is id order: equivalent.
- case_clocks.py `_start`, line 97: the default `origin=""` -> "XXXX": every caller names the
  origin: equivalent. Line 103: dropping `state="running"`: "running" is the column's default:
  equivalent.
- case_clocks.py `_end`, line 116, and `_first_reply_in`, line 131: the default `why=""` /
  `how=""` -> "XXXX": every caller passes one: equivalent.
- case_clocks.py `_sync_next`, line 207: `d.state == "running" and d.due_at is not None` ->
  `or`: a running clock always has a due time and a paused one never has: equivalent.
- case_clocks.py `_start` line 103 `state="running"` -> None, `_pause_resume` lines 157 and
  164 and `_change_kind_in` line 170, an event's detail "" -> None: the column's default
  ("running", "") is what SQLAlchemy writes for None: equivalent.
- case_clocks.py `_meet`, line 128: `met.append(d)` -> `met.append(None)`: no caller reads the
  list it returns: equivalent.
- case_clocks.py `_change_kind_in`, lines 170, 177, 179, 184: `KINDS.get(kind, kind)` for the
  new kind with the default None or dropped: change_kind refuses a kind not in KINDS first, so
  the default is never read: equivalent. (The old kind's default is pinned: a case may carry
  a kind an older console wrote.)
- case_close.py `resolve`, line 100: `SATISFACTION.get(before or "", "—")` -> `before or
  "XXXX"`: neither "" nor "XXXX" is a satisfaction, both read "—": equivalent.
- case_close.py `_close_out_in`, lines 169 and 172: a step's event text cut at `[:2000]` ->
  `[:2001]`: a step is at most 300 characters: equivalent.
"""

from __future__ import annotations

import sqlite3
import tomllib
from contextlib import closing
from dataclasses import replace
from datetime import timedelta

import pytest

from console.case_close import OpenClock, OpenTask, Pending, PendingError
from console.cases import Cases, StaleError
from console.db import NotFoundError, StoreError, open_database, resolve_url
from console.intake import CaseDraft
from console.models import Case
from console.notes import Notes
from console.sla import DEFAULT_POLICY, policy_from_dict
from tests.conftest import T0, TEAM

ORDER = "3712345678901234567"


@pytest.fixture(scope="module")
def _migrated(tmp_path_factory):
    """One migrated database per module; each test gets a copy (a migration per test is most
    of a store test's time, and `make mutation` runs these tests thousands of times)."""
    path = tmp_path_factory.mktemp("template") / "console.db"
    open_database(resolve_url(str(path))).dispose()
    return path


@pytest.fixture
def db(db_path, _migrated):
    with closing(sqlite3.connect(_migrated)) as source, closing(sqlite3.connect(db_path)) as target:
        source.backup(target)
    database = open_database(resolve_url(str(db_path)))
    yield database
    database.dispose()


def _new(cases, **kw):
    draft = CaseDraft(buyer_id="阿狸", order_no=ORDER, **kw)
    return cases.create(draft, "小王")


def _history(cases, case_id, since=0):
    """(action, before, after, detail) of each event, oldest first, from the `since`-th on."""
    return [(e.action, e.before, e.after, e.detail) for e in cases.get(case_id).events[since:]]


def _clocks(cases, case_id):
    return {d.kind: d for d in cases.get(case_id).deadlines}


def _store(db, clock, policy):
    store = Cases(db, policy, clock)
    for name in TEAM:
        store.ensure_agent(name)
    return store


def _policy_with(**changes):
    """The shipped policy with some tables changed (a shop's own sla.toml)."""
    raw = tomllib.loads(DEFAULT_POLICY.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return policy_from_dict(raw, "sla.toml")


# ---- starting clocks ----------------------------------------------------------------------


def test_a_new_case_writes_each_clock_it_starts(cases):
    case = _new(cases, kind="logistics", message_time="09:59:40")
    assert _history(cases, case.id) == [
        ("created", None, "新建", f"买家 阿狸 · 订单 {ORDER} · 旺旺/物流查询"),
        ("clock_started", None, "首次响应", "到期 2026-11-23 10:00:10"),
        ("clock_started", None, "给出方案", "到期 2026-11-24 10:00:00"),
    ]
    clocks = _clocks(cases, case.id)
    assert {k: (d.origin, d.note, d.warn_s) for k, d in clocks.items()} == {
        "first_response": ("create", "", 10), "solution": ("create", "", 4 * 3600)}
    # The queue warns from the nearest clock's warning edge, not its due time.
    assert (case.next_due_kind, case.next_due_at, case.next_warn_at) == (
        "first_response", T0 + timedelta(seconds=10), T0)


def test_a_clock_started_by_hand_says_what_started_it(cases, clock):
    case = _new(cases, kind="refund", channel="phone")
    clock.advance(hours=1)
    promise = cases.start_clock(case.id, "buyer_promise", "阿珍", due_at=T0 + timedelta(hours=5),
                                note="退回垫付运费")
    platform = cases.start_clock(case.id, "refund_auto_agree_shipped", "阿珍")
    assert (promise.origin, promise.note) == ("promise", "退回垫付运费")
    assert (platform.origin, platform.note) == ("manual", "")
    assert platform.due_at == T0 + timedelta(days=7, hours=1)
    assert _history(cases, case.id, 2) == [
        ("clock_started", None, "答应买家", "到期 2026-11-23 15:00:00 (退回垫付运费)"),
        ("clock_started", None, "退款自动同意(已发货)", "到期 2026-11-30 11:00:00"),
    ]
    assert cases.get(case.id).events[-1].agent == "阿珍"


def test_no_clock_starts_on_a_closed_case(cases):
    case = _new(cases, kind="return")
    cases.set_status(case.id, "closed", "小王", leftovers="drop")
    with pytest.raises(StoreError) as err:
        cases.start_clock(case.id, "buyer_promise", "小王")
    assert str(err.value) == "工单已解决或关闭,不能再开始计时"


# ---- pausing and resuming ------------------------------------------------------------------


def test_waiting_on_the_buyer_pauses_and_resumes_in_the_history(cases, clock):
    case = _new(cases, kind="refund", channel="phone")
    clock.advance(hours=20)
    cases.set_status(case.id, "waiting_buyer", "小王")
    clock.advance(days=3)
    cases.set_status(case.id, "in_progress", "小王")
    assert _history(cases, case.id, 2) == [
        ("status", "新建", "等买家", ""),
        ("clock_paused", None, "给出方案", ""),
        ("status", "等买家", "处理中", ""),
        ("assigned", "待分配", "小王", "接手处理"),
        ("clock_resumed", None, "给出方案", ""),
    ]
    solution = _clocks(cases, case.id)["solution"]
    # 4 h were left: due 4 h after the buyer answered, warning (4 h before) from that moment.
    assert solution.due_at == clock.now() + timedelta(hours=4)
    assert solution.warn_at == clock.now()


def test_a_clock_paused_at_its_last_second_resumes_at_its_last_second(cases, clock):
    case = _new(cases, kind="refund", channel="phone")
    clock.advance(hours=24)
    cases.set_status(case.id, "waiting_buyer", "小王")
    assert _clocks(cases, case.id)["solution"].remaining_s == 0
    clock.advance(hours=5)
    cases.set_status(case.id, "in_progress", "小王")
    assert _clocks(cases, case.id)["solution"].due_at == clock.now()


def test_moving_between_two_waiting_statuses_keeps_the_clock_paused(db, clock, policy):
    waits = _store(db, clock, replace(policy, pause_statuses=frozenset({"waiting_buyer", "waiting_courier"})))
    case = _new(waits, kind="refund", channel="phone")
    waits.set_status(case.id, "waiting_buyer", "小王")
    clock.advance(hours=2)
    waits.set_status(case.id, "waiting_courier", "小王")
    solution = _clocks(waits, case.id)["solution"]
    assert (solution.state, solution.remaining_s) == ("paused", 24 * 3600)
    assert [a for a, *_ in _history(waits, case.id)].count("clock_resumed") == 0


def test_a_clock_started_while_waiting_says_it_is_paused(cases, clock):
    case = _new(cases, kind="return", channel="phone")
    cases.set_status(case.id, "waiting_buyer", "小王")
    clock.advance(hours=1)
    cases.change_kind(case.id, "complaint", "小王")
    started = [e for e in _history(cases, case.id) if e[0] == "clock_started"][-2:]
    assert started == [
        ("clock_started", None, "投诉黄金24h", "到期 2026-11-24 10:00:00"),
        ("clock_started", None, "纠纷方案", "到期 2026-11-25 10:00:00 (等买家,暂停中)"),
    ]


# ---- meeting and ending ----------------------------------------------------------------------


def test_the_first_reply_meets_its_clock_and_takes_the_case(cases, clock):
    case = _new(cases, kind="logistics")
    clock.advance(12)
    case = cases.mark_first_reply(case.id, "小王", how="复制了话术")
    assert _history(cases, case.id, 3) == [
        ("first_reply", None, None, "复制了话术"),
        ("clock_met", None, "首次响应", ""),
        ("status", "新建", "处理中", ""),
        ("assigned", "待分配", "小王", "接手处理"),
    ]
    # A second first reply is no change at all: no event, no new version.
    before = (case.version, len(cases.get(case.id).events))
    again = cases.mark_first_reply(case.id, "阿珍")
    assert (again.version, len(cases.get(case.id).events)) == before
    assert again.first_replied_at == T0 + timedelta(seconds=12)


def test_ending_the_first_response_clock_is_the_first_reply(cases, clock):
    quiet = _new(cases, kind="logistics")
    cases.end_clock(quiet.id, _clocks(cases, quiet.id)["first_response"].id, "小王")
    assert _history(cases, quiet.id, 3)[:2] == [
        ("first_reply", None, None, "结束首次响应计时"), ("clock_met", None, "首次响应", "")]
    assert cases.get(quiet.id).case.first_replied_at == T0
    phoned = _new(cases, kind="logistics")
    cases.end_clock(phoned.id, _clocks(cases, phoned.id)["first_response"].id, "小王", "电话里回复了")
    assert _history(cases, phoned.id, 3)[0] == ("first_reply", None, None, "电话里回复了")


def test_a_first_response_clock_started_after_the_reply_just_ends(cases):
    case = _new(cases, kind="logistics")
    cases.mark_first_reply(case.id, "小王")
    again = cases.start_clock(case.id, "first_response", "小王", note="买家又来问")
    cases.end_clock(case.id, again.id, "小王")
    assert _history(cases, case.id)[-1] == ("clock_met", None, "首次响应", "已完成")
    assert [d.state for d in cases.get(case.id).deadlines if d.kind == "first_response"] == ["met", "met"]


def test_ending_a_clock_says_why(cases, clock):
    case = _new(cases, kind="refund", channel="phone")
    promise = cases.start_clock(case.id, "buyer_promise", "小王", due_at=T0 + timedelta(hours=5))
    platform = cases.start_clock(case.id, "refund_auto_agree_shipped", "小王")
    typed = cases.start_clock(case.id, "buyer_unreachable", "小王")
    cases.end_clock(case.id, promise.id, "小王")
    cases.end_clock(case.id, platform.id, "小王")
    cases.end_clock(case.id, typed.id, "小王", "打" * 250)
    assert _history(cases, case.id, 5) == [
        ("clock_met", None, "答应买家", "已完成"),
        ("clock_met", None, "退款自动同意(已发货)", "平台已处理"),
        ("clock_met", None, "联系不上买家", "打" * 200),
    ]


def test_a_paused_clock_can_be_ended_an_ended_one_cannot(cases, db, clock, policy):
    case = _new(cases, kind="refund", channel="phone")
    cases.set_status(case.id, "waiting_buyer", "小王")
    solution = _clocks(cases, case.id)["solution"]
    cases.end_clock(case.id, solution.id, "小王", "买家同意方案")
    assert _clocks(cases, case.id)["solution"].state == "met"
    with pytest.raises(NotFoundError) as err:
        cases.end_clock(case.id, solution.id, "小王")
    assert str(err.value) == "这个计时已经结束了"
    other = _new(cases, kind="refund", channel="phone")
    with pytest.raises(NotFoundError, match="这个计时已经结束了"):
        cases.end_clock(other.id, _clocks(cases, case.id)["solution"].id, "小王")
    # A clock of a kind the shop has since removed from sla.toml still ends.
    promise = cases.start_clock(other.id, "buyer_promise", "小王")
    slimmer = policy_from_dict({"clocks": {k: {"clock": r.clock, "duration": f"{int(r.duration.total_seconds())}s",
                                               "met_on": sorted(r.met_on), "pauses": r.pauses}
                                           for k, r in policy.clocks.items() if k != "buyer_promise"}})
    _store(db, clock, slimmer).end_clock(other.id, promise.id, "小王")
    assert _history(cases, other.id)[-1] == ("clock_met", None, "buyer_promise", "已完成")


def test_ending_a_clock_that_does_not_exist(cases):
    case = _new(cases, kind="return")
    with pytest.raises(NotFoundError, match="这个计时已经结束了"):
        cases.end_clock(case.id, 9999, "小王")


def test_the_last_kept_item_done_archives_the_case_by_itself(cases, clock):
    case = _new(cases, kind="return", channel="phone")
    promise = cases.start_clock(case.id, "buyer_promise", "小王", due_at=T0 + timedelta(hours=5))
    cases.resolve(case.id, "satisfied", "小王", leftovers="keep")
    clock.advance(hours=2)
    cases.end_clock(case.id, promise.id, "阿珍", "已退运费")
    last = cases.get(case.id).events[-1]
    assert (last.action, last.before, last.after, last.detail) == ("status", "已解决", "已关闭", "保留的事项都已完成,自动归档")
    assert (last.agent, last.at) == ("阿珍", T0 + timedelta(hours=2))


def test_reaching_a_specialist_says_who(cases):
    case = _new(cases, kind="return", channel="phone", urgent=True)
    cases.set_role("老陈", "specialist")
    cases.assign(case.id, "老陈", "小王")
    assert ("clock_met", None, "加急转专员", "已转给专员 老陈") in _history(cases, case.id)


# ---- changing the kind -----------------------------------------------------------------------


def test_a_kind_change_swaps_the_clocks_from_when_the_old_ones_started(cases, clock):
    case = _new(cases, kind="logistics")
    clock.advance(hours=3)
    changes = cases.change_kind(case.id, "complaint", "小王")
    assert changes == ["类型 物流查询 → 投诉纠纷;时限 给出方案 → 投诉黄金24h、纠纷方案 (从 11-23 10:00 起算)"]
    assert _history(cases, case.id, 3) == [
        ("kind", "物流查询", "投诉纠纷", ""),
        ("clock_cancelled", None, "给出方案", "类型改为投诉纠纷"),
        ("clock_started", None, "投诉黄金24h", "到期 2026-11-24 10:00:00"),
        ("clock_started", None, "纠纷方案", "到期 2026-11-25 10:00:00"),
    ]
    clocks = _clocks(cases, case.id)
    # The buyer still waits for a first word: the channel's clock is not the kind's.
    assert clocks["first_response"].state == "running"
    assert (clocks["complaint_response"].origin, clocks["dispute_solution"].origin) == ("kind", "kind")


def test_a_kind_change_with_only_new_clocks_counts_from_now(cases, clock):
    case = _new(cases, kind="logistics", channel="phone")
    cases.start_clock(case.id, "buyer_promise", "小王", due_at=T0 + timedelta(hours=8))
    cases.resolve(case.id, "satisfied", "小王", leftovers="keep")  # the solution clock is met
    clock.advance(hours=3)
    assert cases.change_kind(case.id, "complaint", "小王") == [
        "类型 物流查询 → 投诉纠纷;时限 — → 投诉黄金24h、纠纷方案 (从 11-23 13:00 起算)"]


def test_a_kind_change_with_only_ended_clocks(cases, clock):
    case = _new(cases, kind="complaint", channel="phone")
    cases.start_clock(case.id, "solution", "小王")  # started by hand: not the kind's
    clock.advance(hours=1)
    assert cases.change_kind(case.id, "return", "小王") == [
        "类型 投诉纠纷 → 退货;时限 投诉黄金24h、纠纷方案 → — (从 11-23 10:00 起算)"]


def test_a_kind_change_without_clock_changes(cases):
    case = _new(cases, kind="return", channel="phone")
    assert cases.change_kind(case.id, "exchange", "小王") == ["类型 退货 → 换货"]
    assert cases.change_kind(case.id, "exchange", "小王") == []
    closed = _new(cases, kind="logistics", channel="phone")
    cases.set_status(closed.id, "closed", "小王")
    assert cases.change_kind(closed.id, "complaint", "小王") == ["类型 物流查询 → 投诉纠纷"]
    assert {d.state for d in cases.get(closed.id).deadlines} == {"cancelled"}


def _set_kind_in_the_database(db, case_id, kind):
    with db.write() as s:
        s.get(Case, case_id).kind = kind


def test_a_kind_an_older_console_wrote_is_shown_as_written(cases, db):
    case = _new(cases, kind="other", channel="phone")
    _set_kind_in_the_database(db, case.id, "warranty")
    assert cases.change_kind(case.id, "return", "小王") == ["类型 warranty → 退货"]
    assert _history(cases, case.id)[-1] == ("kind", "warranty", "退货", "")
    closed = _new(cases, kind="other", channel="phone")
    cases.set_status(closed.id, "closed", "小王")
    _set_kind_in_the_database(db, closed.id, "warranty")
    assert cases.change_kind(closed.id, "return", "小王") == ["类型 warranty → 退货"]


def test_a_kind_change_under_a_policy_without_kind_clocks(db, clock, policy):
    bare = _store(db, clock, replace(policy, start_kind={}))
    case = _new(bare, kind="logistics", channel="phone")
    assert bare.change_kind(case.id, "complaint", "小王") == ["类型 物流查询 → 投诉纠纷"]
    assert _clocks(bare, case.id) == {}


def test_a_kind_change_is_refused_for_an_unknown_kind_or_a_stale_screen(cases):
    case = _new(cases, kind="return")
    with pytest.raises(StoreError) as err:
        cases.change_kind(case.id, "lunch", "小王")
    assert str(err.value) == "未知的工单类型: lunch"
    seen = cases.get(case.id).case.version
    Notes(cases).add(case.id, "买家又说了一句", "阿珍")
    with pytest.raises(StaleError):
        cases.change_kind(case.id, "exchange", "小王", expected_version=seen)
    assert cases.get(case.id).case.kind == "return"


# ---- what resolving and closing ask about ---------------------------------------------------


def _loaded_case(cases):
    """A refund on the phone with a platform clock, a promise, an open first reply and a step."""
    case = _new(cases, kind="refund", channel="chat", message_time="09:59:40")
    platform = cases.start_clock(case.id, "refund_auto_agree_shipped", "小王")
    promise = cases.start_clock(case.id, "buyer_promise", "小王", due_at=T0 + timedelta(hours=5),
                                note="退回垫付运费")
    (task,) = cases.add_tasks(case.id, ["收到退件后退运费"], "小王")
    return case, platform, promise, task


def test_pending_lists_what_would_still_run(cases):
    case, platform, promise, task = _loaded_case(cases)
    first = _clocks(cases, case.id)["first_response"]
    assert cases.pending(case.id) == Pending(
        platform=[OpenClock(platform.id, "refund_auto_agree_shipped", "退款自动同意(已发货)",
                            T0 + timedelta(days=7), "")],
        clocks=[OpenClock(first.id, "first_response", "首次响应", T0 + timedelta(seconds=10), ""),
                OpenClock(promise.id, "buyer_promise", "答应买家", T0 + timedelta(hours=5), "退回垫付运费")],
        tasks=[OpenTask(task.id, "收到退件后退运费")],
    )
    # Another case's clocks and open steps are not this case's.
    assert cases.pending(_new(cases, kind="return", channel="phone").id) == Pending()


def test_pending_items_read_as_lines(cases):
    case, *_ = _loaded_case(cases)
    assert cases.describe_pending(cases.pending(case.id)) == [
        "退款自动同意(已发货) (到期 11-30 10:00)",
        "首次响应 (到期 11-23 10:00)",
        "答应买家 (到期 11-23 15:00) · 退回垫付运费",
        "待办: 收到退件后退运费",
    ]
    assert cases.describe_pending(Pending(clocks=[OpenClock(1, "callback", "回电", None, "")])) == ["回电 (暂停中)"]


def test_every_running_platform_clock_is_named(cases):
    case = _new(cases, kind="refund", channel="phone")
    cases.start_clock(case.id, "refund_auto_agree_shipped", "小王")
    cases.start_clock(case.id, "seller_confirm_goods", "小王")
    with pytest.raises(PendingError) as err:
        cases.resolve(case.id, "satisfied", "小王", leftovers="done")
    assert "停不了它: 退款自动同意(已发货) (到期 11-30 10:00);卖家确认收货 (到期 12-03 10:00)。" in str(err.value)


@pytest.mark.parametrize("status, word", [("resolved", "解决"), ("closed", "关闭")])
def test_a_running_platform_clock_refuses_resolving_and_closing(cases, status, word):
    case, platform, *_ = _loaded_case(cases)
    with pytest.raises(PendingError) as err:
        cases.set_status(case.id, status, "小王", leftovers="done")
    assert str(err.value) == (f"平台计时还在走,店铺{word}工单停不了它: 退款自动同意(已发货) (到期 11-30 10:00)。"
                              f"平台状态变了请按 f 记录;平台已经处理完请按 d 记下来,再{word}。")
    assert [c.id for c in err.value.pending.platform] == [platform.id]
    assert cases.get(case.id).case.status == "new"


def test_open_items_are_asked_about_with_the_choices_of_each(cases):
    case, platform, *_ = _loaded_case(cases)
    cases.end_clock(case.id, platform.id, "小王")
    asked = ("前请决定这些还开着的事项: 首次响应 (到期 11-23 10:00);答应买家 (到期 11-23 15:00) · 退回垫付运费;"
             "待办: 收到退件后退运费")
    for status, word, wrong in (("resolved", "解决", "drop"), ("closed", "关闭", "keep")):
        for leftovers in (None, wrong):
            with pytest.raises(PendingError) as err:
                cases.set_status(case.id, status, "小王", leftovers=leftovers)
            assert str(err.value) == word + asked
            assert len(err.value.pending.clocks) == 2


def test_resolving_with_everything_done(cases, clock):
    case, platform, promise, task = _loaded_case(cases)
    cases.end_clock(case.id, platform.id, "小王")
    clock.advance(minutes=5)
    since = len(cases.get(case.id).events)
    case = cases.resolve(case.id, "satisfied", "阿珍", leftovers="done")
    assert _history(cases, case.id, since) == [
        ("satisfaction", "—", "满意", ""),
        ("first_reply", None, None, "解决时确认已完成"),
        ("clock_met", None, "首次响应", ""),
        ("status", "新建", "处理中", ""),
        ("assigned", "待分配", "阿珍", "接手处理"),
        ("clock_met", None, "答应买家", "解决时确认已完成"),
        ("task_done", None, None, "收到退件后退运费 (解决时确认已完成)"),
        ("status", "处理中", "已解决", ""),
        ("clock_met", None, "给出方案", ""),
        ("status", "已解决", "已关闭", "买家确认,归档"),
    ]
    assert (case.status, case.is_open) == ("closed", False)
    (done,) = cases.get(case.id).tasks
    assert (done.done_at, done.done_by) == (T0 + timedelta(minutes=5), "阿珍")


def test_closing_with_everything_done_or_dropped(cases):
    done, platform, *_ = _loaded_case(cases)
    cases.end_clock(done.id, platform.id, "小王")
    cases.set_status(done.id, "closed", "小王", leftovers="done")
    assert _history(cases, done.id, 7) == [
        ("first_reply", None, None, "关闭时确认已完成"),
        ("clock_met", None, "首次响应", ""),
        ("status", "新建", "处理中", ""),
        ("assigned", "待分配", "小王", "接手处理"),
        ("clock_met", None, "答应买家", "关闭时确认已完成"),
        ("task_done", None, None, "收到退件后退运费 (关闭时确认已完成)"),
        ("clock_cancelled", None, "给出方案", "关闭工单"),
        ("status", "处理中", "已关闭", ""),
    ]
    dropped, platform, *_ = _loaded_case(cases)
    cases.end_clock(dropped.id, platform.id, "小王")
    cases.set_status(dropped.id, "closed", "小王", leftovers="drop")
    assert _history(cases, dropped.id, 7) == [
        ("clock_cancelled", None, "首次响应", "关闭时取消"),
        ("clock_cancelled", None, "答应买家", "关闭时取消"),
        ("task_dropped", None, None, "收到退件后退运费 (关闭时取消)"),
        ("clock_cancelled", None, "给出方案", "关闭工单"),
        ("status", "新建", "已关闭", ""),
    ]
    assert cases.get(dropped.id).case.first_replied_at is None


def test_keeping_open_items_lists_them_in_the_history(cases):
    case, platform, *_ = _loaded_case(cases)
    cases.end_clock(case.id, platform.id, "小王")
    case = cases.resolve(case.id, "satisfied", "小王", leftovers="keep")
    kept = [e for e in _history(cases, case.id) if e[0] == "kept"]
    assert kept == [("kept", None, None, "首次响应 (到期 11-23 10:00);答应买家 (到期 11-23 15:00) · 退回垫付运费;"
                                          "待办: 收到退件后退运费")]
    assert (case.status, case.is_open) == ("resolved", True)


def test_a_long_list_of_kept_items_is_cut_in_the_history(cases):
    case = _new(cases, kind="return", channel="phone")
    cases.add_tasks(case.id, [f"第{i}步:" + "核对" * 45 for i in range(30)], "小王")
    cases.resolve(case.id, "satisfied", "小王", leftovers="keep")
    (kept,) = [e for e in cases.get(case.id).events if e.action == "kept"]
    assert len(kept.detail) == 2000 and kept.detail.startswith("待办: 第0步:核对")


def test_resolving_a_case_already_resolved_with_kept_items(cases):
    case = _new(cases, kind="return", channel="phone")
    (task,) = cases.add_tasks(case.id, ["寄回赠品"], "小王")
    cases.resolve(case.id, "satisfied", "小王", leftovers="keep")
    since = len(cases.get(case.id).events)
    case = cases.resolve(case.id, "neutral", "小王", leftovers="done")
    assert _history(cases, case.id, since) == [
        ("satisfaction", "满意", "一般", ""),
        ("task_done", None, None, "寄回赠品 (解决时确认已完成)"),
        ("status", "已解决", "已关闭", "买家确认,归档"),
    ]


def test_an_unsatisfied_buyer_reopens_with_the_reason(cases):
    case = _new(cases, kind="return", channel="phone")
    case = cases.resolve(case.id, "unsatisfied", "小王", reason="  觉得补偿太少  ")
    assert _history(cases, case.id, 2) == [
        ("satisfaction", "—", "不满意", "觉得补偿太少"),
        ("status", "新建", "处理中", ""),
        ("assigned", "待分配", "小王", "接手处理"),
        ("escalated", "—", "资深客服", "买家不满意: 觉得补偿太少"),
    ]
    assert (case.status, case.escalated_to, case.is_open) == ("in_progress", "senior", True)
    since = len(cases.get(case.id).events)
    cases.resolve(case.id, "unsatisfied", "小王", reason="还" * 250)
    first = _history(cases, case.id, since)[0]
    assert first == ("satisfaction", "不满意", "不满意", "还" * 200)
    assert not [e for e in _history(cases, case.id, since) if e[0] == "status"]  # already in progress


def test_resolve_refusals_read_in_full(cases):
    case = _new(cases, kind="return", channel="phone")
    with pytest.raises(StoreError) as err:
        cases.resolve(case.id, "great", "小王")
    assert str(err.value) == "未知的满意度: great"
    with pytest.raises(StoreError) as err:
        cases.resolve(case.id, "unsatisfied", "小王", reason="  ")
    assert str(err.value) == "买家不满意时请写明原因,以便升级给资深客服"
    cases.set_status(case.id, "closed", "小王")
    with pytest.raises(StoreError) as err:
        cases.resolve(case.id, "satisfied", "小王")
    assert str(err.value) == "工单已关闭"


def test_a_paused_clock_of_the_shops_own_is_completed_too(db, clock):
    # A shop's own clock that waits on the buyer and that resolving does not meet.
    policy = _policy_with(clocks={"callback": {"label": "回电", "clock": "shop", "duration": "4h",
                                               "pauses": True}})
    store = _store(db, clock, policy)
    case = _new(store, kind="return", channel="phone")
    store.start_clock(case.id, "callback", "小王")
    store.set_status(case.id, "waiting_buyer", "小王")
    assert store.describe_pending(store.pending(case.id)) == ["回电 (暂停中)"]
    case = store.resolve(case.id, "satisfied", "小王", leftovers="done")
    assert _clocks(store, case.id)["callback"].state == "met"
    assert (case.status, case.is_open) == ("closed", False)

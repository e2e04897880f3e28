"""The supervisor's figures over a hand-built history (tests/metrics_history.py): every
value below is worked out by hand from that history, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from console.metrics import FIGURES, Metrics, Scope, percentile
from console.metrics.calc import format_seconds
from tests.metrics_history import DAY1, DAY2, build

pytestmark = pytest.mark.backends("sqlite", "postgresql")

BOTH = Scope(DAY1, DAY2)


@pytest.fixture
def history(cases, clock):
    ids = build(cases, clock)
    return Metrics(cases.db, cases.policy, clock), ids


def _results(metrics, scope=BOTH):
    return {r.info.id: r for r in metrics.compute_all(scope)}


def _drill(metrics, ids, figure, scope=BOTH):
    names = {v: k for k, v in ids.items()}
    return [names[row.case_id] for row in metrics.drill(figure, scope)]


def test_first_response(history):
    m, ids = history
    r = _results(m)["first_response"]
    # Buyer-started: C1 10 s, C2 30 s (exactly the limit: within), C3 45 s, C4 phone 15 s
    # (within), C5 phone 16 s (not), C6 no reply (not), C8 20 s, C9 5 s; C7 (shop) left out.
    assert r.value("counted") == 8
    assert r.value("within") == 5
    assert r.headline == 5 / 8
    # Replied, sorted: 5 10 15 16 20 30 45 -> nearest rank 4 of 7 and 7 of 7.
    assert r.value("median_s") == 16
    assert r.value("p90_s") == 45
    assert r.series == [(DAY1, 3 / 6), (DAY2, 2 / 2)]
    # 小王 3/3; 阿珍 1/2 (45 s, 20 s); 老陈 1/2 (15 s, 16 s): tied second.
    assert r.ranking == [("小王", 1.0), ("老陈", 0.5), ("阿珍", 0.5)]
    assert _drill(m, ids, "first_response") == ["C6", "C3", "C5"]  # unanswered first, then slowest


def test_first_response_for_one_agent_and_rank(history):
    m, ids = history
    r = m.compute("first_response", Scope(DAY1, DAY2, agent="阿珍"))
    assert (r.value("counted"), r.value("within"), r.headline) == (2, 1, 0.5)
    assert (r.rank, r.ranked) == (2, 3)
    assert _drill(m, ids, "first_response", Scope(DAY1, DAY2, agent="阿珍")) == ["C3"]
    assert m.compute("first_response", Scope(DAY1, DAY2, agent="小王")).rank == 1


def test_shop_clocks_met_missed_and_the_paused_clock(history):
    m, ids = history
    r = _results(m)["shop_clocks"]
    # Met: C1, C2, C3 twice (before and after its reopen), C4 (paused 24 h: met on day 2 at
    # 12:00, after its first due time but before the one the pause moved), C7, C8's complaint
    # clock. Missed: C5, C6, C9 still running past due. C8's 48 h clock is not due yet.
    assert (r.value("met"), r.value("missed")) == (7, 3)
    assert r.headline == 0.7
    assert r.value("missed_share") == pytest.approx(0.3)
    assert r.table == [("给出方案", "6", "3", "66.7%"), ("投诉黄金24h", "1", "0", "100.0%")]
    assert r.series == [(DAY1, 6 / 8), (DAY2, 1 / 2)]
    assert r.ranking == [("小王", 1.0), ("阿珍", 0.75), ("老陈", 2 / 3)]
    assert _drill(m, ids, "shop_clocks") == ["C5", "C6", "C9"]


def test_platform_clocks_lapsed(history):
    m, ids = history
    r = _results(m)["platform_lapsed"]
    # C1's refund clock ended in time; C9's ran past 18:00 on day 2.
    assert (r.headline, r.value("due"), r.value("lapsed_share")) == (1, 2, 0.5)
    assert r.series == [(DAY1, 0), (DAY2, 1)]
    assert _drill(m, ids, "platform_lapsed") == ["C9"]


def test_resolution_time(history):
    m, ids = history
    r = _results(m)["resolution_time"]
    # C1 3600, C2 7200, C3 4800 (its last resolution), C4 92385; C7 has no first reply.
    assert r.value("resolved") == 4
    assert (r.value("median_s"), r.value("p90_s")) == (4800, 92385)
    assert r.ranking == [("小王", 3600.0), ("阿珍", 4800.0), ("老陈", 92385.0)]
    assert _drill(m, ids, "resolution_time") == ["C4", "C2", "C3", "C1"]


def test_one_touch_and_reopen_rate(history):
    m, ids = history
    got = _results(m)
    # Resolved in range: C1 C2 C3 C4 C7; C3 was reopened: not one-touch.
    assert (got["one_touch"].headline, got["one_touch"].value("resolved")) == (0.8, 5)
    assert got["reopen_rate"].headline == pytest.approx(0.2)
    assert got["reopen_rate"].value("reopens") == 1
    assert _drill(m, ids, "one_touch") == ["C3"]
    assert got["one_touch"].ranking[-1] == ("阿珍", 0.0)


def test_escalations_by_target_and_reason(history):
    m, ids = history
    r = _results(m)["escalations"]
    assert r.headline == 2
    assert (r.value("to_supervisor"), r.value("to_senior"), r.value("to_risk_legal")) == (1, 1, 0)
    assert sorted(r.table) == [("主管", "买家要求赔偿", "1"), ("资深客服", "买家不满意: 退款太慢", "1")]
    assert r.series == [(DAY1, 0), (DAY2, 2)]
    assert r.ranking == [("小王", 0), ("老陈", 0), ("阿珍", 2)]  # none is a value (C9 is 阿珍's since the handover)
    assert _drill(m, ids, "escalations") == ["C8", "C9"]


def test_satisfaction(history):
    m, ids = history
    r = _results(m)["satisfaction"]
    # C1 C3 C4 C7 满意, C2 一般, C9 不满意.
    assert (r.value("satisfied"), r.value("neutral"), r.value("unsatisfied"), r.value("rated")) == (4, 1, 1, 6)
    assert r.headline == 4 / 6
    assert r.value("unsatisfied_share") == 1 / 6
    assert m.drill("satisfaction", BOTH)[0].case_id == ids["C9"]
    assert "退款太慢" in m.drill("satisfaction", BOTH)[0].reason


def test_work_mix_complaints_and_interventions(history):
    m, ids = history
    got = _results(m)
    mix = got["work_mix"]
    assert mix.headline == 9
    assert (mix.value("kind_other"), mix.value("kind_return"), mix.value("kind_complaint")) == (5, 1, 1)
    assert (mix.value("outcome_refund"), mix.value("outcome_return"), mix.value("outcome_exchange"),
            mix.value("outcome_compensation"), mix.value("outcome_none")) == (1, 1, 1, 2, 4)
    assert mix.value("compensation_yuan") == 42.5  # 12.50 + 30.00
    assert (got["complaints"].headline, got["interventions"].headline) == (1, 1)
    assert got["interventions"].value("intervened_share") == 1 / 9
    assert "近似" in got["interventions"].info.formula  # a proxy for the platform's dispute rate
    assert _drill(m, ids, "complaints") == ["C8"]
    assert [r.case_id for r in m.drill("work_mix", BOTH, limit=3)] == [ids["C1"], ids["C2"], ids["C3"]]


def test_replies_and_forbidden_overrides(history):
    m, ids = history
    got = _results(m)
    r = got["replies"]
    assert (r.headline, r.value("edited"), r.value("edited_share")) == (3, 2, 2 / 3)
    assert r.table == [("greet.hello", "3"), ("refund.done", "1")]
    f = got["forbidden_overridden"]
    assert (f.headline, f.value("hits")) == (1, 2)
    assert _drill(m, ids, "forbidden_overridden") == ["C8"]
    assert _drill(m, ids, "replies") == ["C2", "C8"]


def test_handover(history):
    m, ids = history
    r = _results(m)["handover"]
    assert (r.value("handovers"), r.value("shifts"), r.value("per_shift"), r.value("cases")) == (1, 2, 0.5, 1)
    assert r.headline == 600  # acknowledged ten minutes later
    assert _drill(m, ids, "handover") == ["C9"]


def test_one_day_and_one_kind(history):
    m, ids = history
    day2 = _results(m, Scope(DAY2, DAY2))
    assert day2["first_response"].value("counted") == 2
    assert day2["resolution_time"].value("resolved") == 1  # C4, resolved on day 2
    other = _results(m, Scope(DAY1, DAY2, kind="other"))
    assert other["work_mix"].headline == 5
    assert other["first_response"].value("counted") == 5  # C1 C2 C3 C5 C6
    assert _drill(m, ids, "first_response", Scope(DAY1, DAY2, kind="other")) == ["C6", "C3", "C5"]


def test_every_figure_says_its_formula_and_an_empty_range_is_empty(history):
    m, _ = history
    assert [i.id for i in m.figures()] == list(FIGURES)
    for info in m.figures():
        assert info.name and info.formula and info.agent_rule and info.drill
        assert info.better in ("higher", "lower")
    seen = []
    empty = m.compute_all(Scope(date(2026, 10, 1), date(2026, 10, 2)), progress=lambda i, n, name: seen.append(i))
    assert seen == list(range(1, len(FIGURES) + 1))
    # Nothing counted: no value, no ranks; but "no escalations" is 0, for the team and everyone.
    assert {r.info.id for r in empty if r.headline is not None} == {"escalations"}
    assert {r.info.id for r in empty if r.ranking} == {"escalations"}


def test_milestones_are_recorded_by_the_store(history, cases):
    _, ids = history
    c3 = cases.get(ids["C3"]).case
    assert (c3.reopen_count, c3.resolved_by, c3.first_replied_by, c3.outcome_kind) == (1, "阿珍", "阿珍", "exchange")
    c9 = cases.get(ids["C9"]).case
    assert c9.resolved_at is None and c9.rated_at is not None and c9.escalated_at is not None
    assert [e.action for e in cases.get(ids["C8"]).events].count("forbidden_overridden") == 1


@pytest.mark.backends("sqlite")
def test_percentile_nearest_rank():
    assert percentile(Counter(), 50) is None
    assert percentile(Counter({7: 1}), 90) == 7
    assert percentile(Counter({1: 1, 2: 1, 3: 1, 4: 1}), 50) == 2
    assert percentile(Counter({1: 9, 100: 1}), 90) == 1
    assert percentile(Counter({1: 9, 100: 1}), 91) == 100
    assert format_seconds(92385) == "1天1小时"
    with pytest.raises(ValueError):
        Scope(DAY2, DAY1)


@pytest.mark.backends("sqlite")
def test_every_wizard_outcome_has_a_work_mix_kind():
    from console.sop import load_library
    from console.vocab import OUTCOME_KINDS
    from console.wizard import outcome_kind
    from tests.test_sop import all_leaves

    library = load_library()
    kinds = Counter(outcome_kind(w.outcome) for flow in library.flows.values() for w in all_leaves(flow).values())
    assert set(kinds) <= set(OUTCOME_KINDS)
    assert {"refund", "return", "exchange", "reship", "price_difference", "compensation"} <= set(kinds)


def test_rows_are_reused_for_another_agent_until_a_fresh_read(history, cases, clock):
    m, ids = history
    assert m.compute("work_mix", BOTH).headline == 9
    from console.intake import CaseDraft
    from tests.metrics_history import shop

    clock.set(shop(2, 15, 0))
    cases.create(CaseDraft(buyer_id="新买家", kind="other"), "小王")
    # Another agent over the same days: the rows read a moment ago, all agents in them.
    assert m.compute("work_mix", Scope(DAY1, DAY2, agent="老陈")).headline == 3
    assert m.compute("work_mix", BOTH).headline == 9
    assert m.compute("work_mix", BOTH, fresh=True).headline == 10

"""Placeholder values: each one filled only from its own source, never from another clock or
from the buyer ID; what nothing in the console knows stays a visible 【待填】 marker."""

from datetime import timedelta
from types import SimpleNamespace

from console.intake import CaseDraft
from console.models import Case
from console.phrases import PLACEHOLDERS, clock_values, fill, load_library
from tests.conftest import T0
from tests.ui_helpers import make_app

SIZE = (120, 36)


def _clock(kind, hours, state="running"):
    return SimpleNamespace(kind=kind, state=state, due_at=T0 + timedelta(hours=hours))


def test_deadline_is_split_into_three_named_facts():
    assert "deadline" not in PLACEHOLDERS
    assert {"delivery_estimate", "promise_time", "platform_deadline"} <= set(PLACEHOLDERS)
    assert not [r.id for r in load_library().replies if "{deadline}" in r.text]


def test_a_shop_clock_fills_no_time(policy):
    # The nearest clock is the 30 s first response and the 24 h solution time: internal
    # clocks of the shop, which a buyer must never be told as a delivery or promise time.
    values = clock_values([_clock("first_response", 0.01), _clock("solution", 24)], policy)
    assert values == {}


def test_promise_time_comes_only_from_a_running_promise(policy):
    clocks = [_clock("solution", 1), _clock("buyer_promise", 8), _clock("buyer_promise", 4, "met"),
              _clock("refund_auto_agree_shipped", 168)]
    values = clock_values(clocks, policy)
    # 02:00 UTC + 8 h = 10:00 UTC = 18:00 in Shanghai; the kept (met) promise is not used.
    assert values["promise_time"] == "11月23日 18:00"
    assert "delivery_estimate" not in values


def test_platform_deadline_comes_only_from_a_platform_clock(policy):
    assert policy.clocks["refund_auto_agree_shipped"].clock == "platform"
    clocks = [_clock("solution", 2), _clock("buyer_promise", 3), _clock("refund_auto_agree_shipped", 168)]
    assert clock_values(clocks, policy)["platform_deadline"] == "11月30日 10:00"
    # A paused or ended platform clock fills nothing; the nearest running one wins.
    assert "platform_deadline" not in clock_values([_clock("unpaid_close", 5, "cancelled")], policy)
    nearest = clock_values([_clock("refund_auto_agree_shipped", 168), _clock("unpaid_close", 72)], policy)
    assert nearest["platform_deadline"] == "11月26日 10:00"


def test_a_delivery_estimate_is_never_invented(policy):
    # Whatever clocks run on the case, none of them is the courier's delivery estimate.
    every_clock = [_clock(kind, n + 1) for n, kind in enumerate(policy.clocks)]
    values = clock_values(every_clock, policy)
    assert "delivery_estimate" not in values
    reply = load_library().get("logistics.delivery_slow_fastest")
    assert "最快【待填:预计送达】能派送到您手上" in fill(reply.text, values)


async def test_case_values_keep_the_buyer_id_out_of_the_buyers_name(db, policy, clock, cases):

    case = cases.create(CaseDraft(buyer_id="tb8812345", kind="payment", channel="phone",
                                  product="保湿面霜"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE):
        values = app.reply_values(app.cases.get(case.id))
        opening = fill(load_library().get("payment.self_opening").text, values)
    assert values["buyer_id"] == "tb8812345" and values["product"] == "保湿面霜"
    assert "tb8812345" not in opening and "请问是【待填:称呼】吗" in opening
    # The case's solution clock runs, yet no reply time is filled from it.
    assert any(d.kind == "solution" for d in cases.get(case.id).running)
    assert not {"promise_time", "platform_deadline", "delivery_estimate"} & set(values)

    with db.write() as s:  # what an order import will do: the name the order gives
        s.get(Case, case.id).buyer_name = "王女士"
    cases.start_clock(case.id, "buyer_promise", "小王", due_at=T0 + timedelta(hours=3))
    cases.start_clock(case.id, "unpaid_close", "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE):
        values = app.reply_values(app.cases.get(case.id))
    assert values["buyer_name"] == "王女士"
    assert "请问是王女士吗" in fill(load_library().get("payment.self_opening").text, values)
    assert values["promise_time"] == "11月23日 13:00"
    assert values["platform_deadline"] == "11月26日 10:00"
    callback = fill(load_library().get("payment.self_busy_callback").text, values)
    assert "那我11月23日 13:00再联系您" in callback

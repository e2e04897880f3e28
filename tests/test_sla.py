from datetime import timedelta

import pytest

from console.sla import (
    PolicyError,
    format_countdown,
    load_policy,
    parse_duration,
    pause,
    policy_from_dict,
    resume,
    schedule,
    state_at,
)
from tests.conftest import T0


def test_shipped_policy_has_every_limit_from_the_domain(policy):
    c = policy.clocks
    assert c["first_response"].duration == timedelta(seconds=30)
    assert c["solution"].duration == timedelta(hours=24)
    assert c["dispute_solution"].duration == timedelta(hours=48)
    assert c["urgent_specialist"].duration == timedelta(hours=2)
    assert c["refund_auto_agree_paid"].duration == timedelta(days=2)
    assert c["refund_auto_agree_shipped"].duration == timedelta(days=7)
    assert c["unpaid_close"].duration == timedelta(days=3)
    assert c["buyer_unreachable"].duration == timedelta(days=4)
    for kind in ("refund_auto_agree_paid", "refund_auto_agree_shipped", "unpaid_close"):
        assert c[kind].clock == "platform"
        assert not c[kind].met_on and not c[kind].pauses  # nothing the shop does stops them
    assert c["buyer_unreachable"].clock == "shop"  # the shop's own rule [004 疑难件]
    # Only the solution clocks wait on the buyer; first response, urgent and promises never pause.
    assert {k for k, r in c.items() if r.pauses} == {"solution", "dispute_solution"}
    assert c["urgent_specialist"].met_on == {"specialist_assigned", "resolved"}
    for rule in c.values():
        assert timedelta(0) < rule.warn_before < rule.duration
    assert str(policy.timezone) == "Asia/Shanghai"
    assert policy.pause_statuses == {"waiting_buyer"}


def test_clocks_started_on_create(policy):
    assert policy.clocks_on_create("chat", "return", False) == ["first_response", "solution"]
    assert policy.clocks_on_create("phone", "return", False) == ["solution"]
    assert policy.clocks_on_create("chat", "complaint", True) == [
        "first_response", "complaint_response", "dispute_solution", "urgent_specialist",
    ]


def test_state_boundaries(policy):
    due, warn = schedule(policy.clocks["first_response"], T0)
    assert due == T0 + timedelta(seconds=30)
    assert warn == T0 + timedelta(seconds=20)
    assert state_at(due, warn, warn - timedelta(seconds=1)) == "ok"
    # Exactly at the warning edge: warning.
    assert state_at(due, warn, warn) == "warning"
    # Exactly due: still the last second of the limit, not yet past.
    assert state_at(due, warn, due) == "warning"
    # One second over: overdue.
    assert state_at(due, warn, due + timedelta(seconds=1)) == "overdue"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (29, "00:29"),
        (0, "00:00"),
        (-1, "-00:01"),
        (3599, "59:59"),
        (3600, "1h00m"),
        (3 * 3600 + 5 * 60 + 59, "3h05m"),
        (-(3 * 3600 + 5 * 60), "-3h05m"),
        (86400 * 2 + 4 * 3600, "2d04h"),
        (86400 * 200, "99d+"),
    ],
)
def test_format_countdown(seconds, text):
    assert format_countdown(timedelta(seconds=seconds)) == text


def test_pause_and_resume_keep_the_time_left(policy):
    rule = policy.clocks["solution"]
    due, _ = schedule(rule, T0)
    paused_at = T0 + timedelta(hours=20)
    left = pause(due, paused_at)
    assert left == 4 * 3600
    # Three days later the buyer answers: the clock resumes with 4 h, not overdue.
    back = paused_at + timedelta(days=3)
    new_due, new_warn = resume(left, int(rule.warn_before.total_seconds()), back)
    assert new_due == back + timedelta(hours=4)
    assert state_at(new_due, new_warn, back) == "warning"  # 4 h left is inside the 4 h window
    assert state_at(new_due, new_warn, back - timedelta(seconds=1)) != "overdue"


def test_parse_duration():
    assert parse_duration("30s", "x") == timedelta(seconds=30)
    assert parse_duration("1.5h", "x") == timedelta(minutes=90)
    assert parse_duration("7d", "x") == timedelta(days=7)
    with pytest.raises(PolicyError, match="where"):
        parse_duration("7 days", "where")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"clocks": {"a": {"clock": "moon", "duration": "1h"}}}, "clock 必须是"),
        ({"clocks": {"a": {"clock": "shop", "duration": "1h", "warn_before": "2h"}}}, "预警时间必须短于时限"),
        ({"clocks": {"a": {"clock": "shop", "duration": "1h", "met_on": ["lunch"]}}}, "未知事件"),
        ({"clocks": {}, "start": {"kind": {"return": ["nope"]}}}, "未知的计时类型"),
        ({"clocks": {}, "pause_statuses": ["sleeping"]}, "pause_statuses"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"order_number": {"min_length": 30, "max_length": 10}}, "长度范围"),
    ],
)
def test_bad_policy_is_refused_with_the_place(raw, message):
    with pytest.raises(PolicyError, match=message) as err:
        policy_from_dict(raw, "sla.toml")
    assert "sla.toml" in str(err.value)


def test_bad_policy_file(tmp_path):
    p = tmp_path / "sla.toml"
    p.write_text("timezone = [", encoding="utf-8")
    with pytest.raises(PolicyError, match="TOML"):
        load_policy(p)
    with pytest.raises(PolicyError, match="找不到"):
        load_policy(tmp_path / "missing.toml")

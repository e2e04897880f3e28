"""Deadline rules pinned: the policy loader's every refusal, its defaults, countdown and age
texts at their edges, and shop time in the shop's zone whatever the machine's zone.

`make mutation` runs mutmut over console/sla.py; these tests are what kills its mutants.

Accepted survivors (mutants no test can tell from the code, and why):
- sla.py `parse_duration`, line 85: `if isinstance(value, str)` -> `if … or True`: `str()` of
  any other TOML value (int, float, bool, date, list, table) never matches "number + s/m/h/d",
  so both refuse the same values with the same message: equivalent.
- sla.py `load_policy`, line 95: `read_text(encoding="utf-8")` -> `encoding=None` or "UTF-8":
  the same codec on every machine the tests run on (UTF-8 locale); the explicit UTF-8 is for
  Windows (PITFALLS.md): equivalent here.
- sla.py `format_countdown`, line 232: `seconds < 0` -> `seconds <= 0` or `seconds < 1`: they
  differ only at 0 seconds, where -0 == 0 and the sign was already chosen: equivalent.
- sla.py `format_age`, line 243: `max(0, …)` -> `max(1, …)`: 0 s and 1 s both read "0分":
  equivalent.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from console.sla import (
    PolicyError,
    format_age,
    format_countdown,
    load_policy,
    policy_from_dict,
    shop_time,
)
from tests.conftest import T0

SHOP = {"clock": "shop", "duration": "1h"}


@pytest.fixture
def machine_in_new_york(monkeypatch):
    """The computer's own zone is neither UTC nor the shop's: only the shop's zone may show."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# ---- countdown and age texts ---------------------------------------------------------------


@pytest.mark.parametrize("seconds, text", [
    (59, "00:59"),
    (600, "10:00"),  # minutes are sixties, not sixty-ones
    (3599, "59:59"),
    (86399, "23h59m"),
    (86400, "1d00h"),  # exactly 24 h is a day
    (-86400, "-1d00h"),
    (5 * 86400, "5d00h"),
    (100 * 86400 - 1, "99d23h"),
    (100 * 86400, "99d+"),
])
def test_countdown_texts_at_their_edges(seconds, text):
    assert format_countdown(timedelta(seconds=seconds)) == text


@pytest.mark.parametrize("seconds, text", [
    (-30, "0分"),  # a clock a little ahead never shows a negative age
    (0, "0分"),
    (90, "1分"),
    (120, "2分"),
    (3599, "59分"),
    (3600, "1时"),
    (7200, "2时"),
    (86399, "23时"),
    (86400, "1天"),
    (2 * 86400, "2天"),
])
def test_case_age_texts_at_their_edges(seconds, text):
    assert format_age(timedelta(seconds=seconds)) == text


# ---- shop time ----------------------------------------------------------------------------


def test_shop_time_is_in_the_shops_zone_on_any_machine(policy, machine_in_new_york):
    assert shop_time(T0, policy) == "11-23 10:00"  # 02:00 UTC is 10:00 in Shanghai
    assert shop_time(datetime(2026, 11, 23, 16, 30, tzinfo=UTC), policy) == "11-24 00:30"
    assert shop_time(T0, policy, "%Y-%m-%d %H:%M:%S") == "2026-11-23 10:00:00"


def test_another_shop_zone_is_used(machine_in_new_york):
    tokyo = policy_from_dict({"timezone": "Asia/Tokyo"})
    assert shop_time(T0, tokyo) == "11-23 11:00"


# ---- the policy: defaults, lookups ---------------------------------------------------------


def test_an_empty_policy_has_the_documented_defaults():
    policy = policy_from_dict({})
    assert str(policy.timezone) == "Asia/Shanghai"
    assert policy.clocks == {} and policy.start_urgent == () and policy.refund_clocks == {}
    assert policy.pause_statuses == {"waiting_buyer"}
    assert (policy.order_min, policy.order_max) == (10, 20)
    assert policy.source == "<policy>"
    # No [start] table: a new case starts no clocks, whatever its channel and kind.
    assert policy.clocks_on_create("chat", "return", urgent=True) == []


def test_a_clock_without_a_label_is_called_by_its_key():
    policy = policy_from_dict({"clocks": {"callback": {"clock": "shop", "duration": "2h", "warn_before": "30m"}}})
    rule = policy.rule("callback")
    assert rule.label == "callback" and rule.duration == timedelta(hours=2)
    assert rule.warn_before == timedelta(minutes=30) and rule.met_on == frozenset() and not rule.pauses
    assert policy.label("callback") == "callback"


def test_labels_and_unknown_kinds(policy):
    assert policy.label("solution") == "给出方案"
    assert policy.label(None) == ""
    assert policy.label("gone_from_the_file") == "gone_from_the_file"  # an old clock in the database
    with pytest.raises(PolicyError) as err:
        policy.rule("nope")
    assert str(err.value) == f"{policy.source}: 未知的计时类型 'nope' (unknown clock kind)"


def test_a_shop_started_contact_gets_no_channel_clock(policy):
    assert policy.clocks_on_create("chat", "payment", False, initiated_by="shop") == ["solution"]
    assert policy.clocks_on_create("chat", "payment", False) == ["first_response", "solution"]


def test_the_policy_file_is_its_source(tmp_path):
    path = tmp_path / "sla.toml"
    path.write_text('timezone = "Asia/Shanghai"\n[clocks.a]\nclock = "moon"\nduration = "1h"\n', encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert str(err.value) == f'{path}: [clocks.a]: clock 必须是 "shop" 或 "platform" (got \'moon\')'
    path.write_text('[clocks.a]\nlabel = "回电"\nclock = "shop"\nduration = "1h"\n', encoding="utf-8")
    policy = load_policy(path)
    assert policy.source == str(path) and policy.label("a") == "回电"


# ---- the policy loader's refusals, word for word -------------------------------------------


@pytest.mark.parametrize("raw, message", [
    ({"timezone": "Mars/Olympus"}, "timezone 无效: 'Mars/Olympus'"),
    ({"clocks": {"a": "1h"}}, "[clocks.a]: 应为一个表 (must be a table)"),
    ({"clocks": {"a": {"clock": "shop"}}},
     '[clocks.a] duration: 时长格式应为 数字+s/m/h/d/wd(工作日),例如 "24h" (got None)'),
    ({"clocks": {"a": {"clock": "shop", "duration": "1h", "warn_before": "soon"}}},
     '[clocks.a] warn_before: 时长格式应为 数字+s/m/h/d/wd(工作日),例如 "24h" (got \'soon\')'),
    ({"clocks": {"a": {"clock": "shop", "duration": "0s"}}}, "[clocks.a] duration: 必须大于 0"),
    # A warning as long as the limit would warn from the first second.
    ({"clocks": {"a": {"clock": "shop", "duration": "1h", "warn_before": "60m"}}},
     "[clocks.a] warn_before: 预警时间必须短于时限 (must be shorter than duration)"),
    ({"clocks": {"a": {"clock": "shop", "duration": "1h", "met_on": ["assigned"]}}},
     "[clocks.a] met_on: 未知事件 ['assigned'] (known: ['first_reply', 'resolved', 'solution_proposed', 'specialist_assigned'])"
     ";指派给任何人都不算,改用 specialist_assigned (转到专员)"),
    ({"clocks": {"a": {"clock": "shop", "duration": "1h", "met_on": ["lunch"]}}},
     "[clocks.a] met_on: 未知事件 ['lunch'] (known: ['first_reply', 'resolved', 'solution_proposed', 'specialist_assigned'])"),
    ({"clocks": {"a": {"clock": "shop", "duration": "1h", "pauses": "yes"}}},
     "[clocks.a] pauses: 应为 true 或 false (got 'yes')"),
    ({"clocks": {"a": {"clock": "platform", "duration": "1h", "pauses": True}}},
     "[clocks.a]: 平台计时不会因为店铺暂停或结案而停止,不能设 pauses 或 met_on "
     "(platform clocks end only when the platform status moves on)"),
    ({"clocks": {"a": {"clock": "platform", "duration": "1h", "met_on": ["resolved"]}}},
     "[clocks.a]: 平台计时不会因为店铺暂停或结案而停止,不能设 pauses 或 met_on "
     "(platform clocks end only when the platform status moves on)"),
    ({"clocks": {"a": SHOP}, "start": {"channel": {"chat": "a"}}},
     "[start.channel] chat: 应为计时类型列表 (must be a list)"),
    ({"clocks": {"a": SHOP}, "start": {"channel": {"fax": ["a"]}}}, "[start.channel] 未知渠道 'fax'"),
    ({"clocks": {"a": SHOP}, "start": {"channel": {"chat": ["b"]}}},
     "[start.channel] chat: 未知的计时类型 'b' (not in [clocks])"),
    ({"clocks": {"a": SHOP}, "start": {"kind": {"lunch": ["a"]}}}, "[start.kind] 未知工单类型 'lunch'"),
    ({"clocks": {"a": SHOP}, "start": {"kind": {"return": "a"}}},
     "[start.kind] return: 应为计时类型列表 (must be a list)"),
    ({"clocks": {"a": SHOP}, "start": {"urgent": "a"}}, "[start] urgent: 应为计时类型列表 (must be a list)"),
    ({"clocks": {"a": SHOP}, "refund_clocks": {"lost": ["a"]}}, "[refund_clocks] 未知退款状态 'lost'"),
    ({"clocks": {"a": SHOP}, "refund_clocks": {"seller_refused": ["b"]}},
     "[refund_clocks] seller_refused: 未知的计时类型 'b' (not in [clocks])"),
    ({"pause_statuses": ["sleeping"]}, "pause_statuses 有未知状态 ['sleeping']"),
    ({"order_number": {"min_length": 0}}, "[order_number] 长度范围无效 (0–20)"),
    ({"order_number": {"max_length": 33}}, "[order_number] 长度范围无效 (10–33)"),
    ({"order_number": {"min_length": 21}}, "[order_number] 长度范围无效 (21–20)"),
])
def test_every_refusal_names_the_file_and_the_key(raw, message):
    with pytest.raises(PolicyError) as err:
        policy_from_dict(raw, "sla.toml")
    assert str(err.value) == f"sla.toml: {message}"


def test_a_refusal_without_a_file_says_policy():
    with pytest.raises(PolicyError) as err:
        policy_from_dict({"clocks": {"a": {"clock": "moon", "duration": "1h"}}})
    assert str(err.value).startswith("<policy>: [clocks.a]: clock")


@pytest.mark.parametrize("order, limits", [
    ({"min_length": 1, "max_length": 1}, (1, 1)),
    ({"min_length": 12, "max_length": 32}, (12, 32)),
    ({"min_length": 19}, (19, 20)),
    ({"max_length": 11}, (10, 11)),
])
def test_order_number_lengths_at_their_edges(order, limits):
    policy = policy_from_dict({"order_number": order})
    assert (policy.order_min, policy.order_max) == limits


def test_a_clock_the_shop_only_records_needs_nothing_else():
    # A platform clock with neither pauses nor met_on loads; so does a shop clock with met_on.
    policy = policy_from_dict({"clocks": {
        "p": {"clock": "platform", "duration": "2d", "warn_before": "12h", "label": "平台"},
        "s": {"clock": "shop", "duration": "24h", "met_on": ["resolved"], "pauses": True},
    }, "start": {"channel": {"chat": ["s"]}, "kind": {"return": ["s", "p"]}, "urgent": ["s"]},
        "refund_clocks": {"waiting_seller_agree": ["p"]}, "pause_statuses": ["waiting_buyer", "waiting_courier"]})
    assert policy.rule("p").clock == "platform" and policy.rule("s").pauses
    assert policy.clocks_on_create("chat", "return", urgent=True) == ["s", "p"]
    assert policy.refund_clocks == {"waiting_seller_agree": ("p",)}
    assert policy.pause_statuses == {"waiting_buyer", "waiting_courier"}

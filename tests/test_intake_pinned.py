"""The new-case form's parsers pinned: every branch of the paste parser, the typed times
(shop time, promised time) and the draft's checks, each at its edges.

`make mutation` runs mutmut over console/intake.py; these tests are what kills its mutants.
"""

from __future__ import annotations

from console.intake import Origin, pick_from_paste
from tests.conftest import T0


def test_an_order_time_line_is_never_the_buyers_message_time(policy):
    # Order details copy as labelled lines; the payment time is three days before the buyer
    # wrote: a first-response clock started from it would be overdue at once.
    text = "会员名 快乐的小猪\n订单编号 3712345678901234567\n付款时间: 2026-11-20 10:11:12\n快递到哪了"
    p = pick_from_paste(text, policy, now=T0)
    assert p.message_time == "" and "message_time" not in p.origins
    assert p.description == "付款时间: 2026-11-20 10:11:12\n快递到哪了"
    assert p.origins["order_no"] == Origin(2, "订单编号:")
    # The buyer's own line still gives the time when there is one.
    p = pick_from_paste("下单时间 2026-11-20 10:11:12\n阿狸 2026-11-23 09:58:00\n在吗", policy, now=T0)
    assert p.message_time == "2026-11-23 09:58:00"

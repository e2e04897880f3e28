"""Reading the queue: order, filters, prefix search, header counts."""

from datetime import timedelta

import pytest

from console.demo import populate
from console.intake import CaseDraft
from console.queue import QueueFilter, QueueReader
from tests.conftest import T0

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def _case(cases, buyer, order, **kw):
    return cases.create(CaseDraft(buyer_id=buyer, order_no=order, **kw), "小王")


def test_order_is_nearest_deadline_first_with_clockless_cases_last(db, cases, clock):
    a = _case(cases, "阿狸", "1111111111", kind="return", channel="phone")  # 24 h
    b = _case(cases, "糖糖", "2222222222", kind="return")  # 30 s first reply
    c = _case(cases, "考拉", "3333333333", kind="return", channel="phone")
    cases.set_status(c.id, "waiting_buyer", "小王")  # paused: no running clock
    d = _case(cases, "云朵", "4444444444", kind="return", channel="phone")
    cases.set_urgent(d.id, True, "小王")  # 2 h
    reader = QueueReader(db, "小王")
    ids = [r.id for r in reader.page(QueueFilter(), T0, 0, 10)]
    assert ids == [b.id, d.id, a.id, c.id]
    assert reader.count(QueueFilter(), T0) == 4
    # Paging returns the same order in slices.
    assert [r.id for r in reader.page(QueueFilter(), T0, 1, 2)] == [d.id, a.id]


def test_filters(db, cases, clock):
    a = _case(cases, "阿狸", "1111111111", kind="return")
    b = _case(cases, "糖糖", "2222222222", kind="refund", channel="phone")
    cases.assign(b.id, "小王", "小王")
    cases.set_urgent(b.id, True, "小王")
    reader = QueueReader(db, "小王")
    now = T0 + timedelta(minutes=5)  # a's first reply (30 s) is over by now

    def ids(**kw):
        return [r.id for r in reader.page(QueueFilter(**kw), now, 0, 10)]

    assert ids(mine=True) == [b.id]
    assert ids(urgent=True) == [b.id]
    assert ids(overdue=True) == [a.id]
    assert ids(due_soon=True) == [a.id]  # overdue counts as due within 30 minutes
    assert ids(kind="refund") == [b.id]
    assert ids(status="new") == [a.id, b.id]
    assert reader.count(QueueFilter(mine=True, kind="return"), now) == 0


def test_closed_cases_leave_the_queue_but_search_finds_them(db, cases):
    a = _case(cases, "阿狸", "3712345678901234567")
    cases.set_status(a.id, "closed", "小王", leftovers="drop")
    reader = QueueReader(db, "小王")
    assert reader.count(QueueFilter(), T0) == 0
    assert [r.id for r in reader.page(QueueFilter(search="阿"), T0, 0, 10)] == [a.id]
    assert [r.id for r in reader.page(QueueFilter(search="37123"), T0, 0, 10)] == [a.id]
    assert reader.page(QueueFilter(search="38"), T0, 0, 10) == []
    assert [r.id for r in reader.page(QueueFilter(status="closed"), T0, 0, 10)] == [a.id]


def test_search_puts_open_cases_first(db, cases):
    old = _case(cases, "阿狸1", "1111111111")
    cases.set_status(old.id, "closed", "小王", leftovers="drop")
    new = _case(cases, "阿狸2", "2222222222")
    reader = QueueReader(db, "小王")
    assert [r.id for r in reader.page(QueueFilter(search="阿狸"), T0, 0, 10)] == [new.id, old.id]
    assert reader.count(QueueFilter(search="阿狸"), T0) == 2


def _found(reader, text):
    return sorted(r.id for r in reader.page(QueueFilter(search=text), T0, 0, 50))


def test_search_is_a_prefix_as_typed_and_wildcards_are_plain_characters(db, cases):
    abc = _case(cases, "abc_1", "")
    abcd = _case(cases, "abcd", "1000000001")
    sale = _case(cases, "100%off", "")
    upper = _case(cases, "ABCD", "")
    wide = _case(cases, "ａｂｃｄ", "")  # full-width letters, as some input methods type them
    reader = QueueReader(db, "小王")
    assert _found(reader, "abc") == sorted([abc.id, abcd.id])
    assert _found(reader, "abc_") == [abc.id]  # "_" is not "any character"
    assert _found(reader, "100%") == [sale.id]  # "%" is not "anything"
    assert _found(reader, "100") == sorted([sale.id, abcd.id])  # a buyer ID and an order number
    assert _found(reader, "AB") == [upper.id]
    assert _found(reader, "ａｂ") == [wide.id]
    assert _found(reader, "b") == []  # a prefix, not anywhere in the ID


@pytest.mark.backends("postgresql")
def test_search_on_a_server_with_a_chinese_collation(pg_server, policy, clock):
    """A shop's server may sort by pinyin (ICU zh-CN): the prefix search must not follow it
    (a range would take 'ABCD' and 'ａｂｃｄ' for 'abc')."""
    from console.cases import Cases
    from console.db import open_database

    name = pg_server.new_database(migrated=False) + "_zh"
    try:
        pg_server.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE_PROVIDER icu'
                          " ICU_LOCALE 'zh-CN' LOCALE 'C'")
    except Exception as exc:  # noqa: BLE001 - a server built without ICU
        pytest.skip(f"this PostgreSQL has no ICU collations: {exc}")
    db = open_database(pg_server.url(name))
    try:
        cases = Cases(db, policy, clock)
        cases.ensure_agent("小王")
        ids = {buyer: _case(cases, buyer, "").id for buyer in ("abcd", "ABCD", "ａｂｃｄ", "阿狸", "阿狸2", "安")}
        reader = QueueReader(db, "小王")
        assert _found(reader, "abc") == [ids["abcd"]]
        assert _found(reader, "阿狸") == sorted([ids["阿狸"], ids["阿狸2"]])
        assert _found(reader, "安") == [ids["安"]]
    finally:
        db.dispose()
        pg_server.drop_database(name)


def test_counts(db, policy, clock):
    populate(db, policy, T0, 500, open_ratio=0.8, seed=3)
    reader = QueueReader(db, "小王")
    c = reader.counts(T0)
    assert c.open == reader.count(QueueFilter(), T0)
    assert 300 < c.open < 500
    assert c.overdue == reader.count(QueueFilter(overdue=True), T0)
    assert 0 < c.warning < c.open
    # Every row the queue shows is in deadline order.
    rows = reader.page(QueueFilter(), T0, 0, 500)
    dues = [r.next_due_at for r in rows]
    assert dues == sorted(dues)


def test_position_finds_a_case_that_moved(db, cases):
    _case(cases, "阿狸", "1111111111", channel="phone")
    b = _case(cases, "糖糖", "2222222222", channel="phone")
    reader = QueueReader(db, "小王")
    assert reader.position(QueueFilter(), T0, b.id, 0) == 1
    cases.set_urgent(b.id, True, "小王")
    assert reader.position(QueueFilter(), T0, b.id, 1) == 0
    assert reader.position(QueueFilter(), T0, 9999, 0) is None


def test_columns_give_way_when_the_table_is_narrow():
    from console.widgets.case_table import COLUMNS, column_widths, header_line

    wide = column_widths(130)
    assert all(wide) and len(wide) == len(COLUMNS)
    narrow = column_widths(80)
    titles = [t for (t, _), w in zip(COLUMNS, narrow, strict=True) if w]
    assert "时长" not in titles and "时限" not in titles and "买家" in titles and "订单号" in titles
    from rich.cells import cell_len

    assert cell_len(header_line(80)) <= 80

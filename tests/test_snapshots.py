"""SVG snapshots of the main screens at a frozen clock and a fixed size.

Update on purpose only: `pytest tests/test_snapshots.py --snapshot-update`, then look at the
new SVGs (snapshot_report.html) before committing them."""

import pytest

from console.demo import populate
from console.intake import CaseDraft
from console.notes import Notes
from tests.conftest import T0
from tests.ui_helpers import make_app, settle

SIZE = (130, 34)


def _app(db, policy, clock, cases):
    populate(db, policy, T0, 60, open_ratio=0.9, seed=11, agent="小王")
    case = cases.create(
        CaseDraft(buyer_id="小鱼儿2018", order_no="3712345678901234567", kind="refund", urgent=True,
                  description="申请了退款,快递显示已签收但没收到。\n买家说家里没人代收。", message_time="09:59:45"),
        "小王",
    )
    cases.start_clock(case.id, "refund_auto_agree_shipped", "小王")
    Notes(cases).add(case.id, "已联系快递核实签收人,等回复", "小王")
    return make_app(db, policy, clock), case


def test_queue_snapshot(snap_compare, db, policy, clock, cases):
    app, _ = _app(db, policy, clock, cases)

    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_case_snapshot(snap_compare, db, policy, clock, cases):
    app, case = _app(db, policy, clock, cases)

    async def run_before(pilot):
        from console.screens.case import CaseScreen

        await settle(pilot)
        app.push_screen(CaseScreen(case.id))
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_new_case_snapshot(snap_compare, db, policy, clock, cases):
    app, _ = _app(db, policy, clock, cases)

    async def run_before(pilot):
        from textual import events

        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        # A blinking cursor is drawn or not by the time of the shot: hold it still.
        for box in app.screen.query("TextArea, Input"):
            box.cursor_blink = False
        # A chat pasted from Qianniu: the fields filled in and the 识别到 line under the box.
        app.post_message(events.Paste("买家:快乐的小猪 2026-11-23 09:58:40\n我买的T恤小了,想换L码\n"
                                      "订单号:3712345678901234567\n旗舰店:小美 09:59:10\n亲,可以的"))
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_handover_snapshot(snap_compare, db, policy, clock, cases):
    app, case = _app(db, policy, clock, cases)
    cases.claim(case.id, "小王")
    cases.add_tasks(case.id, ["等快递回复签收人", "回复买家核实结果"], "小王")

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("H")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_wizard_mid_flow_snapshot(snap_compare, db, policy, clock, cases):
    app, case = _app(db, policy, clock, cases)

    async def run_before(pilot):
        from console.screens.wizard import WizardScreen

        await settle(pilot)
        app.push_screen(WizardScreen(case.id, "return"))
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_wizard_outcome_snapshot(snap_compare, db, policy, clock, cases):
    app, case = _app(db, policy, clock, cases)

    async def run_before(pilot):
        from console.screens.wizard import WizardScreen

        await settle(pilot)
        app.push_screen(WizardScreen(case.id, "return"))
        await settle(pilot)
        await pilot.press("2", "3", "2", "y")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_phrase_picker_snapshot(snap_compare, db, policy, clock, cases):
    app, case = _app(db, policy, clock, cases)

    async def run_before(pilot):
        from console.screens.case import CaseScreen

        await settle(pilot)
        app.push_screen(CaseScreen(case.id))
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        for ch in "tk":
            await pilot.press(ch)
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


# ---- the same screens at the sizes agents use beside Qianniu --------------------------

NARROW = [pytest.param((80, 24), id="80x24"), pytest.param((100, 30), id="100x30")]


async def _open_case(pilot, app, case):
    from console.screens.case import CaseScreen

    await settle(pilot)
    app.push_screen(CaseScreen(case.id))
    await settle(pilot)


async def _wizard_outcome(pilot, app, case):
    from console.screens.wizard import WizardScreen

    await settle(pilot)
    app.push_screen(WizardScreen(case.id, "return"))
    await settle(pilot)
    await pilot.press("2", "3", "2", "y")
    await settle(pilot)


async def _handover(pilot, app, case):
    await settle(pilot)
    await pilot.press("H")
    await settle(pilot)


async def _queue(pilot, app, case):
    await settle(pilot)
    await pilot.press("down", "down")  # the cursor bar off the first row


@pytest.mark.parametrize("size", NARROW)
@pytest.mark.parametrize("screen", [_queue, _open_case, _wizard_outcome, _handover],
                         ids=["queue", "case", "wizard_outcome", "handover"])
def test_narrow_snapshot(snap_compare, db, policy, clock, cases, screen, size):
    app, case = _app(db, policy, clock, cases)
    cases.claim(case.id, "小王")
    cases.add_tasks(case.id, ["等快递回复签收人", "回复买家核实结果"], "小王")

    async def run_before(pilot):
        await screen(pilot, app, case)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def _colleagues(db, clock, app, case):
    """Other consoles on the same database: 小李 typing in `case`, 阿珍 typing and 欧阳娜娜
    (a name too long for the column) looking at the next rows."""
    from console.presence import PresenceStore
    from console.queue import QueueFilter

    first = [r.id for r in app.reader.page(QueueFilter(), T0, 0, 4) if r.id != case.id]
    store = PresenceStore(db, clock)
    store.beat("desk-li", "小李", "CaseScreen", case.id, typing=True)
    store.beat("desk-zhen", "阿珍", "WizardScreen", first[0], typing=True)
    store.beat("desk-na", "欧阳娜娜", "CaseScreen", first[0], typing=False)
    store.beat("desk-na2", "欧阳娜娜", "CaseScreen", first[1], typing=False)


@pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["130x34", "80x24"])
def test_presence_queue_snapshot(snap_compare, db, policy, clock, cases, size):
    """谁在看: who else has a case open (✎ typing, +N more); at 80 columns the column gives
    way and ✎ moves into the marks; 在班 lists every running console."""
    app, case = _app(db, policy, clock, cases)
    _colleagues(db, clock, app, case)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("down", "down")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_presence_case_snapshot(snap_compare, db, policy, clock, cases):
    """Opening a case someone is typing in: the line under the title and the status line."""
    app, case = _app(db, policy, clock, cases)
    _colleagues(db, clock, app, case)

    async def run_before(pilot):
        from console.screens.case import CaseScreen

        await settle(pilot)
        app.push_screen(CaseScreen(case.id))
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_import_preview_snapshot(snap_compare, tmp_path, db, policy, clock, cases):
    from console.import_picks import remember_folder, settings_file
    from tests.export_files import Refund, refund_file, refunds

    app, _ = _app(db, policy, clock, cases)
    folder = tmp_path / "下载"
    folder.mkdir()
    rows = refunds(6)
    rows.append(Refund(refund_no="20261122009999", order_no="ABC123", buyer="测试买家坏"))
    refund_file(folder / "退款管理导出202611231000.csv", rows)
    remember_folder(folder, settings_file())

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("enter")  # the preview of the newest export
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_figures_snapshot(snap_compare, db, policy, clock, cases):
    """主管数据 at 80×24 over the hand-built history (tests/metrics_history.py), now 11-25 12:00,
    the cursor on 解决时长 so its values and everyone's rank show under the table."""
    from tests.metrics_history import build

    build(cases, clock)
    app = make_app(db, policy, clock)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("F")
        await settle(pilot)
        await pilot.press("down", "down", "down")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

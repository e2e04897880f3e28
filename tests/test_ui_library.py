"""The team's library on screen: a reply approved at one desk is offered at another at once,
read there in a worker; a desk whose own files differ from the team's is told so at start."""

from __future__ import annotations

import asyncio

import pytest

from console.db import open_database
from console.home import init, resolve
from console.intake import CaseDraft
from console.reply_drafts import ReplyDrafts
from console.screens.phrases import PhrasePicker
from console.team_library import TeamLibrary, read_folder
from tests.ui_helpers import UIThreadSQL, make_app, settle, type_text

SIZE = (130, 36)
DRAFT = ("\n[refund.team_new]\ntitle: 团队新话术\ntags: 团队 新话术\nstatus: draft\n\n"
         "亲，订单 {order_no} 已经为您处理好了～\n")


@pytest.fixture
def shop(tmp_path, db, clock):
    """A shop folder with a draft in its own refund.txt, pushed as the team's library."""
    init(tmp_path / "shop")
    home = resolve(str(tmp_path / "shop"))
    with (home.root / "phrases" / "refund.txt").open("a", encoding="utf-8") as f:
        f.write(DRAFT)
    TeamLibrary(db, clock).push(read_folder(home)[0], "老陈")
    return home


async def _picker(pilot, app, query: str) -> PhrasePicker:
    await pilot.press("ctrl+r")
    await settle(pilot)
    assert isinstance(app.screen, PhrasePicker)
    await type_text(pilot, query)
    await settle(pilot)
    return app.screen


def _shown(picker: PhrasePicker, reply_id: str):
    return next((r.reply for r in picker.results if r.reply.id == reply_id), None)


@pytest.mark.backends("sqlite", "postgresql")
async def test_a_reply_approved_at_one_desk_is_offered_at_the_other_without_a_restart(
        db, db_url, policy, clock, cases, shop, tmp_path):
    cases.create(CaseDraft(buyer_id="阿狸", order_no="3712345678901234567"), "小王")
    cases.set_role("老陈", "supervisor")
    # Each desk has its own shop folder on its own PC; the library is the team's, in the database.
    boss = make_app(db, policy, clock, agent="老陈", home=shop)
    theirs_db = open_database(db_url)
    desk = make_app(theirs_db, policy, clock, agent="小王", home=resolve(str(tmp_path)))
    try:
        async with boss.run_test(size=SIZE) as b, desk.run_test(size=SIZE) as d:
            await settle(b)
            await settle(d)
            picker = await _picker(d, desk, "团队新话术")
            reply = _shown(picker, "refund.team_new")
            assert reply is not None and not reply.approved  # a draft: copied only after a confirmation
            assert "[草稿]" in str(picker.query_one("#pp-results").render())

            boss_picker = await _picker(b, boss, "团队新话术")
            assert boss_picker.current().id == "refund.team_new"
            await b.press("ctrl+o")
            await settle(b)
            assert any("已审核通过 refund.team_new" in m.text for m in boss.messages)
            newest = TeamLibrary(db, clock).current()["phrases/refund.txt"]
            assert (newest.version, newest.agent, newest.note) == (2, "老陈", "审核通过 refund.team_new")

            # 小王's picker, still open, offers it approved as soon as his console hears of the
            # change; everything it reads for that, it reads in a worker.
            with UIThreadSQL(theirs_db) as sql:
                sql.armed = True
                for _ in range(200):
                    desk.tick()
                    await settle(d)
                    reply = _shown(picker, "refund.team_new")
                    if reply is not None and reply.approved:
                        break
                    await asyncio.sleep(0.05)
                sql.armed = False
            assert reply is not None and reply.approved
            assert "[草稿]" not in str(picker.query_one("#pp-results").render())
            assert not sql.seen, sql.report()
            assert any("老陈 更新了团队库" in m.text and "refund.txt" in m.text for m in desk.messages)
            # Copied at once, as an approved reply is.
            picker.highlight = next(i for i, r in enumerate(picker.results) if r.reply.id == "refund.team_new")
            await d.press("enter")
            await settle(d)
            assert desk.last_copied is not None and desk.last_copied.startswith("亲，订单")
    finally:
        desk.services.library.close()
        boss.services.library.close()
        theirs_db.dispose()


async def test_a_draft_added_at_a_desk_and_approved_by_the_supervisor_joins_the_teams_file(
        db, policy, clock, cases, shop, tmp_path):
    cases.set_role("老陈", "supervisor")
    draft = ReplyDrafts(db, clock).add("logistics", "周末照常发货", "亲，周末仓库照常发货～", "小王", "周末 发货")
    desk = make_app(db, policy, clock, agent="小王", home=resolve(str(tmp_path)))
    boss = make_app(db, policy, clock, agent="老陈", home=shop)
    try:
        async with boss.run_test(size=SIZE) as b, desk.run_test(size=SIZE) as d:
            await settle(b)
            await settle(d)
            picker = await _picker(d, desk, "周末照常发货")
            assert not _shown(picker, draft.id).approved
            boss_picker = await _picker(b, boss, "周末照常发货")
            assert boss_picker.current().id == draft.id
            await b.press("ctrl+o")
            await settle(b)
            for _ in range(100):
                desk.tick()
                await settle(d)
                if _shown(picker, draft.id) is not None and _shown(picker, draft.id).approved:
                    break
                await asyncio.sleep(0.02)
            shown = _shown(picker, draft.id)
            assert shown is not None and shown.approved and not shown.in_database  # the team's file now
            assert [r.id for r in picker.lib.replies].count(draft.id) == 1
    finally:
        desk.services.library.close()
        boss.services.library.close()
    body = TeamLibrary(db, clock).current()["phrases/logistics.txt"].body
    assert f"[{draft.id}]" in body and "亲，周末仓库照常发货～" in body


async def test_a_desk_whose_own_files_differ_is_told_at_start_and_runs_the_teams(db, policy, clock, cases, shop):
    # This desk edited its own return tree and replies after the team's library was pushed.
    tree = shop.root / "sop" / "return.toml"
    tree.write_text("# 只在这台电脑上改过\n" + tree.read_text(encoding="utf-8"), encoding="utf-8")
    (shop.root / "phrases" / "mine.txt").write_text(
        "[mine.only_here]\ntitle: 本机的\ntags: 本机\nstatus: approved\n\n亲，只有这台电脑有～\n", encoding="utf-8")
    app = make_app(db, policy, clock, agent="小王", home=shop)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            notice = next(m for m in app.messages if "团队库" in m.text)
            assert notice.severity == "warning"
            assert "sop/return.toml" in notice.text and "phrases/mine.txt" in notice.text
            assert "用的是团队库" in notice.text and "library pull" in notice.text
            assert app.status is notice  # on the status line, where the agent looks
            # The team's files are what the console works by: not this desk's own reply.
            app.services.replies.get()
            lib, _ = app.services.replies.cached()
            assert lib.get("mine.only_here") is None and lib.get("refund.team_new") is not None
            assert "只在这台电脑上改过" not in (app.services.sop.directory / "return.toml").read_text(encoding="utf-8")
    finally:
        app.services.library.close()


async def test_no_notice_and_the_shop_folder_as_before_without_a_team_library(policy, clock, tmp_path):
    from console.db import resolve_url

    init(tmp_path / "solo")
    home = resolve(str(tmp_path / "solo"))
    solo = open_database(resolve_url(str(tmp_path / "solo.db")))
    try:
        app = make_app(solo, policy, clock, agent="小王", home=home)
        assert app.services.library.team is None
        assert app.services.replies.directory == home.phrases_dir and app.services.sop.directory == home.sop_dir
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert not any("团队库" in m.text for m in app.messages)
    finally:
        solo.dispose()

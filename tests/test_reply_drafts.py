"""Draft replies stored in the database (not in reply files), and their approval."""

from __future__ import annotations

import threading

import pytest

from console.cli import main
from console.db import open_database, resolve_url
from console.phrases import ApproveError, load_forbidden
from console.phrases.drafts import DraftError
from console.phrases.model import DEFAULT_FORBIDDEN
from console.reply_drafts import ReplyDrafts

RULES = load_forbidden(DEFAULT_FORBIDDEN)
pytestmark = pytest.mark.backends("sqlite", "postgresql")


@pytest.fixture
def drafts(db, clock) -> ReplyDrafts:
    return ReplyDrafts(db, clock)


def test_ids_skip_the_files_and_earlier_drafts(drafts, clock):
    first = drafts.add("logistics", "周末发货", "亲，周末照常发货哦～", "小王", taken={"logistics.draft_1"})
    second = drafts.add("logistics", "节假日发货", "亲，节假日也发货～", "小美", "节假日 发货",
                        taken={"logistics.draft_1"})
    other = drafts.add("refund", "退款到账", "亲，退款一般1～3天到账。", "小王")
    assert [first.id, second.id, other.id] == ["logistics.draft_2", "logistics.draft_3", "refund.draft_1"]
    assert first.in_database and not first.approved and first.tags == ("周末发货",)
    assert second.tags == ("节假日", "发货")
    assert [r.id for r in drafts.replies()] == [first.id, second.id, other.id]


def test_a_bad_draft_is_refused_and_nothing_is_stored(drafts):
    for args, reason in [
        (("nope", "标题", "正文"), "未知的分类"),
        (("logistics", "", "正文"), "标题"),
        (("logistics", "标题", "  "), "空的"),
        (("logistics", "标题", "亲，单号是{tracking}哦"), "未知占位符"),
        (("logistics", "标题", "亲，这个我也不清楚"), "不清楚"),
    ]:
        with pytest.raises(DraftError, match=reason):
            drafts.add(*args, "小王", rules=RULES)
    assert drafts.replies() == []


def test_approval_records_who_and_when_and_is_checked(drafts, clock):
    ok = drafts.add("logistics", "周末发货", "亲，周末照常发货哦～", "小王")
    bad = drafts.add("apology", "不知道", "亲，这个我也不清楚。", "小王")  # stored before the list applied
    assert drafts.approve(ok.id, "老陈", rules=RULES) is True
    assert drafts.approve(ok.id, "老陈", rules=RULES) is False
    approved = drafts.get(ok.id)
    assert approved.approved and "老陈 审核通过" in approved.note
    with pytest.raises(ApproveError) as err:
        drafts.approve(bad.id, "老陈", rules=RULES)
    assert any("不清楚" in p.message for p in err.value.problems)
    assert not drafts.get(bad.id).approved
    assert drafts.approve(bad.id, "老陈", rules=RULES, force=True) is True
    with pytest.raises(ApproveError, match="没有草稿"):
        drafts.approve("logistics.draft_9", "老陈")


def test_two_consoles_adding_at_once_get_different_ids(db_url, db, clock):
    consoles = [ReplyDrafts(open_database(db_url), clock) for _ in range(2)]
    ids: list[str] = []
    lock = threading.Lock()

    def add_many(store: ReplyDrafts) -> None:
        for n in range(8):
            reply = store.add("greeting", f"问候{n}", "亲，您好～", "小王")
            with lock:
                ids.append(reply.id)

    threads = [threading.Thread(target=add_many, args=(c,)) for c in consoles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 16 and len(set(ids)) == 16


def test_approve_and_search_from_the_command_line(tmp_path, capsys, clock):
    shop = tmp_path / "shop"
    shop.mkdir()
    db = open_database(resolve_url(str(shop / "console.db")))
    draft = ReplyDrafts(db, clock).add("logistics", "周末发货", "亲，周末照常发货哦～", "小王")
    assert main(["--home", str(shop), "phrases", "search", "--drafts", "周末发货"]) == 0
    assert f"{draft.id}" in (out := capsys.readouterr().out) and "[草稿] (数据库)" in out
    assert main(["--home", str(shop), "--agent", "老陈", "phrases", "approve", draft.id]) == 0
    assert "所有工作台" in capsys.readouterr().out
    assert ReplyDrafts(db, clock).get(draft.id).note.endswith("老陈 审核通过")
    assert main(["--home", str(shop), "phrases", "approve", "logistics.draft_7"]) == 1
    assert "都没有" in capsys.readouterr().err

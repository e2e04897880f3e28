"""The keystroke journal: lines on disk at once, dropped once saved, replayed after a kill."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from textual.widgets import TextArea

from console.db import StoreError
from console.intake import CaseDraft
from console.journal import COMPACT_BYTES, Entry, Journal, journal_file, place_label, replay
from console.notes import Notes
from console.screens.case import CaseScreen
from tests.conftest import T0
from tests.ui_helpers import make_app, settle, type_text

BOTH = pytest.mark.backends("sqlite", "postgresql")

SIZE = (140, 40)


def _journal(tmp_path, agent="小王") -> Journal:
    return Journal(journal_file(tmp_path / "journal", agent, "sqlite:///x.db"), agent)


def test_the_last_complete_line_of_each_place_counts(tmp_path):
    j = _journal(tmp_path)
    j.append("case:1", "买", T0, 1)
    j.append("case:1", "买家", T0 + timedelta(seconds=1), 2)
    j.append("new_case", "{}", T0, 3)
    j.close()
    with open(j.path, "a", encoding="utf-8") as f:
        f.write(json.dumps({"agent": "阿珍", "place": "case:1", "body": "别人的", "time": T0.isoformat()},
                           ensure_ascii=False) + "\n")
        f.write('{"agent": "小王", "place": "case:1", "body": "买家说周')  # killed inside the write
    got = {e.place: e for e in j.read()}
    assert got["case:1"] == Entry("case:1", "买家", T0 + timedelta(seconds=1))
    assert got["new_case"].body == "{}"
    assert len(got) == 2


def test_a_place_leaves_the_journal_once_its_latest_change_is_saved(tmp_path):
    j = _journal(tmp_path)
    j.append("case:1", "一", T0, 1)
    j.append("case:2", "二", T0, 2)
    j.append("case:1", "一二", T0, 3)
    j.saved("case:1", 1)  # an older save: the newer text is still only here
    assert {e.place: e.body for e in j.read()} == {"case:1": "一二", "case:2": "二"}
    j.saved("case:1", 3)
    assert [e.body for e in j.read()] == ["二"]
    j.saved("case:2", 2)
    assert not j.path.exists()
    j.append("case:2", "再来", T0, 4)  # typing goes on after the file went
    assert [e.body for e in j.read()] == ["再来"]


def test_a_long_burst_is_compacted(tmp_path):
    j = _journal(tmp_path)
    body = "字" * 1000
    for n in range(1, 200):
        j.append("new_case", body + str(n), T0, n)
    assert j.path.stat().st_size < COMPACT_BYTES + 4000
    assert [e.body for e in j.read()] == [body + "199"]


def test_a_journal_that_cannot_be_written_never_stops_typing(tmp_path):
    (tmp_path / "journal").write_text("a file where the folder should be", encoding="utf-8")
    j = _journal(tmp_path)
    j.append("case:1", "照样打字", T0, 1)  # no exception
    j.saved("case:1", 1)
    assert j.read() == []


def test_file_names_keep_the_name_and_separate_databases(tmp_path):
    a = journal_file(tmp_path, "小王", "sqlite:///a.db")
    assert a.name.startswith("小王-") and a.suffix == ".jsonl"
    assert journal_file(tmp_path, "小王", "sqlite:///b.db") != a
    odd = journal_file(tmp_path, "a/b:c", "sqlite:///a.db")
    assert odd.parent == tmp_path and "/" not in odd.name and ":" not in odd.name


def test_place_labels():
    assert place_label("case:12") == "沟通记录 #12"
    assert place_label("new_case") == "新建工单"
    assert place_label("wizard:3") == "SOP 向导 #3"
    assert place_label("handover") == "交接说明"
    assert place_label("shift") == "班次笔记"


@BOTH
def test_replay_puts_back_only_what_is_newer_than_the_database(tmp_path, cases, clock):
    notes = Notes(cases)
    notes.save_draft("小王", "case:1", "已存的草稿")
    notes.save_draft("小王", "case:2", "更新的草稿")  # saved after the journal line below
    j = _journal(tmp_path)
    j.append("case:1", "已存的草稿又加了几个字", T0 + timedelta(seconds=5), 1)
    j.append("case:2", "旧的", T0 - timedelta(seconds=5), 2)
    j.append("new_case", "", T0 + timedelta(seconds=5), 3)  # a cleared form is no news
    j.close()
    assert replay(j, notes) == ["case:1"]
    assert notes.draft("小王", "case:1") == "已存的草稿又加了几个字"
    assert notes.draft("小王", "case:2") == "更新的草稿"
    assert not j.path.exists()
    assert replay(j, notes) == []  # nothing twice


@BOTH
def test_a_note_saved_after_the_last_keystroke_is_not_brought_back(tmp_path, cases, clock):
    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    j = _journal(tmp_path)
    j.append(f"case:{case.id}", "已催快递", clock.now(), 1)  # typed, then killed before the line was dropped
    clock.advance(2)
    Notes(cases).add(case.id, "已催快递", "小王")  # the note (and its cleared draft) is in the database
    assert replay(j, Notes(cases)) == []
    assert Notes(cases).draft("小王", f"case:{case.id}") == ""


def test_lines_that_could_not_be_replayed_are_kept_for_the_next_start(tmp_path):
    class Locked:
        def restore_drafts(self, agent, entries):
            raise StoreError("数据库被锁住了")

    j = _journal(tmp_path)
    j.append("case:1", "没存上的", T0, 1)
    j.close()
    with pytest.raises(StoreError):
        replay(j, Locked())
    j.append("case:2", "这次打的", T0, 2)
    j.saved("case:2", 2)  # a rewrite of the file keeps the earlier line
    assert [e.body for e in j.read()] == ["没存上的"]


async def test_typing_is_journaled_at_once_and_dropped_once_saved(tmp_path, db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    app = make_app(db, policy, clock, journal_dir=tmp_path / "journal")
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(CaseScreen(case.id))
        await settle(pilot)
        await pilot.press("n")
        await type_text(pilot, "买家说周六在家")
        # Before the autosave: the whole text is on disk already, the database has nothing.
        assert [(e.place, e.body) for e in app.journal.read()] == [(f"case:{case.id}", "买家说周六在家")]
        assert Notes(cases).draft("小王", f"case:{case.id}") == ""
        await pilot.pause(0.8)  # the autosave debounce
        await settle(pilot)
        assert Notes(cases).draft("小王", f"case:{case.id}") == "买家说周六在家"
        assert not app.journal.path.exists()


async def test_a_journal_left_by_a_kill_is_put_back_and_said(tmp_path, db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    Notes(cases).save_draft("小王", f"case:{case.id}", "买家说")
    j = Journal(journal_file(tmp_path / "journal", "小王", db.url), "小王")
    j.append(f"case:{case.id}", "买家说周六在家", T0 + timedelta(seconds=3), 1)
    j.append("new_case", json.dumps({"buyer_id": "糖糖"}, ensure_ascii=False), T0 + timedelta(seconds=3), 2)
    j.close()
    app = make_app(db, policy, clock, journal_dir=tmp_path / "journal")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any(m.text == "恢复了上次没存上的输入: 沟通记录 #1、新建工单" for m in app.messages)
        assert not j.path.exists()
        app.push_screen(CaseScreen(case.id))
        await settle(pilot)
        assert app.screen.query_one("#notes-input", TextArea).text == "买家说周六在家"
    assert json.loads(Notes(cases).draft("小王", "new_case")) == {"buyer_id": "糖糖"}

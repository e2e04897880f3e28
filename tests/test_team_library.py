"""The team's library (团队库) in the database: push, versions, status, pull, approvals, refusals.

Every test runs on SQLite and on the session's PostgreSQL server.
"""

from __future__ import annotations

import threading

import pytest

from console import cli
from console.home import SHIPPED, init, resolve
from console.phrases import ApproveError
from console.reply_drafts import ReplyDrafts
from console.team_library import (
    CHANGED,
    LOCAL_ONLY,
    TEAM_ONLY,
    LibraryError,
    TeamLibrary,
    TeamSource,
    check_folder,
    compare,
    open_library,
    pull,
    read_folder,
)

pytestmark = pytest.mark.backends("sqlite", "postgresql")

DRAFT = ("\n[refund.team_new]\ntitle: 团队新话术\ntags: 团队 新\nstatus: draft\n\n"
         "亲，这是团队新写的一条，{order_no} 已经为您处理～\n")


@pytest.fixture
def shop(tmp_path):
    """A shop folder made by `aftersales init`: its own copy of every library file."""
    init(tmp_path / "shop")
    return resolve(str(tmp_path / "shop"))


def _append(path, text: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(text)


def _push(shop, db_url, *extra, agent="老陈") -> int:
    return cli.main(["--home", str(shop.root), "--db", db_url, "--agent", agent, "library", "push", *extra])


def test_a_push_stores_every_file_as_its_first_version_and_a_second_push_changes_nothing(db, clock, shop):
    team = TeamLibrary(db, clock)
    assert team.stamp() == 0 and team.current() == {}
    files, unreadable = read_folder(shop)
    assert unreadable == {}
    assert {"sla.toml", "holidays.toml", "forbidden.toml", "phrase_rules.toml", "sop/return.toml",
            "sop/rules.toml", "phrases/refund.txt"} <= set(files)
    assert not any(p.endswith("README.md") for p in files)  # documentation is not library

    report = team.push(files, "老陈")
    assert sorted(report.added) == sorted(files) and not report.changed and not report.removed
    current = team.current()
    assert {p: v.body for p, v in current.items()} == files
    v = current["sop/return.toml"]
    assert (v.kind, v.name, v.version, v.agent, v.at) == ("sop", "return.toml", 1, "老陈", clock.now())
    # The text is the file's, byte for byte.
    assert v.body.encode("utf-8") == (shop.root / "sop" / "return.toml").read_bytes()
    stamp = team.stamp()
    assert stamp > 0

    again = team.push(files, "阿珍")
    assert not again.any and again.unchanged == len(files)
    assert team.stamp() == stamp  # nothing appended


def test_each_change_is_a_new_version_with_who_and_when_and_nothing_is_overwritten(db, clock, shop):
    team = TeamLibrary(db, clock)
    files, _ = read_folder(shop)
    team.push(files, "老陈")
    first = team.current()["sla.toml"]

    clock.advance(minutes=5)
    files["sla.toml"] = files["sla.toml"].replace('duration = "24h"', 'duration = "20h"', 1)
    del files["sop/payment.toml"]
    files["sop/custom.toml"] = files["sop/return.toml"].replace('id = "return"', 'id = "custom"', 1)
    report = team.push(files, "阿珍")
    assert [p for p, _ in report.changed] == ["sla.toml"]
    assert report.added == ["sop/custom.toml"] and report.removed == ["sop/payment.toml"]

    current = team.current()
    assert current["sla.toml"].version == 2 and current["sla.toml"].agent == "阿珍"
    assert current["sla.toml"].at == clock.now() and 'duration = "20h"' in current["sla.toml"].body
    assert "sop/payment.toml" not in current  # taken out …
    history = team.history("sla.toml")
    assert [h.version for h in history] == [2, 1]  # … and every version is kept, newest first
    assert history[1].body == first.body and history[1].agent == "老陈"
    removed = team.history("sop/payment.toml")
    assert [(h.version, h.removed) for h in removed] == [(2, True), (1, False)]

    # Put back: the next version, not the first again.
    files["sop/payment.toml"] = removed[1].body
    assert team.push(files, "老陈").added == ["sop/payment.toml"]
    assert team.current()["sop/payment.toml"].version == 3


def test_status_names_what_differs_and_pull_gives_the_teams_copy_back(db, clock, shop, tmp_path, capsys, db_url):
    assert _push(shop, db_url) == 0
    assert cli.main(["--home", str(shop.root), "--db", db_url, "library", "status"]) == 0
    assert "结论: 一样" in capsys.readouterr().out

    (shop.root / "sop" / "return.toml").write_text("# 本机改过\n" + (shop.root / "sop" / "return.toml")
                                                   .read_text(encoding="utf-8"), encoding="utf-8")
    (shop.root / "sop" / "mine.toml").write_bytes((shop.root / "sop" / "exchange.toml").read_bytes()
                                                  .replace(b'id = "exchange"', b'id = "mine"', 1))
    (shop.root / "phrases" / "stock.txt").unlink()
    team = TeamLibrary(db, clock)
    files, unreadable = read_folder(shop)
    states = {d.path: d.state for d in compare(files, team.current(), unreadable)}
    assert states == {"sop/return.toml": CHANGED, "sop/mine.toml": LOCAL_ONLY, "phrases/stock.txt": TEAM_ONLY}
    assert cli.main(["--home", str(shop.root), "--db", db_url, "library", "status"]) == 1
    out = capsys.readouterr().out
    assert "≠ sop/return.toml" in out and "+ sop/mine.toml" in out and "- phrases/stock.txt" in out
    assert "老陈" in out  # who made the team's version

    # Pulled into a new folder: the team's files, byte for byte, in a shop folder's layout.
    fresh = tmp_path / "pulled"
    report = pull(team.current(), fresh)
    assert len(report.written) == len(team.current())
    for path, v in team.current().items():
        assert (fresh / path).read_bytes() == v.body.encode("utf-8")
    assert resolve(str(fresh)).sop_dir == fresh / "sop"

    # Into the edited shop folder: refused, nothing written, until --force.
    before = {p: p.read_bytes() for p in shop.root.rglob("*") if p.is_file()}
    with pytest.raises(LibraryError) as refused:
        pull(team.current(), shop.root)
    assert {p.split(":")[0] for p in refused.value.problems} == {"sop/return.toml", "sop/mine.toml"}
    assert {p: p.read_bytes() for p in shop.root.rglob("*") if p.is_file()} == before
    assert cli.main(["--home", str(shop.root), "--db", db_url, "library", "pull", str(shop.root)]) == 1
    assert "--force" in capsys.readouterr().err
    report = pull(team.current(), shop.root, force=True)
    assert set(report.written) == {"sop/return.toml", "phrases/stock.txt"} and report.deleted == ["sop/mine.toml"]
    assert (shop.root / "config.toml").read_bytes() == before[shop.root / "config.toml"]  # not library
    assert (shop.root / "sop" / "README.md").exists()
    files, unreadable = read_folder(shop)
    assert compare(files, team.current(), unreadable) == []


def test_line_endings_and_a_bom_survive_the_round_trip(db, clock, shop, tmp_path):
    path = shop.root / "phrases" / "greeting.txt"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    team = TeamLibrary(db, clock)
    team.push(read_folder(shop)[0], "老陈")
    pull(team.current(), tmp_path / "out")
    assert (tmp_path / "out" / "phrases" / "greeting.txt").read_bytes() == path.read_bytes()


@pytest.mark.parametrize("break_it, expected", [
    (lambda root: (root / "sop" / "return.toml").write_text("[flow]\nid = \"return\"\n[nodes.x\n", encoding="utf-8"),
     "sop/return.toml"),
    (lambda root: (root / "sla.toml").write_text("[clocks.x]\nclock = \"shop\"\nduration = \"soon\"\n",
                                                 encoding="utf-8"),
     "clocks.x"),
    (lambda root: _append(root / "phrases" / "refund.txt",
                          "\n[refund.broken]\ntitle: 坏的\ntags: 坏\nstatus: approved\n\n亲，{no_such_thing}\n"),
     "no_such_thing"),
    (lambda root: (root / "phrases" / "stock.txt").write_bytes(b"[stock.gbk]\n" + "标题".encode("gbk")),
     "UTF-8"),
    (lambda root: (root / "forbidden.toml").write_text("[[forbidden]]\nreason = \"没有词\"\n", encoding="utf-8"),
     "forbidden.toml"),
])
def test_a_broken_file_is_refused_with_the_checks_of_the_loaders_and_changes_nothing(
        db, clock, shop, db_url, capsys, break_it, expected):
    assert _push(shop, db_url) == 0
    team = TeamLibrary(db, clock)
    stamp, current = team.stamp(), team.current()
    capsys.readouterr()
    break_it(shop.root)
    assert _push(shop, db_url) == 1
    err = capsys.readouterr().err
    assert "没有推送" in err and "团队库没有改动" in err and expected in err
    assert team.stamp() == stamp and team.current() == current


def test_the_first_push_of_a_broken_folder_creates_no_library(db, clock, shop, db_url, capsys):
    (shop.root / "sop" / "refund.toml").write_text("not toml at all [", encoding="utf-8")
    assert check_folder(shop)  # the same problem `sop check` reports
    assert cli.main(["--home", str(shop.root), "sop", "check"]) == 1
    assert _push(shop, db_url) == 1
    assert "sop/refund.toml" in capsys.readouterr().err
    assert TeamLibrary(db, clock).stamp() == 0


def test_approving_a_draft_in_a_team_file_is_a_new_version_with_only_its_status_changed(db, clock, shop):
    _append(shop.root / "phrases" / "refund.txt", DRAFT)
    team = TeamLibrary(db, clock)
    team.push(read_folder(shop)[0], "老陈")
    before = team.current()["phrases/refund.txt"]
    clock.advance(minutes=1)
    assert team.approve_reply("refund.team_new", "老陈") is True
    after = team.current()["phrases/refund.txt"]
    assert (after.version, after.agent, after.at, after.note) == (2, "老陈", clock.now(), "审核通过 refund.team_new")
    assert after.body == before.body.replace("status: draft", "status: approved")
    assert team.approve_reply("refund.team_new", "老陈") is False  # already: nothing appended
    assert team.current()["phrases/refund.txt"].version == 2
    with pytest.raises(ApproveError):
        team.approve_reply("refund.nothing_like_it", "老陈")


def test_a_draft_with_a_forbidden_phrase_by_the_teams_list_is_not_approved(db, clock, shop):
    _append(shop.root / "phrases" / "refund.txt", DRAFT.replace("这是团队新写的一条", "这个我不清楚"))
    team = TeamLibrary(db, clock)
    files = read_folder(shop)[0]
    team.push(files, "老陈")
    stamp = team.stamp()
    with pytest.raises(ApproveError) as refused:
        team.approve_reply("refund.team_new", "老陈")
    assert any("不清楚" in p.message for p in refused.value.problems)
    assert team.stamp() == stamp


def test_a_stored_draft_approved_in_team_mode_goes_into_its_categorys_team_file(db, clock, shop):
    team = TeamLibrary(db, clock)
    team.push(read_folder(shop)[0], "老陈")
    drafts = ReplyDrafts(db, clock)
    draft = drafts.add("logistics", "周末发货", "亲，周末仓库照常发货～\n\n今天下单明天发出哦", "小王", "周末 发货")
    before = team.current()["phrases/logistics.txt"]
    assert team.approve_draft(draft.id, "老陈") is True
    after = team.current()["phrases/logistics.txt"]
    assert after.version == before.version + 1 and after.body.startswith(before.body)
    from console.phrases import parse_text

    replies = {r.id: r for r in parse_text(after.body)[0]}
    added = replies[draft.id]
    assert added.approved and added.title == "周末发货" and added.text == "亲，周末仓库照常发货～\n\n今天下单明天发出哦"
    assert "小王" in added.note and "老陈" in added.note
    assert drafts.get(draft.id).status == "approved"
    assert team.approve_draft(draft.id, "老陈") is False


def test_a_draft_whose_text_would_not_read_back_from_a_file_is_refused(db, clock, shop):
    team = TeamLibrary(db, clock)
    team.push(read_folder(shop)[0], "老陈")
    draft = ReplyDrafts(db, clock).add("logistics", "井号", "亲，您好\n# 这一行在文件里是注释", "小王")
    stamp = team.stamp()
    with pytest.raises(ApproveError, match="读出来不一样"):
        team.approve_draft(draft.id, "老陈")
    assert team.stamp() == stamp and ReplyDrafts(db, clock).get(draft.id).status == "draft"


def test_a_push_that_would_take_back_an_approval_is_refused_without_force(db, clock, shop, db_url, capsys):
    _append(shop.root / "phrases" / "refund.txt", DRAFT)
    assert _push(shop, db_url) == 0
    TeamLibrary(db, clock).approve_reply("refund.team_new", "老陈")  # at a desk, meanwhile
    stamp = TeamLibrary(db, clock).stamp()
    capsys.readouterr()
    assert _push(shop, db_url) == 1  # the folder still has it as a draft
    err = capsys.readouterr().err
    assert "refund.team_new" in err and "library pull" in err
    assert TeamLibrary(db, clock).stamp() == stamp
    assert _push(shop, db_url, "--force") == 0
    assert "status: draft" in TeamLibrary(db, clock).current()["phrases/refund.txt"].body


def test_pushes_at_once_number_their_versions_one_after_the_other(db, db_url, clock, shop):
    from console.db import open_database

    files = read_folder(shop)[0]
    TeamLibrary(db, clock).push(files, "老陈")
    errors: list[BaseException] = []

    def push(n: int) -> None:
        other = open_database(db_url)
        try:
            mine = dict(files)
            mine["sla.toml"] = files["sla.toml"] + f"\n# 第 {n} 次\n"
            TeamLibrary(other, clock).push(mine, f"主管{n}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            other.dispose()

    threads = [threading.Thread(target=push, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    versions = [v.version for v in TeamLibrary(db, clock).history("sla.toml")]
    assert versions == [5, 4, 3, 2, 1]


def test_a_console_reads_the_teams_library_and_sees_a_newer_one(db, clock, shop, tmp_path):
    assert type(open_library(db, shop, clock)).__name__ == "FolderSource"  # no rows: the files
    team = TeamLibrary(db, clock)
    files = read_folder(shop)[0]
    team.push(files, "老陈")
    # This desk's own sla.toml says something else: the team's is used, and the desk is told.
    (shop.root / "sla.toml").write_text(files["sla.toml"].replace('duration = "24h"', 'duration = "1h"', 1),
                                        encoding="utf-8")
    source = open_library(db, shop, clock)
    try:
        assert isinstance(source, TeamSource)
        assert source.sla_file.read_text(encoding="utf-8") == files["sla.toml"]
        assert source.sop_dir != shop.sop_dir and source.sop_dir.is_dir()
        assert "sla.toml" in source.notice and "团队库" in source.notice
        assert source.sync() is None  # nothing new: one query, nothing read

        files["phrases/refund.txt"] += DRAFT
        clock.advance(minutes=1)
        team.push(files, "阿珍")
        generation = source.generation
        update = source.sync()
        assert update is not None and [v.path for v in update.versions] == ["phrases/refund.txt"]
        assert "阿珍" in update.describe() and not update.clocks_changed
        assert source.generation == generation + 1
        assert "refund.team_new" in (source.phrases_dir / "refund.txt").read_text(encoding="utf-8")
        snapshot = source.root
    finally:
        source.close()
    assert not snapshot.exists()  # the snapshot is gone with the console


def test_no_notice_when_the_desk_has_no_files_of_its_own_or_the_same_ones(db, clock, shop, tmp_path):
    team = TeamLibrary(db, clock)
    team.push(read_folder(shop)[0], "老陈")
    for home in (shop, resolve(str(tmp_path))):  # the same files; no files of its own at all
        source = open_library(db, home, clock)
        try:
            assert source.notice == ""
        finally:
            source.close()


def test_shipped_files_are_never_a_pull_target(db, clock, shop):
    team = TeamLibrary(db, clock)
    team.push(read_folder(shop)[0], "老陈")
    with pytest.raises(LibraryError):
        pull(team.current(), SHIPPED)


def test_every_desk_runs_the_teams_clocks_whatever_its_own_sla_toml_says(db, clock, shop, tmp_path):
    from console.services import library_and_policy
    from console.sla import PolicyError

    files = read_folder(shop)[0]
    files["sla.toml"] = files["sla.toml"].replace('duration = "24h"', 'duration = "20h"', 1)
    TeamLibrary(db, clock).push(files, "老陈")
    # This desk's own file still says 24 h, and --sla names yet another: the team's 20 h wins.
    other = tmp_path / "other-sla.toml"
    other.write_text((SHIPPED / "sla.toml").read_text(encoding="utf-8").replace('duration = "24h"', 'duration = "10h"', 1),
                     encoding="utf-8")
    library, policy, ignored = library_and_policy(db, shop, str(other))
    try:
        assert ignored
        solution = next(r for r in policy.clocks.values() if r.duration.total_seconds() == 20 * 3600)
        assert solution.kind == "solution"
    finally:
        library.close()

    # Without a team library: the desk's own file, or the one named, as before.
    from console.db import open_database, resolve_url

    solo = open_database(resolve_url(str(tmp_path / "solo.db")))
    try:
        library, policy, ignored = library_and_policy(solo, shop, str(other))
        assert not ignored and library.team is None and policy.clocks["solution"].duration.total_seconds() == 10 * 3600
        (shop.root / "sla.toml").write_text("[clocks.x]\nclock = \"shop\"\nduration = \"soon\"\n", encoding="utf-8")
        with pytest.raises(PolicyError, match="时效规则或节假日文件有误"):
            library_and_policy(solo, shop)
    finally:
        solo.dispose()

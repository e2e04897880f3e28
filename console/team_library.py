"""The team's library (团队库): the SOP trees, replies (话术), forbidden phrases, deadline rules,
holidays and reply/SOP rules a team works by, kept in the database so that every desk works by
the same ones.

    files, unreadable = read_folder(home)    # what the shop folder holds (own copy, else shipped)
    problems = check_folder(home)            # the checks of `sop check`, `phrases check`, the policy
    team = TeamLibrary(db, clock)
    team.push(files, "老陈")                  # a new version of each file that differs
    team.current()                           # {"sop/return.toml": Version, …}, the newest of each
    pull(team.current(), Path("D:/店铺"))      # the team's copy back into a folder

Append-only: every change is a row (kind, name, body, version, agent, at); the current file is
its newest row, and a row marked `removed` takes a file out. A database without rows has no
team library: each console reads its shop folder as it always did (`FolderSource`). With rows,
a console reads a snapshot of the team's files written to a temporary folder (`TeamSource`),
so the file loaders (and their checks and messages) are the same in both modes.

No Textual here.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import and_, func
from sqlmodel import Session, select

from console.clock import Clock, SystemClock
from console.db import Database
from console.home import ITEM_LABELS, SHIPPED, Home, is_shipped
from console.models import LibraryFile, ReplyDraft

log = logging.getLogger("console.team_library")

# kind -> the item of a shop folder it is (console/home.py ITEMS); folders hold files matching
# PATTERN (README.md beside them is documentation, not library).
ITEM_OF: dict[str, str] = {
    "sla": "sla.toml", "holidays": "holidays.toml", "sop": "sop", "forbidden": "forbidden.toml",
    "phrases": "phrases", "phrase_rules": "phrase_rules.toml",
}
KIND_OF_ITEM = {item: kind for kind, item in ITEM_OF.items()}
PATTERN = {"sop": "*.toml", "phrases": "*.txt"}
# What changes the clocks: a console reads these once, at its start.
CLOCK_FILES = frozenset({"sla.toml", "holidays.toml"})
PUSHED = "推送"


class LibraryError(Exception):
    """The library cannot be pushed or pulled; `message` says why, `problems` lists each file's."""

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems)


def join_path(kind: str, name: str) -> str:
    """The file's place in a shop folder: "sla.toml", "sop/return.toml"."""
    return f"{ITEM_OF[kind]}/{name}" if kind in PATTERN else ITEM_OF[kind]


def split_path(path: str) -> tuple[str, str]:
    """(kind, name) of a place in a shop folder; KeyError if it is not part of the library."""
    item, _, name = path.partition("/")
    kind = KIND_OF_ITEM[item]
    if (kind in PATTERN) != bool(name):
        raise KeyError(path)
    return kind, name or item


def label(path: str) -> str:
    """The file as an agent reads it: "话术库 refund.txt", "时效规则"."""
    item, _, name = path.partition("/")
    text = ITEM_LABELS.get(item, item)
    return f"{text} {name}" if name else text


@dataclass(frozen=True)
class Version:
    """One version of one file of the team's library."""

    kind: str
    name: str
    body: str
    version: int
    agent: str
    at: datetime
    note: str = ""
    removed: bool = False
    id: int = 0

    @property
    def path(self) -> str:
        return join_path(self.kind, self.name)


def _version(row: LibraryFile) -> Version:
    return Version(kind=row.kind, name=row.name, body=row.body, version=row.version, agent=row.agent,
                   at=row.at, note=row.note, removed=row.removed, id=row.id or 0)


# ---- the shop folder -------------------------------------------------------------------


def read_folder(home: Home, own_only: bool = False) -> tuple[dict[str, str], dict[str, str]]:
    """({place: text}, {place: why it cannot be read}) for every library file the console
    would read from this shop folder: its own copy of each item, else the shipped one
    (`own_only`: only the shop's own copies). Text exactly as in the file (a BOM, CRLF kept)."""
    files: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    for kind, item in ITEM_OF.items():
        if own_only and not home.is_own(item):
            continue
        source = home.source(item)
        if kind in PATTERN:
            found = sorted(p for p in source.glob(PATTERN[kind]) if p.is_file()) if source.is_dir() else []
        else:
            found = [source] if source.is_file() else []
        for path in found:
            place = join_path(kind, path.name)
            try:
                files[place] = _decode(path.read_bytes())
            except OSError as exc:
                unreadable[place] = f"{path}: 无法读取: {exc.strerror or exc}"
            except ValueError as exc:
                unreadable[place] = f"{path}: {exc}"
    return files, unreadable


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValueError(f"第 {line} 行不是 UTF-8 编码 (请用 UTF-8 保存)") from None
    if "\x00" in text:
        raise ValueError("文件里有 NUL 字符 (不是文本文件)")
    return text


def check_folder(home: Home) -> list[str]:
    """Every problem that `aftersales sop check` and `aftersales phrases check` report as an
    error for this shop folder, and a broken sla.toml or holidays.toml, one line each (file:line:
    reason). Empty: the folder may become the team's library."""
    from console.phrases import LibraryError as RepliesError
    from console.phrases import lint
    from console.phrases import load_library as load_replies
    from console.sla import PolicyError, load_policy
    from console.sop import load_library as load_sop

    problems: list[str] = []
    policy = None
    try:
        policy = load_policy(home.sla_file, home.holidays_file)
    except PolicyError as exc:
        problems.append(f"时效规则或节假日文件有误: {exc}")
    try:
        reply_ids: set[str] | None = {r.id for r in load_replies(home.phrases_dir).replies}
    except RepliesError:
        reply_ids = None  # `phrases check` below says why
    trees = load_sop(home.sop_dir, clocks=policy.clocks if policy else None, reply_ids=reply_ids,
                     refund_clocks=policy.refund_clocks if policy else None)
    problems += [str(error) for error in trees.errors]
    problems += [str(p) for p in lint(home.phrases_dir, home.forbidden_file, home.sop_dir,
                                      home.phrase_rules_file) if p.level == "error"]
    return problems


# ---- differences -------------------------------------------------------------------------

SAME, CHANGED, LOCAL_ONLY, TEAM_ONLY = "same", "changed", "local_only", "team_only"


@dataclass(frozen=True)
class Difference:
    path: str
    state: str  # CHANGED, LOCAL_ONLY (push adds it), TEAM_ONLY (push takes it out)
    team: Version | None = None  # the team's current version, if it has one


def compare(local: Mapping[str, str], team: Mapping[str, Version],
            unreadable: Iterable[str] = ()) -> list[Difference]:
    """How a folder's files differ from the team's current ones, in place order. A local file
    that cannot be read counts as different."""
    out: list[Difference] = []
    broken = set(unreadable)
    for path in sorted(set(local) | set(team) | broken):
        mine, theirs = local.get(path), team.get(path)
        if path in broken:
            out.append(Difference(path, CHANGED if theirs else LOCAL_ONLY, theirs))
        elif theirs is None:
            out.append(Difference(path, LOCAL_ONLY))
        elif mine is None:
            out.append(Difference(path, TEAM_ONLY, theirs))
        elif mine != theirs.body:
            out.append(Difference(path, CHANGED, theirs))
    return out


def local_differences(home: Home, team: Mapping[str, Version]) -> list[Difference]:
    """The shop folder's own files (not the shipped defaults it falls back on) that differ
    from the team's: what a desk is told at start."""
    local, unreadable = read_folder(home, own_only=True)
    own_kinds = {kind for kind, item in ITEM_OF.items() if home.is_own(item)}
    theirs = {p: v for p, v in team.items() if v.kind in own_kinds}
    return compare(local, theirs, unreadable)


def start_notice(differences: list[Difference]) -> str:
    """The notice a desk reads at start when its own files are not the team's ("" if none)."""
    if not differences:
        return ""
    names = [d.path + ("(团队库没有)" if d.state == LOCAL_ONLY else "(本机没有)" if d.state == TEAM_ONLY else "")
             for d in differences]
    shown = "、".join(names[:6]) + (f" 等 {len(names)} 个" if len(names) > 6 else "")
    return f"本机店铺文件夹的 {shown} 和团队库不同: 用的是团队库的版本 (取回: aftersales library pull 文件夹)"


def withdrawn_approvals(files: Mapping[str, str], team: Mapping[str, Version]) -> list[tuple[str, Version]]:
    """Replies approved in the team's reply files that `files` (a whole library about to be
    pushed) has not, or has as drafts: a push would take back their approval (one made at a
    desk since the folder was pulled, say). [(reply id, the team's file version)]."""
    from console.phrases.library import parse_text

    def approved(texts: Iterable[tuple[str, str]]) -> dict[str, str]:
        out: dict[str, str] = {}
        for path, body in texts:
            if split_path(path)[0] == "phrases":
                out |= {r.id: path for r in parse_text(body, Path(path))[0] if r.approved}
        return out

    mine = approved(files.items())
    theirs = approved((p, v.body) for p, v in team.items())
    return [(reply_id, team[path]) for reply_id, path in sorted(theirs.items()) if reply_id not in mine]


# ---- the database ------------------------------------------------------------------------


@dataclass
class PushReport:
    added: list[str] = field(default_factory=list)
    changed: list[tuple[str, Version]] = field(default_factory=list)  # (place, the version replaced)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)


class TeamLibrary:
    """The `library_file` rows: the one writer of them."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()

    def stamp(self) -> int:
        """The newest row's id: 0 when there is no team library; it moves with every change
        (rows are only ever added), so comparing it is enough to know whether to read again."""
        with self.db.read() as s:
            return int(s.exec(select(func.max(LibraryFile.id))).one() or 0)

    def current(self) -> dict[str, Version]:
        """The team's files as they are now: {place: newest version}, files taken out left out."""
        with self.db.read() as s:
            return {p: v for p, v in self._newest(s).items() if not v.removed}

    def snapshot(self) -> tuple[int, dict[str, Version]]:
        """(stamp, current): the stamp read first, so a change in between is read again later."""
        return self.stamp(), self.current()

    def history(self, path: str | None = None) -> list[Version]:
        """Every version, newest first (of one file, given its place)."""
        with self.db.read() as s:
            query = select(LibraryFile).order_by(LibraryFile.id.desc())
            if path is not None:
                kind, name = split_path(path)
                query = query.where(LibraryFile.kind == kind, LibraryFile.name == name)
            return [_version(r) for r in s.exec(query).all()]

    @staticmethod
    def _newest(s: Session, kind: str | None = None) -> dict[str, Version]:
        """The newest row of each file, a removed one included (its version number counts)."""
        newest = (select(LibraryFile.kind, LibraryFile.name, func.max(LibraryFile.version).label("top"))
                  .group_by(LibraryFile.kind, LibraryFile.name))
        if kind is not None:
            newest = newest.where(LibraryFile.kind == kind)
        top = newest.subquery()
        query = select(LibraryFile).join(top, and_(LibraryFile.kind == top.c.kind,
                                                   LibraryFile.name == top.c.name,
                                                   LibraryFile.version == top.c.top))
        return {v.path: v for v in (_version(r) for r in s.exec(query).all())}

    def _append(self, s: Session, path: str, body: str, agent: str, note: str,
                before: Version | None, removed: bool = False) -> None:
        kind, name = split_path(path)
        s.add(LibraryFile(kind=kind, name=name, body=body, version=(before.version + 1) if before else 1,
                          removed=removed, agent=(agent or "?")[:64], at=self.clock.now(), note=note[:200]))

    def push(self, files: Mapping[str, str], agent: str, note: str = PUSHED) -> PushReport:
        """Make `files` ({place: text}, a whole library) the team's: a new version of each file
        that differs, a `removed` row for each team file not in `files`; nothing for the same.
        One transaction: all of it or nothing."""
        for path in files:
            split_path(path)  # a KeyError for anything that is not a library file
        report = PushReport()
        with self.db.write() as s:
            # Two pushes (or a push and an approval) at once: one after the other, each
            # numbering its versions after the other's.
            self.db.serialize(s, "library")
            newest = self._newest(s)
            for path, body in sorted(files.items()):
                before = newest.get(path)
                if before is not None and not before.removed and before.body == body:
                    report.unchanged += 1
                    continue
                self._append(s, path, body, agent, note, before)
                if before is None or before.removed:
                    report.added.append(path)
                else:
                    report.changed.append((path, before))
            for path, before in sorted(newest.items()):
                if path not in files and not before.removed:
                    self._append(s, path, "", agent, f"{note}: 删除", before, removed=True)
                    report.removed.append(path)
        return report

    # ---- approving a reply -------------------------------------------------------------

    def approve_reply(self, reply_id: str, agent: str, *, force: bool = False) -> bool:
        """Approve a draft in one of the team's reply files: a new version of that file with
        the reply's status line set (every other byte unchanged). False if it already was;
        ApproveError if there is no such reply, its id is taken twice, or it still has
        problems by the team's forbidden list (unless `force`)."""
        from console.phrases.approve import approved_bytes, check_approvable, only_one
        from console.phrases.library import parse_text

        with self.db.write() as s:
            self.db.serialize(s, "library")
            newest = self._newest(s)
            found = []
            for path, v in newest.items():
                if v.kind == "phrases" and not v.removed:
                    found += [(v, r) for r in parse_text(v.body, Path(path))[0] if r.id == reply_id]
            reply = only_one([r for _, r in found], reply_id, f"团队库的话术里没有 {reply_id}")
            before = next(v for v, r in found if r is reply)
            if reply.approved:
                return False
            check_approvable(reply, self._rules(newest), force)
            body = approved_bytes(before.body.encode("utf-8"), reply).decode("utf-8")
            self._append(s, before.path, body, agent, f"审核通过 {reply_id}", before)
        return True

    def approve_draft(self, reply_id: str, agent: str, *, force: bool = False) -> bool:
        """Approve a draft added from the picker (a `reply_draft` row): its block is added to the
        team's reply file of its category as a new version, and the row is marked approved,
        in one transaction. False if it already was; ApproveError if there is no such draft,
        its id is already in the team's files, it still has problems (unless `force`), or its
        text would not read back the same from a reply file."""
        import dataclasses

        from console.phrases.approve import ApproveError, check_approvable
        from console.phrases.drafts import as_block
        from console.phrases.library import NEWLINE, parse_text
        from console.reply_drafts import as_reply

        with self.db.write() as s:
            self.db.serialize(s, "library")
            row = s.exec(select(ReplyDraft).where(ReplyDraft.reply_id == reply_id)).first()
            if row is None:
                raise ApproveError(f"数据库里没有草稿 {reply_id}")
            if row.status == "approved":
                return False
            newest = self._newest(s)
            for path, v in newest.items():
                if v.kind == "phrases" and not v.removed and any(
                        r.id == reply_id for r in parse_text(v.body, Path(path))[0]):
                    raise ApproveError(f"团队库的话术文件 {path} 里已经有编号 {reply_id}, 请先改正文件再审核")
            place = join_path("phrases", f"{row.category}.txt")
            reply = dataclasses.replace(as_reply(row), status="approved",
                                        note=f"{row.author} 在话术面板里新增, {agent} 审核通过",
                                        path=Path(place))
            check_approvable(reply, self._rules(newest), force)
            before = newest.get(place)
            body = before.body if before is not None and not before.removed else ""
            if body and not body.endswith(("\n", "\r")):
                body += "\n"
            body += ("\n" if body else "") + as_block(reply)
            back = [r for r in parse_text(body, Path(place))[0] if r.id == reply_id]
            text = "\n".join(line.rstrip() for line in NEWLINE.split(reply.text))
            if len(back) != 1 or (back[0].title, back[0].text, back[0].approved) != (reply.title, text, True):
                raise ApproveError(f"{reply_id} 的文字放进话术文件后读出来不一样 (有一行像 [编号]、"
                                   "“标题:” 这样的字段, 或以 # 开头): 请改一下这些行再审核")
            self._append(s, place, body, agent, f"审核通过 {reply_id} ({row.author} 新增)", before)
            row.status, row.approved_by, row.approved_at = "approved", agent[:64], self.clock.now()
            s.add(row)
        return True

    @staticmethod
    def _rules(newest: Mapping[str, Version]):
        """The team's forbidden list (the shipped one if the team has none)."""
        from console.phrases.forbidden import default_rules, parse_forbidden

        v = newest.get(ITEM_OF["forbidden"])
        if v is None or v.removed:
            return default_rules()
        return parse_forbidden(v.body, Path(v.path))


# ---- files out of the database -----------------------------------------------------------


def write_folder(dest: Path, files: Mapping[str, str]) -> list[Path]:
    """Write each file under `dest` at its place, byte for byte (UTF-8), each under a temporary
    name first and renamed into place; the paths written."""
    written = []
    for path, body in sorted(files.items()):
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.part")
        partial.write_bytes(body.encode("utf-8"))
        partial.replace(target)
        written.append(target)
    return written


@dataclass
class PullReport:
    dest: Path
    written: list[str] = field(default_factory=list)  # new or different, now the team's
    same: int = 0
    deleted: list[str] = field(default_factory=list)  # local library files the team has not


def pull(team: Mapping[str, Version], dest: Path | str, *, force: bool = False) -> PullReport:
    """Put the team's files into folder `dest` (created if missing) with a shop folder's layout.

    A file there that differs from the team's, or a library file the team does not have
    (sop/*.toml, phrases/*.txt), is replaced or deleted only with `force`; without it
    LibraryError lists them and nothing is written. Other files (config.toml, README.md,
    the database) are never touched."""
    dest = Path(dest).expanduser().absolute()
    if is_shipped(dest):
        raise LibraryError(f"{dest} 是程序自带的默认文件, 不能写")
    if dest.exists() and not dest.is_dir():
        raise LibraryError(f"{dest} 不是一个文件夹")
    home = Home(dest, "--home")
    local, unreadable = read_folder(home, own_only=True) if dest.is_dir() else ({}, {})
    wanted = {p: v.body for p, v in team.items()}
    report = PullReport(dest)
    differing = [d for d in compare(local, team, unreadable) if d.state != TEAM_ONLY]
    if differing and not force:
        raise LibraryError(
            f"{dest} 里有 {len(differing)} 个文件和团队库不一样, 没有写入任何文件。"
            "加 --force 用团队的版本替换 (团队库没有的会删掉), 或换一个空文件夹:",
            [f"{d.path}: {'和团队的版本不同' if d.state == CHANGED else '团队库没有 (会删掉)'}" for d in differing])
    report.same = sum(1 for p, body in wanted.items() if local.get(p) == body)
    changed = {p: body for p, body in wanted.items() if local.get(p) != body}
    try:
        dest.mkdir(parents=True, exist_ok=True)
        write_folder(dest, changed)
        for d in differing:
            if d.state == LOCAL_ONLY:
                (dest / d.path).unlink(missing_ok=True)
                report.deleted.append(d.path)
    except OSError as exc:
        raise LibraryError(f"写入 {dest} 失败: {exc.strerror or exc} ({exc.filename or dest})") from None
    report.written = sorted(changed)
    return report


# ---- where a console reads its library --------------------------------------------------


@dataclass(frozen=True)
class Update:
    """What a console learnt on `sync`: the team's library changed (`versions`: the new
    versions, `removed`: files taken out), or it was created after this console started."""

    versions: tuple[Version, ...] = ()
    removed: tuple[str, ...] = ()
    appeared: bool = False

    @property
    def clocks_changed(self) -> bool:
        return any(v.path in CLOCK_FILES for v in self.versions) or bool(CLOCK_FILES & set(self.removed))

    def describe(self) -> str:
        """One line for the status line: who changed which files (the clocks: from the next start)."""
        if self.appeared:
            return ("数据库里建好了团队库 (团队共用的 SOP、话术、时效规则)。"
                    "请重启工作台, 之后就按团队库工作。")
        who = "、".join(dict.fromkeys(v.agent for v in self.versions)) or "有人"
        names = [label(v.path) + (f" ({v.note})" if v.note and v.note != PUSHED else "") for v in self.versions]
        names += [f"{label(p)} (删除)" for p in self.removed]
        text = f"{who} 更新了团队库: " + "、".join(names[:4]) + (f" 等 {len(names)} 个" if len(names) > 4 else "")
        if self.clocks_changed:
            text += "。时效规则的改动在重启工作台后生效, 现在仍按启动时的规则计时"
        return text


class FolderSource:
    """A console without a team library: the shop folder's files (its own copy of each item,
    else the shipped one), read as they always were."""

    def __init__(self, home: Home, team: TeamLibrary | None = None) -> None:
        self.home = home
        self.team: TeamLibrary | None = None
        self._probe = team  # asked (in a worker) whether a team library was created meanwhile
        self.generation = 0
        self.notice = ""
        self.updates: list[tuple[int, Update]] = []

    def path(self, item: str) -> Path:
        return self.home.source(item)

    def sync(self) -> Update | None:
        """Never reads the library again; tells once that the database now holds a team library
        (this console goes on with its files until restarted). Call from a worker."""
        if self._probe is None or self._probe.stamp() == 0:
            return None
        self._probe = None
        update = Update(appeared=True)
        self.generation += 1
        self.updates.append((self.generation, update))
        return update

    def close(self) -> None:
        pass

    sop_dir = property(lambda self: self.path("sop"))
    phrases_dir = property(lambda self: self.path("phrases"))
    forbidden_file = property(lambda self: self.path("forbidden.toml"))
    sla_file = property(lambda self: self.path("sla.toml"))
    holidays_file = property(lambda self: self.path("holidays.toml"))
    phrase_rules_file = property(lambda self: self.path("phrase_rules.toml"))


class TeamSource(FolderSource):
    """A console of a team: the team's files from the database, as a snapshot written to a
    temporary folder (the loaders read files); `sync` reads the database again when it changed
    and writes a new snapshot. `notice`: which of the shop folder's own files differ."""

    def __init__(self, team: TeamLibrary, home: Home) -> None:
        super().__init__(home)
        self.team = team
        self._lock = threading.Lock()
        self._cache = Path(tempfile.mkdtemp(prefix="aftersales-team-library-"))
        self._stamp, self.files = team.snapshot()
        self.root = self._write(self._stamp, self.files)
        self.generation = 1
        self.notice = start_notice(local_differences(home, self.files))

    def path(self, item: str) -> Path:
        own = self.root / item
        # A file the team has not (a kind a newer program added, say): the shipped one, the
        # same at every desk (never this desk's own).
        return own if own.exists() else SHIPPED / item

    def _write(self, stamp: int, files: Mapping[str, Version]) -> Path:
        root = self._cache / f"v{stamp}"
        write_folder(root, {p: v.body for p, v in files.items()})
        for kind in PATTERN:  # the team's folders even when empty: never this desk's or the shipped files
            (root / ITEM_OF[kind]).mkdir(parents=True, exist_ok=True)
        return root

    def sync(self) -> Update | None:
        """Read the library again if it changed since (one cheap query when it has not);
        the new snapshot is used from the next (re)load. Call from a worker, never the UI thread."""
        with self._lock:
            if self.team is None or self.team.stamp() == self._stamp:
                return None
            stamp, files = self.team.snapshot()
            if stamp == self._stamp:
                return None
            before = self.files
            versions = tuple(v for p, v in files.items() if p not in before or before[p].id != v.id)
            removed = tuple(p for p in before if p not in files)
            previous = self.root
            self.root = self._write(stamp, files)
            self._stamp, self.files = stamp, files
            # The snapshot before the previous one: a loader in another thread may still read
            # the previous one.
            for old in self._cache.iterdir():
                if old not in (self.root, previous):
                    shutil.rmtree(old, ignore_errors=True)
            self.generation += 1
            update = Update(versions, removed)
            self.updates.append((self.generation, update))
            del self.updates[:-20]
            log.info("团队库更新 (stamp %d): %s", stamp, update.describe())
            return update

    def close(self) -> None:
        shutil.rmtree(self._cache, ignore_errors=True)


def open_library(db: Database, home: Home, clock: Clock | None = None) -> FolderSource:
    """The library a console works by: the team's (TeamSource) when the database holds one,
    else the shop folder's files (FolderSource), exactly as without a team library."""
    team = TeamLibrary(db, clock)
    if team.stamp() == 0:
        return FolderSource(home, team)
    return TeamSource(team, home)

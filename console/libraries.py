"""The libraries a console works by: the SOP trees and the approved replies (话术).

Built once at start (console/services.py) from the library source: the shop folder's files,
or the team's library in the database (console/team_library.py), read on first use (off the
UI thread by the app's warm-up) and kept; `reload` reads the files again, and a newer team
library (the source's `generation` moved) is read at the next `get`. Both are safe to ask
from a worker thread and the UI thread at once. Nothing here imports Textual, and the reply
and SOP packages are imported on first use: the first frame does not need them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from console.clock import Clock
from console.db import Database, StoreError
from console.sla import Policy

if TYPE_CHECKING:
    from console.phrases import Library as Replies
    from console.phrases import Reply, Rule, SearchIndex
    from console.reply_drafts import ReplyDrafts
    from console.sop import Flow, Library, Outcome
    from console.team_library import FolderSource


class SopTrees:
    """The SOP decision trees, checked against the policy's clocks (a broken file leaves only
    its own flow unavailable)."""

    def __init__(self, source: FolderSource, policy: Policy | None = None) -> None:
        self.source = source
        self.policy = policy
        self._library: Library | None = None
        self._generation = -1
        self._lock = threading.Lock()

    @property
    def directory(self) -> Path:
        return self.source.sop_dir

    def get(self, reload: bool = False) -> Library:
        """The trees (read from files, never from the database: the UI thread asks this)."""
        from console.sop import load_library

        with self._lock:
            if self._library is None or reload or self._generation != self.source.generation:
                policy = self.policy
                self._generation = self.source.generation
                self._library = load_library(
                    self.directory,
                    clocks=frozenset(policy.clocks) if policy else None,
                    refund_clocks=policy.refund_clocks if policy else None,
                )
            return self._library

    def flow_for_kind(self, kind: str | None) -> Flow | None:
        """The flow that handles cases of `kind`, if the trees have one."""
        return next((f for f in self.get().flows.values() if f.case_kind == kind), None)

    def outcome_of(self, step: str | None) -> Outcome | None:
        """The outcome a case was last decided by (`flow.node`), if its tree still has it."""
        if not step:
            return None
        flow_id, _, node_id = step.partition(".")
        flow = self.get().flows.get(flow_id)
        node = flow.nodes.get(node_id) if flow else None
        return node.outcome if node is not None else None


class ReplyBook:
    """The approved replies: the files of the shop folder (else the shipped ones) plus the
    drafts stored in the database, with the search index (pinyin included) over them, and the
    forbidden-phrase list."""

    def __init__(self, source: FolderSource, db: Database, clock: Clock) -> None:
        self.source = source
        self.db = db
        self.clock = clock
        self._drafts: ReplyDrafts | None = None
        self._files: Replies | None = None
        self._generation = -1
        self._built: tuple[Replies, SearchIndex] | None = None
        self._key: tuple | None = None
        self._lock = threading.Lock()

    @property
    def directory(self) -> Path:
        return self.source.phrases_dir

    @property
    def forbidden_file(self) -> Path:
        return self.source.forbidden_file

    @property
    def drafts(self) -> ReplyDrafts:
        """Draft replies in this database (the one writer of them)."""
        if self._drafts is None:
            from console.reply_drafts import ReplyDrafts

            self._drafts = ReplyDrafts(self.db, self.clock)
        return self._drafts

    def get(self, reload: bool = False) -> tuple[Replies, SearchIndex]:
        """The library and its index (a worker asks this: it reads the database). The files
        are read once (`reload` reads them again; a team's library again when it changed);
        the index is rebuilt only when they or the stored drafts changed (another console
        added or approved one). A stored draft whose id the files hold (approved into the
        team's library) is the files' reply."""
        from console.phrases import Library, SearchIndex, load_library

        self._sync()
        stored = self._stored_drafts()
        with self._lock:
            if self._files is None or reload or self._generation != self.source.generation:
                self._generation = self.source.generation
                self._files = load_library(self.directory)
                self._key = None
            files = self._files
            ids = files.ids
            stored = [r for r in stored if r.id not in ids]
            key = (id(files), tuple((r.id, r.status) for r in stored))
            if self._built is None or self._key != key:
                lib = Library(replies=files.replies + stored, problems=files.problems, root=files.root,
                              files=files.files)
                self._built, self._key = (lib, SearchIndex(lib.replies)), key
            return self._built

    def cached(self) -> tuple[Replies, SearchIndex] | None:
        """The library and index as last built by `get`, without touching the database (the
        UI thread asks this; a worker calls `get` to refresh it). None: not built yet."""
        return self._built

    def forbidden_rules(self) -> tuple[Rule, ...]:
        """The shop's forbidden list (else the shipped one); ForbiddenListError if unusable."""
        from console.phrases import default_rules

        return default_rules(self.forbidden_file)

    def titles(self, ids: Iterable[str]) -> str:
        """Reply titles for a list of ids, from the library as last built (no database read:
        the UI thread asks this); the ids themselves while it is not built or not readable."""
        ids = list(ids)
        built = self._built
        if built is None:
            return "、".join(ids)
        lib, _ = built
        return "、".join(r.title if (r := lib.get(i)) else i for i in ids)

    def approve(self, reply: Reply, agent: str) -> str:
        """Approve a draft (a worker runs this): "" when done, else why not, for the agent.

        With a team library every approval is a new version of the team's reply file (a
        draft from the database goes into its category's file), so every console offers it
        at once; without one a stored draft is approved in the database and a file's draft
        in the shop's own file (the shipped files are refused)."""
        from console.phrases import ApproveError, ForbiddenListError, approve

        team = self.source.team
        try:
            if team is not None:
                if reply.in_database:
                    team.approve_draft(reply.id, agent)
                else:
                    team.approve_reply(reply.id, agent)
            elif reply.in_database:
                self.drafts.approve(reply.id, agent, rules=self.forbidden_rules())
            else:
                approve(reply.id, self.directory, rules=self.forbidden_rules())
        except ForbiddenListError as exc:
            return f"禁用语列表有误, 无法审核: {exc}"
        except ApproveError as exc:
            return approve_failure(exc)
        except OSError as exc:
            return f"审核失败: {exc}"
        return ""

    def _sync(self) -> None:
        try:
            self.source.sync()
        except StoreError:
            pass  # a locked database: the library as last read; the next call tries again

    def _stored_drafts(self) -> list[Reply]:
        try:
            return self.drafts.replies()
        except StoreError:
            return []  # a locked database: the files still work; drafts come back next time


def approve_failure(exc: Exception) -> str:
    """One line: why the approval was refused, with the first problems found."""
    problems = getattr(exc, "problems", [])
    detail = ";".join(p.message for p in problems[:3])
    return f"审核失败: {exc}" + (f" ({detail})" if detail else "")

"""The services a console works with, built once (by cli.py, or a test) and handed to the app.

Screens reach them through the app (`app.services`, and the short names the app keeps for
the common ones); no screen builds its own store or keeps a module-level cache. Nothing here
imports Textual.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.cases import Cases
from console.clock import Clock, SystemClock
from console.db import Database
from console.handover import Handovers
from console.home import Home, default_home
from console.libraries import ReplyBook, SopTrees
from console.metrics import Metrics
from console.notes import Notes
from console.presence import PresenceStore
from console.queue import QueueReader
from console.registers import Registers
from console.replies import Replies
from console.sla import Policy, PolicyError, load_policy
from console.team_library import FolderSource, open_library


@dataclass
class Services:
    db: Database
    policy: Policy
    clock: Clock
    home: Home
    cases: Cases
    queue: QueueReader
    notes: Notes
    copies: Replies  # what was copied into the chat, by whom, when
    handovers: Handovers
    registers: Registers
    sop: SopTrees
    replies: ReplyBook
    # Where the SOP trees, replies, forbidden list and deadline rules come from: the shop
    # folder's files, or the team's library in the database (console/team_library.py).
    library: FolderSource
    presence: PresenceStore  # which consoles run, where, typing or not (heartbeats)
    metrics: Metrics  # the supervisor's figures (console/metrics), computed in a worker

    def as_agent(self, agent: str) -> None:
        """The agent is known (named at first start): "mine" in the queue means theirs."""
        self.queue.agent = agent


def build_services(db: Database, policy: Policy, clock: Clock | None = None, home: Home | None = None,
                   agent: str = "", library: FolderSource | None = None) -> Services:
    """The services of one console. `library`: where its SOP trees, replies and rules come
    from; by default the team's library when the database holds one, else the shop folder
    (`open_library`, which reads the database: call this before the app starts). The caller
    builds `policy` from the same source (`library.sla_file`, `library.holidays_file`)."""
    clock = clock or SystemClock()
    home = home or default_home()
    library = library or open_library(db, home, clock)
    cases = Cases(db, policy, clock)
    return Services(
        db=db,
        policy=policy,
        clock=clock,
        home=home,
        cases=cases,
        queue=QueueReader(db, agent),
        notes=Notes(cases),
        copies=Replies(cases),
        handovers=Handovers(cases),
        registers=Registers(db, policy, clock, cases),
        sop=SopTrees(library, policy),
        replies=ReplyBook(library, db, clock),
        library=library,
        presence=PresenceStore(db, clock),
        metrics=Metrics(db, policy, clock),
    )


def library_and_policy(db: Database, home: Home, sla: str | None = None) -> tuple[FolderSource, Policy, bool]:
    """Where this console's library comes from, and its deadline rules: the team's library
    and the team's sla.toml and holidays.toml when the database holds one (every desk runs
    the same clocks; a `sla` file named on the command line is then not used: the third
    value says so), else the shop folder's (or `sla`). PolicyError with the reason in
    Chinese, StoreError when the database cannot be read; call before the app starts."""
    library = open_library(db, home)
    team = library.team is not None
    try:
        policy = load_policy(library.sla_file if team or not sla else sla, library.holidays_file)
    except PolicyError as exc:
        library.close()
        if team:
            raise PolicyError(f"团队库 (数据库里) 的时效规则或节假日文件有误: {exc}\n"
                              "请主管改正店铺文件夹里的文件, 再运行 aftersales library push。") from None
        raise PolicyError(f"时效规则或节假日文件有误: {exc}") from None
    return library, policy, team and bool(sla)

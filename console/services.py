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
from console.notes import Notes
from console.presence import PresenceStore
from console.queue import QueueReader
from console.registers import Registers
from console.replies import Replies
from console.sla import Policy


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
    presence: PresenceStore  # which consoles run, where, typing or not (heartbeats)

    def as_agent(self, agent: str) -> None:
        """The agent is known (named at first start): "mine" in the queue means theirs."""
        self.queue.agent = agent


def build_services(db: Database, policy: Policy, clock: Clock | None = None, home: Home | None = None,
                   agent: str = "") -> Services:
    clock = clock or SystemClock()
    home = home or default_home()
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
        sop=SopTrees(home.sop_dir, policy),
        replies=ReplyBook(home.phrases_dir, home.forbidden_file, db, clock),
        presence=PresenceStore(db, clock),
    )

"""What was sent: reply copies recorded on cases, and how often each reply is used."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from sqlmodel import func, select

from console.cases import Cases
from console.models import ReplyCopy

FIRST_REPLY_BY_COPY = "复制话术发给买家,记为首次回复"


@dataclass
class Copied:
    row: ReplyCopy
    first_reply: bool  # this copy was recorded as the case's first reply


def version_of(text: str) -> str:
    """A short fingerprint of a reply's text: the same text, the same version."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


class Replies:
    def __init__(self, cases: Cases) -> None:
        self.cases = cases
        self.db = cases.db

    def record_copy(
        self,
        case_id: int | None,
        reply_ids: list[str],
        versions: list[str],
        text: str,
        agent: str,
        edited: bool = False,
        overridden: int = 0,
    ) -> Copied:
        """Record a copy. A reply copied for a buyer-started case that has no first reply yet
        is its first reply (the agent pastes it into the chat): recorded, with the event
        saying so (`ReplyCopy.first_reply` tells the screen to say it too). `overridden`: how
        many forbidden phrases the agent was warned about and copied anyway (an event says so)."""
        now = self.cases.clock.now()
        first = False
        with self.db.write() as s:
            row = ReplyCopy(case_id=case_id, reply_ids=" ".join(reply_ids)[:400],
                            version=" ".join(versions)[:100], agent=agent, at=now, text=text, edited=edited,
                            forbidden_overridden=overridden)
            s.add(row)
            if case_id is not None:
                with self.cases.edit(case_id, agent, session=s) as e:  # the copy and its event together
                    what = "+".join(reply_ids) + (" (改过)" if edited else "")
                    e.event("reply_copied", None, what[:200], text[:2000])
                    if overridden:
                        e.event("forbidden_overridden", None, f"{overridden} 处禁用语", text[:2000])
                    if e.case.initiated_by == "buyer":
                        first = e.first_reply(FIRST_REPLY_BY_COPY)
        return Copied(row, first)

    def usage(self) -> Counter[str]:
        """How many times each reply has been copied, across all agents."""
        # Grouped in SQL (the reply_ids index): a few hundred distinct groups however many
        # copies a shop's history holds, not one row per copy.
        counts: Counter[str] = Counter()
        with self.db.read() as s:
            for ids, n in s.exec(select(ReplyCopy.reply_ids, func.count()).group_by(ReplyCopy.reply_ids)).all():
                for reply_id in ids.split():
                    counts[reply_id] += n
        return counts

    def copies(self, case_id: int) -> list[ReplyCopy]:
        with self.db.read() as s:
            return list(s.exec(select(ReplyCopy).where(ReplyCopy.case_id == case_id).order_by(ReplyCopy.id)).all())

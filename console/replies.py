"""What was sent: reply copies recorded on cases, and how often each reply is used."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import col, func, select

from console.cases import Cases
from console.models import ReplyCopy

# The picker orders near-ties by how often a reply was copied in this many recent days.
USAGE_DAYS = 30
USAGE_KEEP_SECONDS = 60

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
        self._usage: tuple[int, float, Counter[str]] | None = None  # (days, when, counts)

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
        self._usage = None  # this agent's own copy counts at once
        return Copied(row, first)

    def usage(self, days: int = USAGE_DAYS) -> Counter[str]:
        """How many times each reply has been copied in the last `days` days, across all
        agents: what the team uses now, read off an index that starts with the time, so a
        year of history costs no more than a month. Kept for a minute: it only orders
        near-ties in the picker, which opens many times an hour."""
        kept = self._usage
        if kept is not None and kept[0] == days and time.monotonic() - kept[1] < USAGE_KEEP_SECONDS:
            return Counter(kept[2])
        counts = self._count_usage(days)
        self._usage = (days, time.monotonic(), counts)
        return Counter(counts)

    def _count_usage(self, days: int) -> Counter[str]:
        since = self.cases.clock.now() - timedelta(days=days)
        counts: Counter[str] = Counter()
        # Grouped by `reply_ids || ''`: SQLite, which keeps no statistics here, would otherwise
        # walk the reply_ids index for the grouping and look every copy ever made up by row.
        ids = col(ReplyCopy.reply_ids).concat("")
        q = select(ids, func.count()).where(ReplyCopy.at >= since).group_by(ids)
        with self.db.read() as s:
            for ids, n in s.exec(q).all():
                for reply_id in ids.split():
                    counts[reply_id] += n
        return counts

    def copies(self, case_id: int) -> list[ReplyCopy]:
        with self.db.read() as s:
            return list(s.exec(select(ReplyCopy).where(ReplyCopy.case_id == case_id).order_by(ReplyCopy.id)).all())

"""The history the supervisor's figures read, added to the benchmark database after the
demo cases (benchmarks/dataset.py): a bulk generator, so it writes rows directly with
SQLAlchemy Core (allowed for bulk generators, like console/demo.py), never through the store.

For every closed case: who replied first, when and by whom it was resolved, reopens, the
satisfaction, an escalation now and then, the wizard's outcome; its clocks as they ended (the
first-reply and solution clocks met or missed, a refund's platform clock, a few lapsed); the
replies copied into the chat (some edited, a few past a forbidden-phrase warning). For the
team: a shift per agent per day and an evening handover, acknowledged minutes later.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, update

from console.db import Database, reset_sequences
from console.models import Case, Deadline, Handover, HandoverCase, ReplyCopy, Shift

REPLY_IDS = [f"{cat}.{n}" for cat in ("greet", "refund", "logistics", "return", "exchange", "comfort")
             for n in range(1, 8)]
REASONS = ["买家要求赔偿", "加急工单", "买家不满意: 处理太慢", "涉及过敏,需要风控判断", "买家威胁投诉", "金额超出权限"]
_OUTCOMES = {"refund": ("refund", "return"), "return": ("return",), "exchange": ("exchange",),
             "logistics": ("reship", None, None), "complaint": ("compensation", "price_difference", None)}


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def add_history(db: Database, now: datetime, seed: int = 7, chunk: int = 50_000) -> None:
    rng = random.Random(seed)
    started = time.perf_counter()
    with db.write() as s:
        conn = s.connection()
        # Open cases: the first reply was given by the agent who has them.
        conn.execute(update(Case).where(Case.first_replied_at.is_not(None)).values(first_replied_by=Case.assignee))
    with db.engine.connect() as conn:
        closed = conn.execute(select(Case.id, Case.created_at, Case.first_replied_at, Case.assignee, Case.kind,
                                     Case.channel, Case.created_by)
                              .where(Case.is_open.is_(False)).order_by(Case.id)).all()
    _log(f"bench:   history for {len(closed):,} closed cases")
    stmt = (update(Case).where(Case.id == bindparam("cid"))
            .values(first_replied_by=bindparam("frb"), resolved_at=bindparam("ra"), resolved_by=bindparam("rb"),
                    reopen_count=bindparam("rc"), satisfaction=bindparam("sat"), rated_at=bindparam("rt"),
                    outcome_kind=bindparam("ok"), escalated_to=bindparam("et"), escalation_reason=bindparam("er"),
                    escalated_at=bindparam("ea"), agreed_amount=bindparam("aa"),
                    platform_intervened=bindparam("pi")))
    for lo in range(0, len(closed), chunk):
        updates, deadlines, copies = [], [], []
        for cid, created, replied, assignee, kind, channel, creator in closed[lo:lo + chunk]:
            who = assignee or creator
            start = replied or created
            resolved = start + timedelta(seconds=min(4 * 86400, int(rng.expovariate(1 / (6 * 3600))) + 300))
            rated = rng.random() < 0.85
            sat = rng.choices(("satisfied", "neutral", "unsatisfied"), (80, 14, 6))[0] if rated else None
            escalated = rng.random() < 0.04
            outcome = rng.choice(_OUTCOMES.get(kind, (None,)))
            updates.append({
                "cid": cid, "frb": who if replied else None, "ra": resolved, "rb": who,
                "rc": 1 if rng.random() < 0.04 else 0, "sat": sat, "rt": resolved if rated else None,
                "ok": outcome, "et": rng.choice(("senior", "supervisor", "risk_legal")) if escalated else None,
                "er": rng.choice(REASONS) if escalated else None,
                "ea": start + timedelta(minutes=rng.randint(1, 120)) if escalated else None,
                "aa": f"{rng.randint(5, 80)}.00" if outcome == "compensation" else None,
                "pi": kind == "complaint" and rng.random() < 0.2,
            })
            if replied is not None and channel != "phone":
                deadlines.append(_clock(cid, "first_response", "shop", created, created + timedelta(seconds=30),
                                        replied))
            deadlines.append(_clock(cid, "solution", "shop", created, created + timedelta(hours=24), resolved))
            if kind == "refund":
                due = created + timedelta(days=2)
                ended = due + timedelta(hours=3) if rng.random() < 0.03 else created + timedelta(hours=rng.randint(1, 40))
                deadlines.append(_clock(cid, "refund_auto_agree_paid", "platform", created, due, ended))
            if replied is not None and rng.random() < 0.5:
                copies.append({"case_id": cid, "reply_ids": rng.choice(REPLY_IDS), "version": "bench", "agent": who,
                               "at": replied, "text": "您好,这边帮您处理", "edited": rng.random() < 0.15,
                               "forbidden_overridden": 1 if rng.random() < 0.01 else 0})
        with db.write() as s:
            conn = s.connection()
            conn.execute(stmt, updates)
            conn.execute(insert(Deadline), deadlines)
            if copies:
                conn.execute(insert(ReplyCopy), copies)
        _log(f"bench:   {lo + len(updates):>9,} closed cases with history  {time.perf_counter() - started:5.0f} s")
    _handovers(db, rng, now, sorted({row[3] for row in closed if row[3]}), [row[0] for row in closed[-5000:]])


def _clock(cid: int, kind: str, clock: str, start: datetime, due: datetime, ended: datetime) -> dict:
    return {"case_id": cid, "kind": kind, "clock": clock, "state": "met", "started_at": start, "due_at": due,
            "warn_at": due, "warn_s": 0, "remaining_s": None, "ended_at": ended, "note": "", "origin": "create"}


def _handovers(db: Database, rng: random.Random, now: datetime, agents: list[str], some_cases: list[int]) -> None:
    """A shift per agent per day for the last year, and each evening's handover to the next agent."""
    with db.write() as s:
        conn = s.connection()
        first = (conn.execute(select(Handover.id).order_by(Handover.id.desc()).limit(1)).scalar() or 0) + 1
        shifts, handovers, items = [], [], []
        for day in range(365, 0, -1):
            morning = (now - timedelta(days=day)).replace(hour=1, minute=0, second=0, microsecond=0)
            for i, agent in enumerate(agents):
                shifts.append({"agent": agent, "started_at": morning, "ended_at": morning + timedelta(hours=9)})
                hid = first + len(handovers)
                at = morning + timedelta(hours=9)
                handovers.append({"id": hid, "from_agent": agent, "to_agent": agents[(i + 1) % len(agents)],
                                  "created_at": at, "note": "", "summary": "",
                                  "acknowledged_at": at + timedelta(minutes=rng.randint(1, 40)),
                                  "acknowledged_by": agents[(i + 1) % len(agents)]})
                items += [{"handover_id": hid, "case_id": rng.choice(some_cases), "assigned_to": None, "next_step": ""}
                          for _ in range(rng.randint(1, 6))]
        conn.execute(insert(Shift), shifts)
        conn.execute(insert(Handover), handovers)
        conn.execute(insert(HandoverCase), items)
        reset_sequences(conn, ["handover"])

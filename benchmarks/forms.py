"""Child process: open the new-case form and the case screen from the queue, key to paint.

Run by benchmarks.run as `python -m benchmarks.forms`; prints one JSON object of raw
samples (seconds). The 30-second first reply starts at the new-case form, so it should
open at least as fast as the case screen: the figure is the form's median as a ratio to
the case screen's.

Both screens read one row by key (the case; the agent's saved draft), so the size of the
queue does not matter to them: the database is a throwaway one with a few hundred demo
cases and a saved form draft (a pasted chat), as an agent has after pressing Esc on a
half-filled form. The form is built unseen once the queue is up, as the console does 1.2 s
after start, so "first" is the first `n` of a working session. Each open is timed with the key-to-paint harness of the queue keys
(benchmarks.drive); "ready" also waits for the draft to be back in the fields.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.dataset import AGENT, SIZE
from benchmarks.drive import press, settle

RUNS = 15
DRAFT = {
    "buyer_id": "快乐的小猪", "order_no": "3712345678901234567", "channel": "chat",
    "kind": "exchange", "description": "买了M码穿着小,想换L码", "urgent": False,
    "message_time": "2026-11-23 23:06:40", "assignee": None, "initiated_by": "buyer",
    "product": "",
    "paste": "快乐的小猪 2026-11-23 23:06:40\n买了M码穿着小,想换L码\n订单号:3712345678901234567",
}


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"bench harness: {what}")


async def measure(db_path: Path) -> dict[str, list[float]]:
    from console.app import AftersalesApp
    from console.clock import FrozenClock
    from console.db import open_database, resolve_url
    from console.demo import populate
    from console.notes import Notes
    from console.screens.case import CaseScreen
    from console.screens.new_case import NewCaseScreen, warm_new_case
    from console.screens.queue import QueueScreen
    from console.services import build_services
    from console.sla import load_policy

    policy = load_policy()
    now = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    db = open_database(resolve_url(str(db_path)))
    populate(db, policy, now, 300, open_ratio=0.8, seed=3, agent=AGENT)
    app = AftersalesApp(build_services(db, policy, FrozenClock(now), agent=AGENT), AGENT, tick_seconds=0,
                        offer_demo=False)
    notes = Notes(app.cases)
    out: dict[str, list[float]] = {"form": [], "form_ready": [], "case": [], "form_first": [],
                                   "case_first": []}

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.workers.wait_for_complete()
        _check(isinstance(app.screen, QueueScreen), "the queue is not the first screen")
        # The agent's half-filled form from before (Esc keeps it), then what the console does
        # 1.2 s after start (its timer; tick_seconds=0 here has none): the form built unseen.
        notes.save_draft(AGENT, "new_case", json.dumps(DRAFT, ensure_ascii=False))
        await warm_new_case(app)
        await app.workers.wait_for_complete()
        await settle(pilot)
        for i in range(RUNS + 1):
            # Alternate the two screens so drift in the machine's load hits both.
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            opened = await press(pilot, "n")
            _check(isinstance(app.screen, NewCaseScreen), "n did not open the new-case form")
            await app.workers.wait_for_complete()
            await settle(pilot)
            ready = time.perf_counter() - started
            _check(app.screen.query_one("#buyer_id").value == DRAFT["buyer_id"],
                   "the saved draft was not restored")
            out["form_first" if i == 0 else "form"].append(opened)
            if i:
                out["form_ready"].append(ready)
            await press(pilot, "escape")
            await app.workers.wait_for_complete()
            await settle(pilot)

            await asyncio.sleep(0.05)
            opened = await press(pilot, "enter")
            _check(isinstance(app.screen, CaseScreen), "enter did not open the case screen")
            out["case_first" if i == 0 else "case"].append(opened)
            await press(pilot, "escape")
            await app.workers.wait_for_complete()
            await settle(pilot)
    db.dispose()
    return out


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-forms-") as tmp:
        result = asyncio.run(measure(Path(tmp) / "forms.db"))
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

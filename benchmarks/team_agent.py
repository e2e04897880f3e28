"""Child process: one simulated agent of the team-load bench (benchmarks.team).

`python -m benchmarks.team_agent URL NAME SECONDS SEED CLAIM_IDS WORK_IDS GO_FILE` connects,
prints `ready`, waits for GO_FILE to exist (so the imports of twenty processes are not part
of the measurement), then works for SECONDS through the domain layer, as a console's workers
would: claim a case (from CLAIM_IDS, comma-separated, where every agent competes), first
reply, a note, a status change, a wizard outcome (on WORK_IDS), with 0.5–2.5 s between
actions: a busy shift, faster than people type. Prints one JSON object last: the cases it
won, the notes it saw committed (each with a unique body, so the parent can find every
one), how many of each action, and the errors by kind.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter
from pathlib import Path


def main() -> None:
    url, name, seconds, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    claim_ids = [int(x) for x in sys.argv[5].split(",") if x]
    work_ids = [int(x) for x in sys.argv[6].split(",") if x]
    go = Path(sys.argv[7])

    from console.cases import Cases, ClaimedError
    from console.clock import SystemClock
    from console.db import StoreError, open_database
    from console.notes import Notes
    from console.sla import load_policy
    from console.sop import Money, Walk, load_library
    from console.wizard import apply_outcome

    db = open_database(url, migrate=False)
    cases = Cases(db, load_policy(), SystemClock())
    notes = Notes(cases)
    flow = load_library().flows["return"]
    cases.ensure_agent(name)
    rng = random.Random(seed)

    won: list[int] = []
    written: list[str] = []
    done: Counter[str] = Counter()
    errors: Counter[str] = Counter()

    def outcome(case_id: int) -> None:
        # 7-day no-reason return, goods not yet received (the wizard tests' walk).
        w = Walk.start(flow)
        for a in (2, 3, 2):
            w.answer(a)
        w.confirm(True)
        apply_outcome(cases, case_id, w.outcome, w.path, name, w.memo(name, cases.clock.now()),
                      money=Money("128", "128"))

    actions = {
        "claim": 25, "first_reply": 20, "note": 30, "status": 15, "outcome": 10,
    }
    names, weights = list(actions), list(actions.values())
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.05)
    time.sleep(rng.uniform(0, 1))  # desks do not all start on the same tick
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        action = rng.choices(names, weights)[0]
        n += 1
        try:
            if action == "claim":
                case_id = rng.choice(claim_ids)
                try:
                    cases.claim(case_id, name)
                    won.append(case_id)
                except ClaimedError:
                    done["claim_refused"] += 1
            else:
                case_id = rng.choice(work_ids)
                if action == "first_reply":
                    cases.mark_first_reply(case_id, name, "压测")
                elif action == "note":
                    body = f"压测 {name} 第{n}条"
                    notes.add(case_id, body, name)
                    written.append(body)
                elif action == "status":
                    cases.set_status(case_id, rng.choice(["in_progress", "waiting_warehouse"]), name)
                else:
                    outcome(case_id)
            done[action] += 1
        except StoreError as exc:
            errors[f"{type(exc).__name__}: {exc}"[:60]] += 1
        except Exception as exc:  # noqa: BLE001 - counted and reported, the agent works on
            errors[f"unexpected {type(exc).__name__}: {exc}"[:120]] += 1
        time.sleep(rng.uniform(0.5, 2.5))
    db.dispose()
    json.dump({"name": name, "won": won, "notes": written, "done": done, "errors": errors}, sys.stdout,
              ensure_ascii=False)


if __name__ == "__main__":
    main()

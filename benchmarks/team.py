"""Child process: a team on one database while one console is measured (issue 11).

For each backend (PostgreSQL: a throwaway server started here, as the tests do; SQLite: a
file), a fresh database with 3,000 demo cases, one console (headless, real timers: ticks
every second, live updates as in production) and simulated agents in their own processes
(benchmarks.team_agent: claim, first reply, note, status, wizard outcome): 20 on
PostgreSQL, 3 on SQLite (four consoles on one file).

Measured on the console, first idle (no agents), then for LOAD_SECONDS under load:
- change visible: another desk (a thread of this process with its own connections; the
  console hears of it only through its watcher, as of any other desk) assigns one of the
  cases at the top of the queue; the time from that commit to the row on screen showing
  the new assignee, painted;
- cursor keys (wall, key to painted) and ticks (the event loop thread's CPU), whose
  medians under load are divided by the idle ones.
Afterwards, counted in the database: every note an agent saw committed is there once
(lost writes), and no case was won by two agents' claims (double claims).

Prints one JSON object by backend.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.dataset import SIZE
from benchmarks.drive import press, settle

ROOT = Path(__file__).resolve().parent.parent
CASES = 3000
LOAD_SECONDS = float(os.environ.get("AFTERSALES_BENCH_TEAM_SECONDS", "60"))
AGENTS = {"postgresql": 20, "sqlite": 3}
WATCHER = "班长"
MARKERS = ("标记甲", "标记乙")  # the measuring desk flips a case's assignee between these
TOP = 12  # cases at the top of the queue the measuring desk changes and no agent touches
VISIBLE_TIMEOUT = 5.0


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _pools(db, policy) -> tuple[list[int], list[int], list[int]]:
    """(top cases for the measuring desk, unassigned cases to claim, cases to work on)."""
    from console.clock import SystemClock
    from console.queue import QueueFilter, QueueReader

    rows = QueueReader(db, WATCHER).page(QueueFilter(), SystemClock().now(), 0, 1200)
    top = [r.id for r in rows[:TOP]]
    rest = rows[TOP + 30:]  # a margin: a case worked on may rise a little
    claim = [r.id for r in rest if r.assignee is None][:150]
    work = [r.id for r in rest if r.id not in set(claim)][:600]
    return top, claim, work


def _seed(url: str) -> None:
    from console.cases import Cases
    from console.clock import SystemClock
    from console.db import open_database
    from console.demo import populate
    from console.sla import load_policy

    db = open_database(url)
    policy = load_policy()
    populate(db, policy, SystemClock().now(), CASES, open_ratio=0.9, seed=11, with_events=False)
    cases = Cases(db, policy, SystemClock())
    for name in (WATCHER, *MARKERS):
        cases.ensure_agent(name)
    db.dispose()


class Marker:
    """The other desk: assigns a top case to a marker name; returns when it committed."""

    def __init__(self, url: str) -> None:
        from console.cases import Cases
        from console.clock import SystemClock
        from console.db import Database
        from console.sla import load_policy

        self.db = Database(url)
        self.cases = Cases(self.db, load_policy(), SystemClock())

    def assign(self, case_id: int, name: str) -> float:
        self.cases.assign(case_id, name, WATCHER)
        return time.monotonic()


def _row_shows(table, case_id: int, name: str) -> bool:
    top = int(table.scroll_y)
    for i in range(top, top + table.size.height):
        row = table.row_at(i)
        if row is not None and row.id == case_id:
            return row.assignee == name
    return False


async def _keys_and_tick(pilot, app, table, out: dict) -> None:
    for key in ("down", "down", "up", "up"):
        out["cursor"].append(await press(pilot, key))
        await asyncio.sleep(0.04)
    started = time.thread_time()
    app.tick()
    await settle(pilot)
    out["tick"].append(time.thread_time() - started)


async def _console(url: str, top: list[int], go) -> dict:
    from console.app import AftersalesApp
    from console.clock import SystemClock
    from console.db import open_database
    from console.services import build_services
    from console.sla import load_policy
    from console.widgets.case_table import CaseTable

    db = open_database(url)
    app = AftersalesApp(build_services(db, load_policy(), SystemClock(), agent=WATCHER), WATCHER,
                        tick_seconds=1, offer_demo=False)
    idle = {"cursor": [], "tick": []}
    loaded = {"cursor": [], "tick": [], "visible": []}
    missed = 0
    marker = Marker(url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await asyncio.sleep(1.5)  # start-up work (shift, warm-ups) out of the way
        table = app.screen.query_one(CaseTable)
        for _ in range(15):
            await _keys_and_tick(pilot, app, table, idle)
            await asyncio.sleep(0.2)

        go()
        end = time.monotonic() + LOAD_SECONDS
        n = 0
        while time.monotonic() < end:
            case_id, name = top[n % len(top)], MARKERS[(n // len(top)) % 2 ^ 1]
            n += 1
            committed = await asyncio.to_thread(marker.assign, case_id, name)
            while not _row_shows(table, case_id, name):
                if time.monotonic() - committed > VISIBLE_TIMEOUT:
                    missed += 1
                    break
                await asyncio.sleep(0.002)
            else:
                await settle(pilot)  # painted
                loaded["visible"].append(time.monotonic() - committed)
            await _keys_and_tick(pilot, app, table, loaded)
            await asyncio.sleep(0.3)
    marker.db.dispose()
    db.dispose()
    return {"idle": idle, "loaded": loaded, "missed": missed, "changes": n}


def _check(url: str, results: list[dict]) -> dict:
    """Lost writes and double claims, counted in the database after the run."""
    from sqlmodel import select

    from console.db import open_database
    from console.models import Case, Note

    db = open_database(url, migrate=False)
    written = [body for r in results for body in r["notes"]]
    with db.read() as s:
        found = Counter(s.exec(select(Note.body).where(Note.body.like("压测 %"))).all())
        winners: dict[int, set[str]] = {}
        for r in results:
            for case_id in r["won"]:
                winners.setdefault(case_id, set()).add(r["name"])
        assignee = dict(s.exec(select(Case.id, Case.assignee).where(Case.id.in_(list(winners)))).all()) \
            if winners else {}
    db.dispose()
    lost = sum(1 for body in written if found[body] == 0)
    twice = sum(1 for body in written if found[body] > 1)
    double = sum(1 for names in winners.values() if len(names) > 1)
    # A case won once is still that agent's (no later claim took it over).
    taken = sum(1 for cid, names in winners.items() if len(names) == 1 and assignee.get(cid) not in names)
    done: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for r in results:
        done.update(r["done"])
        errors.update(r["errors"])
    return {"notes": len(written), "lost": lost + twice, "double_claims": double + taken,
            "claims_won": sum(len(r["won"]) for r in results), "done": done, "errors": errors}


def run_backend(kind: str, url: str) -> dict:
    from console.db import open_database
    from console.sla import load_policy

    _log(f"bench team: {kind}: seeding {CASES:,} cases")
    _seed(url)
    db = open_database(url, migrate=False)
    top, claim, work = _pools(db, load_policy())
    db.dispose()
    procs: list[subprocess.Popen] = []
    folder = Path(tempfile.mkdtemp(prefix="aftersales-team-go-"))
    go_file = folder / "go"
    _log(f"bench team: {kind}: starting {AGENTS[kind]} agents")
    for i in range(AGENTS[kind]):
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "benchmarks.team_agent", url, f"压测{i:02d}", str(LOAD_SECONDS),
             str(i), ",".join(map(str, claim)), ",".join(map(str, work)), str(go_file)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for p in procs:  # every agent imported and connected before anything is measured
        if p.stdout.readline().strip() != "ready":
            p.wait()
            raise SystemExit(f"bench team: an agent did not start: {p.stderr.read()[-2000:]}")

    def go() -> None:
        _log(f"bench team: {kind}: {AGENTS[kind]} agents at work for {LOAD_SECONDS:.0f} s")
        go_file.touch()

    seen = asyncio.run(_console(url, top, go))
    results = []
    for p in procs:
        out, err = p.communicate(timeout=LOAD_SECONDS + 120)
        if p.returncode != 0:
            raise SystemExit(f"bench team: an agent failed ({p.returncode}): {err[-2000:]}")
        results.append(json.loads(out))
    shutil.rmtree(folder, ignore_errors=True)
    counted = _check(url, results)
    return {"console": seen, **counted, "agents": AGENTS[kind], "seconds": LOAD_SECONDS}


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.pgserver import PgServer, PgUnavailable, find_bindir

    out: dict = {}
    bindir = find_bindir()
    if bindir is None:
        out["postgresql"] = {"skipped": "no PostgreSQL binaries (initdb, pg_ctl)"}
    else:
        server = PgServer(bindir)
        try:
            server.start()
            server.execute('CREATE DATABASE "bench_team"')
            out["postgresql"] = run_backend("postgresql", server.url("bench_team"))
        except PgUnavailable as exc:
            out["postgresql"] = {"skipped": f"the server did not start: {exc}"}
        finally:
            server.stop()
    with tempfile.TemporaryDirectory(prefix="aftersales-team-") as folder:
        out["sqlite"] = run_backend("sqlite", f"sqlite:///{Path(folder) / 'team.db'}")
    json.dump(out, sys.stdout, ensure_ascii=False)


def summary(s: dict) -> dict:
    """Medians and percentiles of one backend's raw samples (for benchmarks.run)."""
    c = s["console"]
    vis = sorted(c["loaded"]["visible"])

    def pct(q: float) -> float:
        return vis[min(len(vis) - 1, int(q * len(vis)))] * 1000 if vis else float("nan")

    def med(xs: list[float]) -> float:
        return statistics.median(xs) * 1000

    return {
        "visible_p50": pct(0.5), "visible_p99": pct(0.99), "visible_n": len(vis), "missed": c["missed"],
        "cursor_idle": med(c["idle"]["cursor"]), "cursor_loaded": med(c["loaded"]["cursor"]),
        "tick_idle": med(c["idle"]["tick"]), "tick_loaded": med(c["loaded"]["tick"]),
    }


if __name__ == "__main__":
    main()

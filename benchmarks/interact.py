"""Child process: time key presses and ticks on the queue of the 1M-case database.

Run by benchmarks.run as `python -m benchmarks.interact`; prints one JSON object of raw
samples (seconds) on stdout. A fresh process keeps the parent's build and the other
measurements out of these figures.

Key figures are wall time from posting the key event to the end of the repaint it caused:
binding dispatch, the handler (with its database queries), follow-up messages, layout
and rendering every changed line (see benchmarks.drive). Tick figures are process CPU.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import timedelta

from benchmarks.bare import BareApp, BareTable
from benchmarks.dataset import AGENT, DB_PATH, SIZE, build_now, load_marker
from benchmarks.drive import press, press_all, settle


def _check(ok: bool, what: str) -> None:
    # A key that silently went nowhere would make a wonderfully fast benchmark.
    if not ok:
        raise SystemExit(f"bench harness: {what}")


ROUNDS = 3  # console, bare table, console, ...: a machine busier at one moment hits both


async def measure() -> dict[str, list[float]]:
    from console.clock import FrozenClock
    from console.db import open_database, resolve_url

    marker = load_marker()
    _check(marker is not None, "benchmark database missing")
    # The clock stands where the database was built, so the deadlines are spread from
    # overdue to days ahead and the o/d filters select realistic slices.
    clock = FrozenClock(build_now(marker) + timedelta(minutes=1))
    db = open_database(resolve_url(str(DB_PATH)))
    out: dict[str, list[float]] = {}
    for _ in range(ROUNDS):
        for name, samples in (await _console_round(db, clock)).items():
            out.setdefault(name, []).extend(samples)
        for name, samples in (await _bare_round(db, clock)).items():
            out.setdefault(f"bare_{name}", []).extend(samples)
    db.dispose()
    return out


async def _console_round(db, clock) -> dict[str, list[float]]:
    from console.app import AftersalesApp
    from console.services import build_services
    from console.sla import load_policy
    from console.widgets.case_table import CaseTable

    # tick_seconds=0: no interval ticks; only the ticks measured below run.
    app = AftersalesApp(build_services(db, load_policy(), clock, agent=AGENT), AGENT, tick_seconds=0,
                        offer_demo=False)
    out: dict[str, list[float]] = {}
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(CaseTable)
        _check(table.total > 200_000, f"queue shows {table.total} cases")

        # What `settle` itself costs with nothing to do: included in every figure below.
        overhead = []
        for _ in range(50):
            started = time.perf_counter()
            await settle(pilot)
            overhead.append(time.perf_counter() - started)
        out["harness"] = overhead

        screen = app.screen
        out.update(await _keys(pilot, table, lambda: screen.filter))
        # Ticks: a full screen of running countdowns, the clock one second on each time.
        # CPU of the whole process (time.process_time) for the tick and its repaint.
        await press_all(pilot, ["c", "home"])
        _check(not screen.filter.active and table.cursor_row == 0, "queue not reset")
        ticks = []
        for _ in range(20):  # over three rounds a full minute: the row cache turns over
            clock.advance(1)
            started = time.process_time()
            app.tick()
            await settle(pilot)
            ticks.append(time.process_time() - started)
        out["tick"] = ticks

        # The header counts (three COUNTs) run in a worker thread every 5 s; their CPU is
        # not in the tick figure, so measure one refresh here for the report.
        reader = app.reader
        started = time.process_time()
        reader.counts(clock.now())
        out["counts"] = [time.process_time() - started]
    return out


async def _bare_round(db, clock) -> dict[str, list[float]]:
    """The floor, in the same process and harness: the bare Line-API table over the same
    reader (benchmarks.bare), the same keys."""
    from console.queue import QueueReader

    bare = BareApp(QueueReader(db, AGENT), clock.now(), rows=3000)
    async with bare.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = bare.query_one(BareTable)
        _check(table.total > 200_000, f"bare table shows {table.total} cases")
        out = await _keys(pilot, table, lambda: bare.filter)
        # A tick's floor: the same screen of rows repainted whole, process CPU.
        await press_all(pilot, ["escape", "home"])
        ticks = []
        for _ in range(20):
            started = time.process_time()
            table.refresh()
            await settle(pilot)
            ticks.append(time.process_time() - started)
        out["tick"] = ticks
    return out


async def _keys(pilot, table, current_filter) -> dict[str, list[float]]:
    """Cursor, filter and search keys on `table`; raw seconds per key. `current_filter()`:
    the filter the app holds now, to check that each key did something."""
    out: dict[str, list[float]] = {}
    # Cursor: 150 × down and 50 × pagedown from the top, about 1,900 rows deep, so
    # pages of 100 rows are fetched along the way. The 40 ms gap between keys is key
    # repeat speed and lets the frame timer go idle, as it would for a person.
    cursor = []
    for i in range(200):
        key = "pagedown" if i % 4 == 3 else "down"
        before = table.cursor_row
        cursor.append(await press(pilot, key))
        _check(table.cursor_row > before, f"{key} did not move the cursor")
        await asyncio.sleep(0.04)
    out["cursor"] = cursor

    # Jumping to the far end of the open queue (informational: an OFFSET of ~250k).
    jumps = []
    for key in ["end", "home"] * 3:
        jumps.append(await press(pilot, key))
        await asyncio.sleep(0.04)
    out["jump"] = jumps

    # Filters: each of m, u, o, d switched on and off again, five rounds.
    filters = []
    for _ in range(5):
        for key in "mmuuoodd":
            before = current_filter()
            filters.append(await press(pilot, key))
            _check(current_filter() != before, f"{key} did not change the filter")
            await asyncio.sleep(0.04)
    # Stacked filters too: mine + urgent + overdue, then off in another order.
    for key in "muoomu":
        filters.append(await press(pilot, key))
        await asyncio.sleep(0.04)
    out["filter"] = filters

    # Search: "/" opens the box (not timed), then each typed character narrows the
    # queue. Buyer nick prefixes (Chinese and Latin) and order-number prefixes, twice
    # over: single figures swing by ±10 ms on this kind of machine.
    search = []
    for text in ["小鱼儿", "甜甜圈12", "3712", "2024", "momo_1", "tb12"] * 2:
        await press(pilot, "/")
        for ch in text:
            search.append(await press(pilot, ch))
            await asyncio.sleep(0.04)
        _check(current_filter().search == text, f"search box holds {current_filter().search!r}")
        await press(pilot, "escape")  # clears the search (not timed)
    out["search"] = search
    return out


def main() -> None:
    result = asyncio.run(measure())
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()

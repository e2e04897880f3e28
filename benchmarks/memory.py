"""Child process: a working session on the 1M-case queue, then the peak resident memory.

Run by benchmarks.run as `python -m benchmarks.memory`; prints one JSON object.
The console runs as shipped (system clock, one-second tick, header counts worker).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
from pathlib import Path

from benchmarks.dataset import AGENT, DB_PATH, SIZE
from benchmarks.drive import press_all, settle


async def session() -> dict:
    from console.app import AftersalesApp
    from console.db import open_database, resolve_url
    from console.services import build_services
    from console.sla import load_policy
    from console.widgets.case_table import CaseTable

    db = open_database(resolve_url(str(DB_PATH)))
    app = AftersalesApp(build_services(db, load_policy(), agent=AGENT), AGENT, offer_demo=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(CaseTable)
        # Scroll a few thousand rows: the table fetches and caches a page per 100 rows.
        await press_all(pilot, ["pagedown"] * 100 + ["down"] * 100)
        deepest = table.cursor_row
        await press_all(pilot, ["end", "pageup", "pageup", "home"])
        # Every quick filter on and off, then two stacked.
        await press_all(pilot, list("mmuuoodd") + list("mu") + ["pagedown"] * 20 + list("umc"))
        # Searches by buyer nick and by order number.
        found = []
        for text in ["小鱼儿", "3712", "momo_1"]:
            await press_all(pilot, ["slash", *text, "enter"])
            found.append(table.total)
            await press_all(pilot, ["pagedown"] * 5)
            await press_all(pilot, ["c"])
        # Let a few real ticks and a header-counts refresh (every 5 s) happen too.
        await asyncio.sleep(6)
        await settle(pilot)
    db.dispose()
    return {**peak_memory_mb(), "deepest_row": deepest, "search_rows": found}


def peak_memory_mb() -> dict[str, float]:
    """Peak resident memory of this process, MB.

    ru_maxrss (KiB on Linux) also counts the peak of the process that spawned us, as
    Linux carries it across fork and exec; VmHWM is this program's own address space
    only. The bench spawns from a small process, so the two agree there; VmHWM is the
    figure, where /proc has it.
    """
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        status = Path("/proc/self/status").read_text()
        hwm = int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError, ValueError):
        hwm = maxrss
    return {"peak_mb": hwm, "ru_maxrss_mb": maxrss}


def main() -> None:
    json.dump(asyncio.run(session()), sys.stdout)


if __name__ == "__main__":
    main()

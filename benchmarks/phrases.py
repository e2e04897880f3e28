"""Child process: reply search per keystroke over 5,000 replies, and opening the picker.

Run by benchmarks.run as `python -m benchmarks.phrases`; prints one JSON object.
Search: console.phrases.synth's measurement (a synthetic library remixed from the shipped
replies, realistic queries typed key by key, best of 3 per keystroke). Opening: Ctrl+R on
the queue of the 1M-case database to the picker painted, after the app has warmed the library
after start as it does for agents (timed with the same key-to-paint harness as the queue keys).
"""

from __future__ import annotations

import asyncio
import json
import sys

from benchmarks.dataset import AGENT, DB_PATH, SIZE
from benchmarks.drive import press, settle


async def open_times(runs: int = 10) -> list[float]:
    from console.app import AftersalesApp
    from console.db import open_database, resolve_url
    from console.screens.phrases import PhrasePicker
    from console.services import build_services
    from console.sla import load_policy

    app = AftersalesApp(build_services(open_database(resolve_url(str(DB_PATH))), load_policy(), agent=AGENT),
                        AGENT, tick_seconds=0, offer_demo=False)
    times = []
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.sleep(0.6)  # the library warm-up starts 0.3 s after the first frame
        await app.workers.wait_for_complete()
        await settle(pilot)
        for _ in range(runs):
            times.append(await press(pilot, "ctrl+r"))
            if not isinstance(app.screen, PhrasePicker):
                raise SystemExit("bench harness: Ctrl+R did not open the picker")
            await press(pilot, "escape")
            await asyncio.sleep(0.05)
    return times


def main() -> int:
    from console.phrases.synth import measure

    search = measure(5000)
    opened = asyncio.run(open_times())
    print(json.dumps({"search": search, "open": opened}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Helpers for Pilot tests: build the app on a temp database, wait for its workers."""

from __future__ import annotations

from console.app import AftersalesApp
from console.services import build_services


def make_app(db, policy, clock, agent="小王", offer_demo=False, home=None, cls=AftersalesApp,
             **kwargs) -> AftersalesApp:
    """The app as `aftersales` builds it, on the test's database, policy, frozen clock and
    shop folder (default: the per-user one, a temp folder under the tests)."""
    services = build_services(db, policy, clock, home, agent=agent or "")
    # tick_seconds=0: no real interval; tests advance the clock and call app.tick().
    return cls(services, agent, tick_seconds=0, offer_demo=offer_demo, **kwargs)


async def settle(pilot) -> None:
    """Let writes and count refreshes finish and the screen repaint. A worker's callback may
    start the next worker (copy, then record the copy), so wait until none is left."""
    for _ in range(10):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            break


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch if ch != " " else "space")

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


async def open_case_notes(pilot):
    """From the queue: open the case under the cursor and go into its notes pane; the box."""
    from textual.widgets import TextArea

    app = pilot.app
    await settle(pilot)
    await pilot.press("enter")  # open the case
    await settle(pilot)
    await pilot.press("n")  # into the notes pane
    await settle(pilot)
    area = app.screen.query_one("#notes-input", TextArea)
    assert area.has_focus
    return area


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


class UIThreadSQL:
    """Records every SQL statement run on the calling thread (the event loop's, in a Pilot
    test) while `armed`; the test asserts there were none. A statement's first words and
    the console frames that ran it say where to look."""

    def __init__(self, db) -> None:
        import threading

        self.db = db
        self.thread = threading.get_ident()
        self.armed = False
        self.seen: list[str] = []

    def _hook(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ARG002
        import threading
        import traceback

        if self.armed and threading.get_ident() == self.thread:
            frames = [f"{f.filename.rsplit('/console/', 1)[-1]}:{f.lineno} {f.name}"
                      for f in traceback.extract_stack() if "/console/" in f.filename]
            self.seen.append(" ".join(statement.split()[:6]) + "\n    " + "\n    ".join(frames[-6:]))

    def __enter__(self) -> UIThreadSQL:
        from sqlalchemy import event

        event.listen(self.db.engine, "before_cursor_execute", self._hook)
        return self

    def __exit__(self, *exc) -> None:
        from sqlalchemy import event

        event.remove(self.db.engine, "before_cursor_execute", self._hook)

    def report(self) -> str:
        return f"{len(self.seen)} statement(s) on the UI thread:\n" + "\n".join(self.seen[:15])

"""Child process: start an app headless, note when its first screen has painted, exit.

    python -m benchmarks.paint console   # the console on the 1M-case database
    python -m benchmarks.paint bare      # a bare Textual app painting one Static

Prints `time.monotonic()` at the end of the first paint (CLOCK_MONOTONIC is system-wide
on Linux, so the parent can subtract its own reading taken just before the spawn).

Both modes import the same modules first, so the ratio isolates what the console does
at start (policy, database, queue queries, composing and painting the queue) from
interpreter and import time, which the bare app pays too.
"""

from __future__ import annotations

import sys
import time

# What `aftersales` has imported by the time its queue is on screen (console.cli imports
# the rest lazily: db and sla first, then app, which pushes the queue screen).
import rich.text  # noqa: F401
import sqlalchemy  # noqa: F401
import sqlmodel  # noqa: F401
import textual.app
import textual.screen
import textual.widgets

import console.app
import console.cli
import console.db
import console.screens.queue
import console.services
import console.sla
import console.widgets.case_table
from benchmarks.dataset import AGENT, DB_PATH, SIZE


class BareApp(textual.app.App[None]):
    def compose(self):
        yield textual.widgets.Static("售后工作台")


def watch_first_paint(app: textual.app.App, target: type, rows) -> dict:
    """Record the end of the first paint of a `target` screen, then exit the app.

    In headless mode Textual still lays out and renders every line of the screen; only
    the write to the terminal is skipped, and `post_display_hook` runs right after that.
    Set on the instance, so the app class (and its CSS path) stays the real one.
    """
    seen: dict = {}

    def hook() -> None:
        if not seen and isinstance(app.screen, target):
            seen["at"] = time.monotonic()
            seen["rows"] = rows(app.screen)
            app.exit()

    app.post_display_hook = hook
    return seen


def main() -> None:
    mode = sys.argv[1]
    if mode == "bare":
        app = BareApp()
        seen = watch_first_paint(app, textual.screen.Screen, lambda screen: 0)
    else:
        # The same steps as console.cli.main, with the benchmark database.
        policy = console.sla.load_policy(console.sla.DEFAULT_POLICY)
        db = console.db.open_database(console.db.resolve_url(str(DB_PATH)))
        app = console.app.AftersalesApp(console.services.build_services(db, policy, agent=AGENT), AGENT,
                                         offer_demo=False)
        # The row count proves the frame was the queue of the big database.
        seen = watch_first_paint(
            app, console.screens.queue.QueueScreen,
            lambda screen: screen.query_one(console.widgets.case_table.CaseTable).total,
        )
    app.run(headless=True, size=SIZE)
    if not seen:
        raise SystemExit("the app exited without painting")
    print(seen["at"], seen["rows"], flush=True)


if __name__ == "__main__":
    main()

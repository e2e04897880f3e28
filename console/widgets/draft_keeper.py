"""One autosaved draft: what an agent is typing at one place (the notes of a case, the
new-case form, the wizard of a case, the handover note), kept in the database so that Esc,
a crash or a closed terminal loses nothing.

Every change goes at once into the keystroke journal (console/journal.py: one appended line
in the shop folder, which survives kill -9) and is saved to the database in a thread worker
a moment after the last change; at once (an app-level write that outlives the screen) when
the agent leaves or the screen closes (`close`). Only when the console itself closes, or is
told to end (SIGHUP, SIGTERM: `AftersalesApp` flushes every keeper), is a change written
synchronously. A change's journal line is dropped once the database has it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

from textual.dom import DOMNode
from textual.timer import Timer

from console.db import StoreError

AUTOSAVE_SECONDS = 0.6

# One rising number for every change of every keeper: the journal orders by it, and a keeper
# never writes an older change over a newer one.
_changes = itertools.count(1)


class DraftKeeper:
    def __init__(self, owner: DOMNode, place: Callable[[], str], delay: float = AUTOSAVE_SECONDS) -> None:
        self._owner = owner
        self._place = place
        self._delay = delay
        self._timer: Timer | None = None
        self._body = ""
        self._app = None
        self._seq = 0  # the latest change
        self._written = 0  # the latest change in the database (set from worker threads)
        self._lock = threading.Lock()  # one database write at a time, in order

    @property
    def pending(self) -> bool:
        """A save is waiting for the quiet moment after typing."""
        return self._timer is not None

    @property
    def unsaved(self) -> bool:
        """Changes the database does not have yet (waiting, or being written)."""
        return self._seq > self._written

    def changed(self, body: str) -> None:
        """The text changed: keep `body` (in the journal at once) and save it after a moment of quiet."""
        self._body = body
        self._note(body)
        self._stop()
        self._timer = self._owner.set_timer(self._delay, self._save_now)
        presence = getattr(self._app, "presence", None)
        if presence is not None:
            presence.typed()  # the other desks see this agent typing here

    def leave(self, body: str | None = None) -> None:
        """The agent leaves the place: save what is there now, whatever happens to the screen."""
        if body is not None and body != self._body:
            self._body = body
            self._note(body)
        self._stop()
        self._write(self._body, self._seq)

    def forget(self) -> None:
        """The draft became a saved thing (a case, a note, an applied outcome): clear it."""
        self._stop()
        self._body = ""
        self._note("")
        self._write("", self._seq)

    def close(self) -> None:
        """The owner goes away (its screen is closed). While the console runs, a change still
        waiting for its quiet moment is handed to a worker now: closing a screen never waits
        on the database. While the console itself closes, it is written here, as `flush` does."""
        app = self._app
        if app is None or not self.unsaved:
            return
        if not app.is_running:
            self.flush()
        elif self._timer is not None:
            self._stop()
            self._write(self._body, self._seq)
        # Otherwise the change is already in a worker's hands (the autosave, `leave`, `forget`).

    def flush(self) -> bool | None:
        """Changes not yet in the database and going away (the screen closes, the console is
        told to end): write them now, here. True: written; False: it could not be (the journal
        still has it: the next start puts it back); None: nothing was unsaved."""
        if not self.unsaved or self._app is None:
            return None
        self._stop()
        try:
            self._save(self._app, self._app.agent, self._place(), self._body, self._seq)
        except StoreError:
            return False
        return True

    # ---- internals --------------------------------------------------------------------------

    def _note(self, body: str) -> None:
        """A change: numbered, journaled, and this keeper known to the app (for flushing)."""
        self._seq = next(_changes)
        if self._app is None:
            # Taken once while attached: a flush on the way out must not depend on the widget.
            self._app = self._owner.app
            keepers = getattr(self._app, "draft_keepers", None)
            if keepers is not None:
                keepers.add(self)
        journal = getattr(self._app, "journal", None)
        if journal is not None:
            journal.append(self._place(), body, self._app.now(), self._seq)

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _save_now(self) -> None:
        self._timer = None
        self._write(self._body, self._seq)

    def _save(self, app, agent: str, place: str, body: str, seq: int) -> None:
        """Write change `seq` unless a newer one is written already. Any thread."""
        with self._lock:
            if seq <= self._written:
                return
            app.services.notes.save_draft(agent, place, body)
            self._written = seq
        journal = getattr(app, "journal", None)
        if journal is not None:
            journal.saved(place, seq)

    def _write(self, body: str, seq: int) -> None:
        place = self._place()
        app = self._app or self._owner.app
        agent = app.agent

        def failed(message: str) -> None:
            app.notify(f"草稿没存上: {message}", markup=False, severity="warning")

        # The app's write, not the owner's worker: a save still runs when the screen has
        # closed. While the database server is out of reach it waits in the app's outbox (the
        # newest text of this place only) and is written once the console has reconnected;
        # the journal keeps the text meanwhile.
        app.write(lambda: self._save(app, agent, place, body, seq), failed=failed, key=f"draft:{place}",
                  quiet=True)

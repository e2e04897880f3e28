"""One autosaved draft: what an agent is typing at one place (the notes of a case, the
new-case form, the wizard of a case), kept in the database so that Esc, a crash or a closed
terminal loses nothing.

Saved in a thread worker a moment after the last change; at once (an app-level write that
outlives the screen) when the agent leaves; synchronously when the widget goes away with a
save still pending (the console closing).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import ClassVar

from textual.dom import DOMNode
from textual.timer import Timer

from console.db import StoreError
from console.notes import Notes

AUTOSAVE_SECONDS = 0.6


class DraftKeeper:
    # Every keeper alive, so an unexpected exception can save them all (flush_all).
    _alive: ClassVar[weakref.WeakSet[DraftKeeper]] = weakref.WeakSet()

    def __init__(self, owner: DOMNode, place: Callable[[], str], delay: float = AUTOSAVE_SECONDS) -> None:
        DraftKeeper._alive.add(self)
        self._owner = owner
        self._place = place
        self._delay = delay
        self._timer: Timer | None = None
        self._body = ""

    @property
    def pending(self) -> bool:
        return self._timer is not None

    def changed(self, body: str) -> None:
        """The text changed: keep `body` and save it after a moment of quiet."""
        self._body = body
        self._stop()
        self._timer = self._owner.set_timer(self._delay, self._save_now)

    def leave(self, body: str | None = None) -> None:
        """The agent leaves the place: save what is there now, whatever happens to the screen."""
        if body is not None:
            self._body = body
        self._stop()
        app, agent, place, body = self._owner.app, self._owner.app.agent, self._place(), self._body
        app.write(lambda: Notes(app.cases).save_draft(agent, place, body))

    def forget(self) -> None:
        """The draft became a saved thing (a case, a note, an applied outcome): clear it."""
        self._stop()
        self._body = ""
        self._write("")

    def flush(self) -> bool | None:
        """Going away with a save pending (the console is closing): write it now, here.
        True: written; False: it could not be; None: nothing was pending."""
        if self._timer is None:
            return None
        self._stop()
        try:
            Notes(self._owner.app.cases).save_draft(self._owner.app.agent, self._place(), self._body)
        except StoreError:
            return False
        return True

    @classmethod
    def flush_all(cls) -> tuple[int, int]:
        """Write every pending draft of the screens still on display, now, here (an
        unexpected exception is about to close the console): (saved, not saved)."""
        saved = lost = 0
        for keeper in list(cls._alive):
            if not keeper._owner.is_attached:
                continue
            try:
                result = keeper.flush()
            except Exception:  # noqa: BLE001 - one broken draft must not stop the others
                result = False
            saved += result is True
            lost += result is False
        return saved, lost

    # ---- internals --------------------------------------------------------------------------

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _save_now(self) -> None:
        self._timer = None
        self._write(self._body)

    def _write(self, body: str) -> None:
        owner, place = self._owner, self._place()
        app, agent = owner.app, owner.app.agent

        def save() -> None:
            try:
                Notes(app.cases).save_draft(agent, place, body)
            except StoreError as exc:
                app.call_from_thread(app.notify, f"草稿没存上: {exc.message}", markup=False, severity="warning")

        owner.run_worker(save, thread=True, exclusive=True, exit_on_error=False, group=f"draft:{place}")

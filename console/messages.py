"""Messages the app sends to every screen (Textual, not domain)."""

from __future__ import annotations

from textual.message import Message


class DataChanged(Message):
    """Someone committed to the database: this console (a write finished) or another one
    (the watcher saw it). `case_ids`: the cases that changed, when known; None: anything
    may have. Each screen decides what it reloads."""

    def __init__(self, case_ids: frozenset[int] | None = None) -> None:
        super().__init__()
        self.case_ids = case_ids

    def touches(self, case_id: int | None) -> bool:
        return self.case_ids is None or case_id in self.case_ids


class PresenceChanged(Message):
    """What this console knows of the other running consoles changed (who has which case
    open, who is typing; console/presence.py). Sent to every screen, separately from
    DataChanged: nothing needs reloading from the database for it."""

    def __init__(self, team) -> None:  # noqa: ANN001 - console.presence.Team
        super().__init__()
        self.team = team

"""Driving a running console from a benchmark, fast enough to time single key presses.

`Pilot.press` waits for the process to look idle with 20 ms sleeps, so timing it would
time those sleeps. Here a key event is posted straight to the app and `settle` waits
only for the work the key caused: it drains every message queue and, where a repaint is
pending, paints at once instead of waiting for the next 60 fps frame tick. (A person
typing leaves more than a frame between keys, and then the frame timer fires as soon as
something is dirty, so the painted frame is what they would see, minus nothing.)

This leans on a few private Textual names (`_wait_for_screen`, `_on_timer_update`, the
dirty flags); they are the same ones `Pilot.pause` itself uses.
"""

from __future__ import annotations

import unicodedata
from time import perf_counter

from textual import events
from textual.app import App
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.pilot import Pilot


def key_event(key: str) -> events.Key:
    """The Key event a terminal would send for `key` (same rules as `Pilot.press`)."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


def _repaint_pending(app: App) -> bool:
    screen = app.screen
    return bool(
        screen._dirty_widgets
        or screen._layout_required
        or screen._repaint_required
        or screen._scroll_required
        or screen._recompose_required
    )


def _queued(app: App) -> bool:
    return any(not node._message_queue.empty()
               for node in (app, *app.screen.walk_children(with_self=True)))


async def settle(pilot: Pilot) -> None:
    """Return once every message the last input caused is handled and painted."""
    app = pilot.app
    while True:
        # Each round lets every widget finish what is already queued for it.
        await pilot._wait_for_screen()
        if _repaint_pending(app):
            app.screen._on_timer_update()  # the frame tick's work: layout + paint
            continue
        if _queued(app):  # something posted a follow-up message during the round
            continue
        return


async def press(pilot: Pilot, key: str) -> float:
    """Press `key`; wall seconds from the key event to its effect being painted."""
    app = pilot.app
    event = key_event(key)
    event.set_sender(app)
    started = perf_counter()
    app.post_message(event)
    await settle(pilot)
    return perf_counter() - started


async def press_all(pilot: Pilot, keys: str | list[str]) -> None:
    """Press keys without timing them (setting up the next measurement)."""
    for key in keys:
        await press(pilot, key)

"""Driving a running console from a benchmark, fast enough to time single key presses.

`Pilot.press` waits for the process to look idle with 20 ms sleeps, so timing it would
time those sleeps. Here a key event is posted straight to the app and `settle` waits
only for the work the key caused: it drains every message queue and, where a repaint is
pending, paints at once instead of waiting for the next 60 fps frame tick. (A person
typing leaves more than a frame between keys, and then the frame timer fires as soon as
something is dirty, so the painted frame is what they would see, minus nothing.)

This leans on a few private Textual names (`_on_timer_update`, the dirty flags, each
widget's message queue); they are the ones `Pilot.pause` itself uses.
"""

from __future__ import annotations

import asyncio
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


def _reading(app: App) -> bool:
    # A read in a worker hands its result to the screen before it counts as finished
    # (`call_from_thread` waits), so no running reader means every result is in.
    return any(w.group == "reads" and not w.is_finished for w in app.workers)


def _queued(app: App) -> bool:
    return any(not node._message_queue.empty()
               for node in (app, *app.screen.walk_children(with_self=True)))


async def settle(pilot: Pilot) -> None:
    """Return once every message the last input caused is handled, every database read it
    started has arrived, and all of it is painted.

    The event loop is given a turn at a time until no widget has a message waiting, no
    read is under way and nothing needs painting, three turns running (a handler that
    posts a follow-up does so within its turn). `Pilot._wait_for_screen` would do it by
    posting a callback to every widget on the screen and awaiting them all, a cost that
    grows with the number of widgets and that no agent's key ever pays."""
    app = pilot.app
    quiet = 0
    while quiet < 3:
        await asyncio.sleep(0)
        if _reading(app):
            quiet = 0
            await asyncio.sleep(0.0002)
        elif _repaint_pending(app):
            quiet = 0
            app.screen._on_timer_update()  # the frame tick's work: layout + paint
        elif _queued(app):
            quiet = 0
        else:
            quiet += 1


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

"""Side panels (the case's notes pane, the wizard's hints) that give way on narrow screens.

The app sets a width class on every screen (`AftersalesApp.HORIZONTAL_BREAKPOINTS`); the
stylesheet hides a side panel below its width unless the agent asked for it (`-shown`),
and hides it at any width when the agent put it away (`-hidden`). One key per screen
toggles it; `panel.display` is what the agent sees now, whichever rule decided it.
"""

from __future__ import annotations

from textual.widget import Widget


def show_panel(panel: Widget) -> None:
    panel.remove_class("-hidden")
    panel.add_class("-shown")


def hide_panel(panel: Widget) -> None:
    panel.remove_class("-shown")
    panel.add_class("-hidden")


def toggle_panel(panel: Widget) -> bool:
    """Hide the panel if it is on screen, else show it; True when it is now shown."""
    if panel.display:
        hide_panel(panel)
        return False
    show_panel(panel)
    return True

"""Named placeholders such as `{order_no}` in reply text, and filling them from a case.

A value that is missing never raises: it becomes a visible 【待填:订单号】 marker, so the
agent sees what to type before sending instead of a blank or a crash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from console.phrases.model import PLACEHOLDERS

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
MARKER = "【待填:{}】"
MARKER_RE = re.compile(r"【待填:[^】]*】")


def placeholders_in(text: str) -> list[str]:
    """Placeholder names in order of first appearance, without repeats."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def unknown_placeholders(text: str) -> list[str]:
    return [name for name in placeholders_in(text) if name not in PLACEHOLDERS]


def label(name: str) -> str:
    return PLACEHOLDERS.get(name, name)


def _present(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def fill(text: str, values: Mapping[str, Any] | None = None) -> str:
    """Replace each `{name}` by `values[name]`; a missing or empty value gives a marker.

    One pass over the text, so a value that itself contains `{...}` is left as typed.
    """
    values = values or {}

    def replace(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return str(value).strip() if _present(value) else MARKER.format(label(match.group(1)))

    return PLACEHOLDER.sub(replace, text)


def missing_values(text: str, values: Mapping[str, Any] | None = None) -> list[str]:
    """Placeholder names in `text` that `values` cannot fill (for a "还有 N 处待填" hint)."""
    values = values or {}
    return [name for name in placeholders_in(text) if not _present(values.get(name))]


def has_markers(text: str) -> bool:
    """True while a filled text still contains a 【待填:…】 marker (the agent must edit it)."""
    return MARKER_RE.search(text) is not None

"""Named placeholders such as `{order_no}` in reply text, and filling them from a case.

A value that is missing never raises: it becomes a visible 【待填:订单号】 marker, so the
agent sees what to type before sending instead of a blank or a crash.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
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


# The clock kind of a promise made to the buyer (sla.toml [clocks.buyer_promise]).
PROMISE_KIND = "buyer_promise"


def clock_values(deadlines: Iterable[Any], policy: Any) -> dict[str, str]:
    """`promise_time` and `platform_deadline` from a case's clocks, each only from its own source.

    `deadlines` are the case's clock rows (kind, state, due_at); `policy` is the sla Policy
    (its `clocks` say which kinds are the platform's, its `timezone` how to show a time).
    promise_time: the nearest running promise to the buyer. platform_deadline: the nearest
    running clock whose kind is a platform clock in the policy (refund auto-agree, unpaid
    close ...). A shop clock (first response, solution time) fills neither, and nothing here
    fills `delivery_estimate`: only the courier knows that, so the agent types it.
    """
    running = sorted((d for d in deadlines if d.state == "running" and d.due_at is not None),
                     key=lambda d: d.due_at)
    values: dict[str, str] = {}
    promise = next((d for d in running if d.kind == PROMISE_KIND), None)
    if promise is not None:
        values["promise_time"] = shop_time_text(promise.due_at, policy.timezone)
    platform = next((d for d in running if _is_platform(d.kind, policy)), None)
    if platform is not None:
        values["platform_deadline"] = shop_time_text(platform.due_at, policy.timezone)
    return values


def _is_platform(kind: str, policy: Any) -> bool:
    rule = policy.clocks.get(kind)
    return rule is not None and rule.clock == "platform"


def shop_time_text(moment: datetime, zone: tzinfo) -> str:
    """A due time as a buyer reads it, in the shop's zone: `11月25日 18:30`."""
    local = moment.astimezone(zone)
    return f"{local.month}月{local.day}日 {local:%H:%M}"

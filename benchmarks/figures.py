"""Child process: the supervisor's figures on the 1,000,000-case database with its history.

Run by benchmarks.run as `python -m benchmarks.figures`; prints one JSON object: the seconds
to compute every figure (value, daily series, ranks) for the last 30 shop days, for the team
and for one agent, each the median of a few runs after one warm-up (the first read of a cold
file is the disk's, not the figures'), plus the first run's; and one agent's right after the team's (reusing the rows read).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import timedelta

from benchmarks.dataset import AGENT, DB_PATH, build_now, load_marker

RUNS = 5


def main() -> int:
    from console.clock import FrozenClock
    from console.db import open_database, resolve_url
    from console.metrics import Metrics, Scope
    from console.sla import load_policy

    marker = load_marker()
    if marker is None:
        raise SystemExit("bench harness: build the database first (python -m benchmarks.dataset)")
    now = build_now(marker)
    policy = load_policy()
    metrics = Metrics(open_database(resolve_url(str(DB_PATH))), policy, FrozenClock(now))
    today = now.astimezone(policy.timezone).date()
    out: dict[str, object] = {}
    for name, agent in (("team", None), ("agent", AGENT)):
        scope = Scope(today - timedelta(days=29), today, agent=agent)
        times, per = [], {}
        for _ in range(RUNS + 1):
            started = time.perf_counter()
            results = metrics.compute_all(scope, fresh=True)  # read the database every time
            times.append(time.perf_counter() - started)
        for fig in metrics.figures():  # where the time goes, one figure at a time
            started = time.perf_counter()
            metrics.compute(fig.id, scope, fresh=True)
            per[fig.id] = round((time.perf_counter() - started) * 1000, 1)
        out[name] = {"first_s": times[0], "median_s": statistics.median(times[1:]), "per_figure_ms": per,
                     "cases": results[0].value("counted") if name == "team" else None}
    # The screen's common step: one agent right after the team's figures for the same days
    # (the rows read for the team are reused for the agent's value, series and rank).
    scope = Scope(today - timedelta(days=29), today)
    warm = []
    for _ in range(RUNS):
        metrics.compute_all(scope, fresh=True)
        started = time.perf_counter()
        metrics.compute_all(Scope(scope.start, scope.end, agent=AGENT))
        warm.append(time.perf_counter() - started)
    out["agent_after_team_s"] = statistics.median(warm)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make mutation`: how many of mutmut's mutants of the rule modules the tests kill.

Runs `mutmut run` from scratch (the modules and the tests are named in pyproject.toml
[tool.mutmut]) with at most MUTATION_CHILDREN (default 2) processes, then reads mutmut's
results and prints one line per module and last `mutation: K/N killed (P%)`.

Killed counts mutants a test failed on, and the few that ran into mutmut's time limit (an
endless loop is caught too). N is every mutant: survivors, mutants no selected test reaches
and any left unchecked count against the figure. A low figure still exits 0 (it reports, like
`make bench`); a run that could not be made at all exits 1.

    python -m benchmarks.mutation            run mutmut, then report
    python -m benchmarks.mutation --report   report the last run only
    python -m benchmarks.mutation --list     ... and name every mutant not killed
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
LOG = MUTANTS / "mutmut.log"

# mutmut's exit codes for a mutant (mutmut/stats.py), in the words used here.
KILLED = {1, 3}  # a test failed / pytest's internal error on the mutant
TIMEOUT = {24, -24, 152, 255, 36}  # ran into the CPU-time limit: counted as killed
SURVIVED = {0}
NO_TESTS = {5, 33}  # no selected test reaches the mutated function


def modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["mutmut"]["only_mutate"])


def run_mutmut(children: int) -> float:
    mutmut = Path(sys.executable).with_name("mutmut")
    if not mutmut.exists():
        raise SystemExit(f"mutation: {mutmut} is missing; `make mutation` installs it")
    shutil.rmtree(MUTANTS, ignore_errors=True)  # a fresh run: the figure is this checkout's
    MUTANTS.mkdir()
    print(f"mutmut: mutating {len(modules())} modules with {children} processes "
          f"(log: {LOG.relative_to(ROOT)}) …", flush=True)
    start = time.monotonic()
    with LOG.open("w", encoding="utf-8") as log:
        done = subprocess.run([str(mutmut), "run", "--max-children", str(children)], cwd=ROOT,
                              stdout=log, stderr=subprocess.STDOUT, check=False)
    elapsed = time.monotonic() - start
    if done.returncode != 0:
        tail = LOG.read_text(encoding="utf-8", errors="replace").replace("\r", "\n").splitlines()[-30:]
        print("\n".join(tail))
        raise SystemExit(f"mutation: mutmut run failed (exit {done.returncode}); see {LOG}")
    return elapsed


def results() -> dict[str, dict[str, int | None]]:
    """module path -> {mutant name: exit code or None (not checked)}."""
    found = {}
    for path in modules():
        meta = MUTANTS / f"{path}.meta"
        if not meta.exists():
            raise SystemExit(f"mutation: no results for {path}; run `make mutation` first")
        found[path] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    return found


def tally(codes: dict[str, int | None]) -> Counter:
    count: Counter = Counter()
    for code in codes.values():
        if code in KILLED or code in TIMEOUT:
            count["killed"] += 1
        elif code in SURVIVED:
            count["survived"] += 1
        elif code in NO_TESTS:
            count["no tests"] += 1
        elif code is None:
            count["not checked"] += 1
        else:
            count["other"] += 1
    return count


def percent(killed: int, total: int) -> str:
    return f"{100 * killed / total:.1f}%" if total else "n/a"


def report(found: dict[str, dict[str, int | None]], list_them: bool) -> None:
    width = max(len(p) for p in found)
    total: Counter = Counter()
    count_all = 0
    for path, codes in found.items():
        count = tally(codes)
        total += count
        count_all += len(codes)
        rest = ", ".join(f"{n} {what}" for what, n in sorted(count.items()) if what != "killed" and n)
        print(f"  {path:<{width}}  {count['killed']:>4}/{len(codes):<4} killed ({percent(count['killed'], len(codes))})"
              + (f"  [{rest}]" if rest else ""))
        if list_them:
            for name, code in sorted(codes.items()):
                if not (code in KILLED or code in TIMEOUT):
                    print(f"      {name} (exit {code})")
    print(f"mutation: {total['killed']}/{count_all} killed ({percent(total['killed'], count_all)})")


def main(argv: list[str]) -> int:
    if "--report" not in argv and "--list" not in argv:
        elapsed = run_mutmut(int(os.environ.get("MUTATION_CHILDREN", "2")))
        print(f"mutmut: done in {int(elapsed // 60)} min {int(elapsed % 60)} s")
    report(results(), "--list" in argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

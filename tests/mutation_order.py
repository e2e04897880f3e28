"""A pytest plugin for `make mutation` only (pyproject.toml [tool.mutmut] loads it with -p).

For each mutant mutmut runs the tests that reach the mutated function, fastest call first,
and stops at the first failure (-x). The pinned tests (tests/test_*_pinned.py) are the ones
written to kill mutants and they are cheap, while a store test's database costs more than its
call: so the pinned file of the mutated module runs first, then the other pinned files, then
the rest in mutmut's order. The order changes which test fails first, never whether one does.
"""

from __future__ import annotations

import os

# Module of the mutant (mutmut names it "console.sla.x_parse_duration__mutmut_3") -> its file.
PINNED_BY_MODULE = {
    "console.sla": "test_sla_pinned.py",
    "console.money": "test_rules_pinned.py",
    "console.sop.rules": "test_rules_pinned.py",
    "console.sop.registers": "test_rules_pinned.py",
    "console.intake": "test_intake_pinned.py",
    "console.case_clocks": "test_clock_rules_pinned.py",
    "console.case_close": "test_clock_rules_pinned.py",
    "console.workdays": "test_sop_manual.py",
}


def pytest_collection_modifyitems(items) -> None:  # noqa: ANN001
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    module = mutant.split(".x", 1)[0] if ".x" in mutant else ""
    own = PINNED_BY_MODULE.get(module)

    def rank(item) -> int:  # noqa: ANN001
        name = item.path.name
        return 0 if name == own else 1 if "_pinned" in name else 2

    items.sort(key=rank)

"""The domain modules must work without a screen: none may import Textual."""

import ast
import subprocess
import sys
from pathlib import Path

import console

DOMAIN = [
    "sla", "cases", "db", "models", "queue", "intake", "clock", "demo", "textsafe", "vocab", "cli",
    "sop", "phrases", "clipboard", "registers", "notes", "handover", "wizard", "money",
    "home", "identity", "reply_drafts", "log", "dbtools", "journal", "workdays", "case_edit", "case_clocks",
    "case_close", "case_followup", "replies", "services", "libraries", "reply_values", "team_library", "presence",
    "library_cli", "outbox", "imports", "imports.folder", "imports.planning", "imports.writing", "import_cli", "metrics",
    "metrics.engine", "metrics.calc", "metrics.model", "metrics.export", "report_cli", "figure_days", "figure_files", "widgets.spark", "demo_history", "demo_team", "demo_walk",
]
DOMAIN += ["import_picks"]  # the import screen's folder and paths (kept apart: fewer merge conflicts)


def test_domain_modules_do_not_import_textual():
    code = (
        "import sys\n"
        + "".join(f"import console.{m}\n" for m in DOMAIN)
        + "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"textual imported by a domain module: {out.stdout}"


def _imports(path: Path) -> set[str]:
    """Every `console.…` module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("console") and not node.level:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("console.")}
    return found


def test_no_two_modules_import_each_other_in_a_circle():
    """A circle of imports (even inside functions) means two modules each know the other's
    insides: screens reach each other through the app, services are built once."""
    root = Path(console.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(root.parent).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        graph[name] = _imports(path)
    circles = []
    for start in graph:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph.get(node, ()) & graph.keys():
                if nxt == start:
                    circles.append(" -> ".join([*path, nxt]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert not circles, "import circles:\n" + "\n".join(sorted(set(circles)))

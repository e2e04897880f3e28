"""The domain modules must work without a screen: none may import Textual."""

import subprocess
import sys

DOMAIN = [
    "sla", "cases", "db", "models", "queue", "intake", "clock", "demo", "textsafe", "vocab", "cli",
    "sop", "phrases", "clipboard", "registers", "notes", "handover", "wizard", "money",
    "home", "identity", "reply_drafts", "log", "dbtools", "journal", "workdays",
]


def test_domain_modules_do_not_import_textual():
    code = (
        "import sys\n"
        + "".join(f"import console.{m}\n" for m in DOMAIN)
        + "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"textual imported by a domain module: {out.stdout}"

"""Approve a draft in a reply file: rewrite its status line in place, every other byte unchanged.

Only files in a shop's own folder are rewritten; the shipped defaults inside the program are
refused (ApproveError). Drafts added from the picker live in the database instead
(console/reply_drafts.py).

Supervisors edit these files by hand and review them with `git diff`, so the rewrite
touches exactly one line (or inserts one, if the block had no status line).
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from console.home import is_shipped
from console.phrases.forbidden import Rule, default_rules
from console.phrases.library import load_library
from console.phrases.lint import lint_reply
from console.phrases.model import DEFAULT_LIBRARY, Problem, Reply

_SEPARATOR = re.compile(r"[:：]\s*")


class ApproveError(Exception):
    """Why the reply was not approved; `problems` holds lint findings, if any."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


def approve(
    reply_id: str,
    library_dir: Path | str = DEFAULT_LIBRARY,
    *,
    rules: Iterable[Rule] | None = None,
    force: bool = False,
) -> bool:
    """Set `status: approved` on `reply_id`. Returns False if it already was approved.

    A reply with its own lint errors (forbidden words, unknown placeholders, missing
    fields) is refused unless `force`: approval is the supervisor's guarantee.
    """
    lib = load_library(library_dir)
    reply = only_one(lib.replies, reply_id, f"话术库中没有 {reply_id}")
    if is_shipped(reply.path):
        raise ApproveError(
            f"{reply_id} 在程序自带的话术里 ({reply.path}), 程序的文件不能修改。\n"
            "先运行 aftersales init 把默认文件复制到店铺文件夹, 再审核那里的副本。")
    if reply.status == "approved":
        return False
    check_approvable(reply, rules, force)
    _write(reply.path, approved_bytes(reply.path.read_bytes(), reply))
    return True


def only_one(replies: Iterable[Reply], reply_id: str, missing: str) -> Reply:
    """The one reply with this id; ApproveError (`missing`, or where the duplicates are) if not."""
    found = [r for r in replies if r.id == reply_id]
    if not found:
        raise ApproveError(missing)
    if len(found) > 1:
        where = ", ".join(f"{r.path.name}:{r.line('id')}" for r in found)
        raise ApproveError(f"编号 {reply_id} 重复 ({where}), 请先修正")
    return found[0]


def check_approvable(reply: Reply, rules: Iterable[Rule] | None = None, force: bool = False) -> None:
    """ApproveError with the lint findings if the reply, once approved, would have problems
    (forbidden words, unknown placeholders, missing fields); nothing with `force`."""
    if force:
        return
    # Checked as it will be once approved, so a missing status line is not held against it.
    as_approved = dataclasses.replace(reply, status="approved")
    problems = lint_reply(as_approved, default_rules() if rules is None else tuple(rules))
    if problems:
        raise ApproveError(f"{reply.id} 还有问题, 未审核通过", problems)


def approved_bytes(raw: bytes, reply: Reply) -> bytes:
    """The file `raw` (that `reply` was read from) with the reply's status set to approved:
    its status line rewritten, or one inserted after its fields; every other byte unchanged."""
    lines = raw.splitlines(keepends=True)
    if "status" in reply.lines:
        index = reply.lines["status"] - 1
        lines[index] = _rewrite(lines[index])
    else:
        after = max(n for key, n in reply.lines.items() if key != "text")
        eol = _eol(lines[after - 1]) or (b"\r\n" if b"\r\n" in raw else b"\n")
        if not lines[after - 1].endswith(eol):
            lines[after - 1] += eol
        lines.insert(after, b"status: approved" + eol)
    return b"".join(lines)


def _rewrite(line: bytes) -> bytes:
    eol = _eol(line)
    text = line[: len(line) - len(eol)].decode("utf-8")
    sep = _SEPARATOR.search(text)
    assert sep is not None  # the parser only records a status line that has a separator
    return (text[: sep.end()] + "approved").encode("utf-8") + eol


def _eol(line: bytes) -> bytes:
    return line[len(line.rstrip(b"\r\n")):]


def _write(path: Path, data: bytes) -> None:
    """Write next to the file and rename over it, so a crash never leaves half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

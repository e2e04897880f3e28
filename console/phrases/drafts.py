"""Agents add draft replies from the picker: appended to the category's file as a block
with `status: draft`, so a supervisor sees and approves it like any other reply."""

from __future__ import annotations

import re
from pathlib import Path

from console.phrases.model import CATEGORIES, DEFAULT_LIBRARY

_NAME = re.compile(r"[^a-z0-9_]+")


class DraftError(ValueError):
    pass


def add_draft(category: str, title: str, text: str, agent: str, tags: str = "",
              root: Path = DEFAULT_LIBRARY, existing: set[str] | None = None) -> str:
    """Append a draft reply; returns its id (`<category>.draft_<n>`)."""
    if category not in CATEGORIES:
        raise DraftError(f"未知的分类: {category}")
    title, text = title.strip(), text.strip()
    if not title:
        raise DraftError("请写一个标题")
    if not text:
        raise DraftError("话术内容是空的")
    if "\n[" in "\n" + text:
        raise DraftError("话术内容的行不能以 [ 开头 (那是新话术的开始)")
    taken = existing or set()
    n = 1
    while f"{category}.draft_{n}" in taken:
        n += 1
    reply_id = f"{category}.draft_{n}"
    path = root / f"{category}.txt"
    tags = tags.strip() or title  # the library requires tags; the title is a fair start
    block = (f"\n[{reply_id}]\ntitle: {title}\ntags: {tags}\nstatus: draft\n"
             f"note: {agent} 在话术面板里新增,待主管审核\n\n{text}\n")
    with open(path, "a", encoding="utf-8", newline="\n") as f:
        f.write(block)
    return reply_id

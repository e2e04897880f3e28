"""What a draft reply added from the picker must satisfy, and the id it gets.

Drafts are stored in the database (console/reply_drafts.py), never appended to the reply
files: those are the program's read-only defaults or the shop's hand-edited folder.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path

from console.phrases.forbidden import Rule
from console.phrases.model import CATEGORIES, DEFAULT_LIBRARY, IN_DATABASE, Reply


class DraftError(ValueError):
    pass


def check_draft(category: str, title: str, text: str, tags: str = "",
                rules: Iterable[Rule] = ()) -> tuple[str, str, str, str]:
    """(category, title, text, tags) cleaned, or DraftError with the reason in Chinese:
    a missing field, an unknown placeholder, unbalanced braces, a forbidden phrase in `rules`."""
    category, title, text, tags = category.strip(), title.strip(), text.strip(), tags.strip()
    if category not in CATEGORIES:
        raise DraftError(f"未知的分类: {category} (可用: {', '.join(CATEGORIES)})")
    if not title:
        raise DraftError("请写一个标题")
    if not title.isprintable():
        raise DraftError("标题里不能有换行或控制字符")
    if not text:
        raise DraftError("话术内容是空的")
    if len(title) > 200 or len(tags) > 400:
        raise DraftError("标题最多 200 字, 标签最多 400 字")
    tags = tags or title  # the library requires tags; the title is a fair start
    from console.phrases.lint import lint_reply

    probe = Reply(id=f"{category}.draft", title=title, text=text, status="draft", tags=(tags,),
                  path=IN_DATABASE)
    problems = lint_reply(probe, tuple(rules))
    if problems:
        raise DraftError(problems[0].message.removeprefix(f"{probe.id}: "))
    return category, title, text, tags


def next_draft_id(category: str, taken: Collection[str]) -> str:
    """`<category>.draft_<n>` with the smallest n not in `taken`."""
    n = 1
    while f"{category}.draft_{n}" in taken:
        n += 1
    return f"{category}.draft_{n}"


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

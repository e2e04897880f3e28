"""What a draft reply added from the picker must satisfy, and the id it gets.

Drafts are stored in the database (console/reply_drafts.py), never appended to the reply
files: those are the program's read-only defaults or the shop's hand-edited folder.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from console.phrases.forbidden import Rule
from console.phrases.library import NEWLINE
from console.phrases.model import CATEGORIES, IN_DATABASE, Reply


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


def as_block(reply: Reply, status: str = "approved") -> str:
    """The reply as a block of a reply file ([id], title, tags, status, note, then the text),
    ending in a newline; what `parse_text` reads back. The caller checks that it does: a
    text line that looks like a header, a field or a comment would not come back as text."""
    lines = [f"[{reply.id}]", f"title: {reply.title}", f"tags: {' '.join(reply.tags)}",
             f"status: {status}"]
    if reply.sop:
        lines.append(f"sop: {' '.join(reply.sop)}")
    if reply.note:
        lines.append(f"note: {' '.join(reply.note.split())}")
    lines.append("")
    lines += [line.rstrip() for line in NEWLINE.split(reply.text)]
    return "\n".join(lines) + "\n"

"""Read the reply library: `phrases/*.txt` (the shop's own, else console/defaults), one block per reply.

The format is documented in console/defaults/phrases/README.md. Parsing is forgiving (Chinese
or English field names, full-width colons, any tag separators) and never stops at the
first mistake: every problem is collected with its file and line, and the replies
that could be read are still returned, so one typo does not empty the agent's picker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from console.phrases.model import DEFAULT_LIBRARY, Problem, Reply

# A block starts with "[some.id]" alone on a line. Any ASCII inside the brackets counts
# (a malformed id is then reported, not swallowed as text); "[图片]" stays text.
HEADER = re.compile(r"^\s*\[\s*([ -~]*?[!-~])\s*\]\s*$")
FIELD = re.compile(r"^\s*([A-Za-z_]+|[\u4e00-\u9fff]{2,4})\s*[:：]\s*(.*?)\s*$")
SPLIT = re.compile(r"[\s,，、;；/]+")
# Only CR/LF end a line, as in editors and in approve's byte-level rewrite
# (str.splitlines would also split on U+2028 and friends pasted from the web).
NEWLINE = re.compile(r"\r\n|\r|\n")

FIELD_NAMES: dict[str, str] = {
    "title": "title", "标题": "title",
    "tags": "tags", "tag": "tags", "标签": "tags",
    "status": "status", "状态": "status",
    "sop": "sop", "steps": "sop", "step": "sop", "步骤": "sop", "环节": "sop",
    "note": "note", "notes": "note", "备注": "note", "说明": "note",
}


class LibraryError(Exception):
    """The library directory itself cannot be read."""


@dataclass
class Library:
    replies: list[Reply] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    root: Path = DEFAULT_LIBRARY
    files: list[Path] = field(default_factory=list)

    def get(self, reply_id: str) -> Reply | None:
        for reply in self.replies:
            if reply.id == reply_id:
                return reply
        return None

    def for_step(self, step: str) -> list[str]:
        """Ids of replies whose `sop:` names this step: pass them (with the SOP node's own
        `replies`) as `boost_ids` when the case is at that step."""
        return [r.id for r in self.replies if step in r.sop]

    @property
    def approved(self) -> list[Reply]:
        return [r for r in self.replies if r.approved]

    @property
    def ids(self) -> set[str]:
        return {r.id for r in self.replies}


def load_library(root: Path | str = DEFAULT_LIBRARY) -> Library:
    """Read every `*.txt` under `root` (sorted, so order is stable)."""
    root = Path(root)
    if not root.is_dir():
        raise LibraryError(f"话术目录不存在: {root}")
    lib = Library(root=root)
    for path in sorted(root.glob("*.txt")):
        lib.files.append(path)
        replies, problems = parse_file(path)
        lib.replies.extend(replies)
        lib.problems.extend(problems)
    return lib


def parse_file(path: Path) -> tuple[list[Reply], list[Problem]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [Problem(path, 1, f"无法读取文件: {exc.strerror or exc}")]
    try:
        source = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [], [Problem(path, line, "文件不是 UTF-8 编码 (请用 UTF-8 保存)")]
    return parse_text(source, path)


def parse_text(source: str, path: Path = Path("<memory>")) -> tuple[list[Reply], list[Problem]]:
    """Parse the text of one file; line numbers are 1-based and match an editor's."""
    replies: list[Reply] = []
    problems: list[Problem] = []
    block: _Block | None = None
    for number, line in enumerate(NEWLINE.split(source), start=1):
        header = HEADER.match(line)
        if header:
            if block:
                replies.append(block.finish())
            block = _Block(path, header.group(1), number)
        elif line.lstrip().startswith("#"):
            continue  # comment, anywhere
        elif block is None:
            if line.strip():
                problems.append(Problem(path, number, "第一条话术前有多余文字 (每条话术以 [编号] 开头)"))
        else:
            block.feed(line, number, problems)
    if block:
        replies.append(block.finish())
    return replies, problems


class _Block:
    """Collects the lines of one reply: fields first, then the text."""

    def __init__(self, path: Path, reply_id: str, line: int) -> None:
        self.path = path
        self.id = reply_id
        self.values: dict[str, str] = {}
        self.lines: dict[str, int] = {"id": line}
        self.text: list[str] = []
        self.text_lines: list[int] = []
        self.in_text = False

    def feed(self, line: str, number: int, problems: list[Problem]) -> None:
        if not self.in_text:
            if not line.strip():
                return
            match = FIELD.match(line)
            if match:
                key = match.group(1)
                name = FIELD_NAMES.get(key.lower() if key.isascii() else key)
                if name:
                    if name in self.values:
                        problems.append(Problem(self.path, number, f"{self.id}: 字段 {key} 重复"))
                    self.values[name] = match.group(2)
                    self.lines[name] = number
                    return
                if key.isascii():  # an English-looking key we do not know: a typo
                    problems.append(Problem(self.path, number, f"{self.id}: 未知字段 {key!r}"))
                    return
            self.in_text = True
            self.lines["text"] = number
        self.text.append(line.rstrip())
        self.text_lines.append(number)

    def finish(self) -> Reply:
        while self.text and not self.text[-1]:
            self.text.pop()
            self.text_lines.pop()
        return Reply(
            id=self.id,
            title=self.values.get("title", ""),
            text="\n".join(self.text),
            status=self.values.get("status", "").strip().lower(),
            tags=_split(self.values.get("tags", "")),
            sop=_split(self.values.get("sop", "")),
            note=self.values.get("note", ""),
            path=self.path,
            lines=self.lines,
            text_lines=tuple(self.text_lines),
        )


def _split(value: str) -> tuple[str, ...]:
    return tuple(part for part in SPLIT.split(value) if part)

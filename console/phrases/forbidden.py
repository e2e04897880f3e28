"""Forbidden phrasing (禁用语): the list in forbidden.toml and a checker for free text.

The checker returns positions (str indices) so the screen can highlight the words
while the agent edits a reply before copying it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from console.phrases.model import DEFAULT_FORBIDDEN, Problem

_TOML_LINE = re.compile(r"at line (\d+)")


class ForbiddenListError(ValueError):
    """The forbidden list cannot be used; `problems` name file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Rule:
    phrase: str
    reason: str = ""
    instead: str = ""
    kind: str = ""
    allow: tuple[str, ...] = ()  # longer phrases in which the word is fine (看不清楚)
    line: int = 0


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    phrase: str
    reason: str = ""
    instead: str = ""
    kind: str = ""


def load_forbidden(path: Path | str = DEFAULT_FORBIDDEN) -> tuple[Rule, ...]:
    """Read and check the list; raises ForbiddenListError with every problem found."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ForbiddenListError([Problem(path, 1, f"无法读取禁用语文件: {exc}")]) from None
    return parse_forbidden(source, path)


def parse_forbidden(source: str, path: Path = DEFAULT_FORBIDDEN) -> tuple[Rule, ...]:
    """The list in `source` (the text of a forbidden.toml; `path` names it in problems)."""
    source = source.removeprefix("\ufeff")
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        line = int(found.group(1)) if found else 1
        raise ForbiddenListError([Problem(path, line, f"TOML 格式错误: {exc}")]) from None

    # tomllib keeps no positions: the n-th entry starts at the n-th [[forbidden]] header.
    headers = [i for i, text in enumerate(source.splitlines(), 1) if text.strip() == "[[forbidden]]"]
    problems: list[Problem] = []
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    entries = data.get("forbidden")
    if not isinstance(entries, list) or not entries:
        raise ForbiddenListError([Problem(path, 1, "没有 [[forbidden]] 条目")])
    for n, entry in enumerate(entries):
        line = headers[n] if n < len(headers) else 1
        phrase = entry.get("phrase")
        allow = entry.get("allow", [])
        if not isinstance(phrase, str) or not phrase.strip():
            problems.append(Problem(path, line, "缺少 phrase (禁用的词语)"))
            continue
        if not isinstance(allow, list) or not all(isinstance(a, str) for a in allow):
            problems.append(Problem(path, line, f"{phrase}: allow 必须是字符串列表"))
            continue
        if phrase in seen:
            problems.append(Problem(path, line, f"{phrase}: 与第 {seen[phrase]} 行重复"))
            continue
        seen[phrase] = line
        rules.append(Rule(phrase.strip(), str(entry.get("reason", "")), str(entry.get("instead", "")),
                          str(entry.get("kind", "")), tuple(allow), line))
    if problems:
        raise ForbiddenListError(problems)
    return tuple(rules)


@lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int) -> tuple[Rule, ...]:
    return load_forbidden(path)


def default_rules(path: Path | str = DEFAULT_FORBIDDEN) -> tuple[Rule, ...]:
    """The shipped list, re-read only when the file changes (ForbiddenListError if unusable)."""
    try:
        mtime = Path(path).stat().st_mtime_ns
    except OSError as exc:
        raise ForbiddenListError([Problem(Path(path), 1, f"无法读取禁用语文件: {exc}")]) from None
    return _cached(str(path), mtime)


def find_forbidden(text: str, rules: tuple[Rule, ...] | list[Rule] | None = None) -> list[Hit]:
    """Every forbidden phrase in `text`, sorted by position.

    A hit inside a longer hit is dropped ("没办法" inside "我们也没办法"), and an
    occurrence inside one of the rule's `allow` phrases is not a hit.
    """
    if rules is None:
        rules = default_rules()
    hits: list[Hit] = []
    for rule in rules:
        allowed = [(m, m + len(a)) for a in rule.allow for m in _positions(text, a)]
        for start in _positions(text, rule.phrase):
            end = start + len(rule.phrase)
            if not any(a <= start and end <= b for a, b in allowed):
                hits.append(Hit(start, end, rule.phrase, rule.reason, rule.instead, rule.kind))
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[Hit] = []
    for hit in hits:
        if not any(k.start <= hit.start and hit.end <= k.end for k in kept):
            kept.append(hit)
    return kept


def _positions(text: str, word: str) -> list[int]:
    found, start = [], text.find(word)
    while start != -1:
        found.append(start)
        start = text.find(word, start + 1)
    return found


def describe(hit: Hit) -> str:
    """One line for the agent: the word, why, and what to say instead."""
    parts = [f"禁用语「{hit.phrase}」"]
    if hit.reason:
        parts.append(hit.reason)
    if hit.instead:
        parts.append(f"可改为:{hit.instead}")
    return ";".join(parts)


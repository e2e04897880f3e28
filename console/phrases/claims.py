"""What a reply promises, held against the SOP outcomes it is linked to.

The rule table is data (console/defaults/phrase_rules.toml, or the shop's own copy): each
claim is a set of regular expressions ("运费由我们承担") and the conditions an outcome must meet
for it to be true ("postage_back = shop"), or `never` when nothing in the SOP makes it true
(same-day shipping, a supervisor's approval nobody gave). `check_claims` reports, with the
reply's file:line and the outcome's, every linked reply that says what its outcome does not.

This is a different mechanism from the forbidden-phrase list (forbidden.py): that one is about
tone and is shown while an agent edits; this one compares a reply with the SOP trees.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from console.phrases.model import SHIPPED, Problem, Reply, display_path

# The shipped rule table (read only); a shop's own copy is `phrase_rules.toml` in its folder.
DEFAULT_CLAIMS = SHIPPED / "phrase_rules.toml"

# Outcome fields a condition may name (console/defaults/sop/README.md), and which are lists.
LIST_FIELDS = frozenset({"buyer_gets", "registers", "timers", "checklist", "replies", "requires"})
FIELDS = frozenset({
    "summary", "text", "goods_return", "postage_out", "postage_back", "advance_by",
    "check_on_arrival", "next_status", "case_kind", "refund_scope", "compensation",
    "price_difference", "escalate", "urgent", "note", "problem", "refund_status",
}) | LIST_FIELDS
KEYS = {"name", "says", "requires", "requires_any", "never", "instead"}
_CONDITION = re.compile(r"^\s*([a-z_]+)\s*(!=|!~|=|~)\s*(.*?)\s*$")


class ClaimRulesError(Exception):
    """The rule table cannot be used; `problems` name its file and line."""

    def __init__(self, message: str, problems: list[Problem]) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class Condition:
    """One test of an outcome field, as written in the rule table."""

    field: str
    op: str  # = != ~ !~
    values: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    written: str = ""

    def holds(self, outcome: Mapping[str, object]) -> bool:
        value = outcome_value(outcome, self.field)
        if self.op in ("~", "!~"):
            text = " ".join(value) if isinstance(value, tuple) else value
            found = self.pattern is not None and self.pattern.search(text) is not None
            return found if self.op == "~" else not found
        have = value if isinstance(value, tuple) else (value,)
        hit = any(v in self.values for v in have)
        return hit if self.op == "=" else not hit

    def describe(self, outcome: Mapping[str, object]) -> str:
        """What the outcome has instead, e.g. `postage_back = none`."""
        value = outcome_value(outcome, self.field)
        shown = ", ".join(value) if isinstance(value, tuple) else value
        return f"{self.field} = {shown or '(空)'}"


@dataclass(frozen=True)
class Claim:
    name: str
    says: tuple[re.Pattern[str], ...]
    requires: tuple[Condition, ...] = ()
    requires_any: tuple[Condition, ...] = ()
    never: str = ""
    instead: str = ""
    line: int = 1

    def search(self, text: str) -> re.Match[str] | None:
        """The earliest place in `text` that makes this claim."""
        hits = [m for m in (p.search(text) for p in self.says) if m is not None]
        return min(hits, key=lambda m: m.start()) if hits else None

    def unmet(self, outcome: Mapping[str, object]) -> list[Condition]:
        """The conditions `outcome` fails; empty when the claim is true for it."""
        failed = [c for c in self.requires if not c.holds(outcome)]
        if self.requires_any and not any(c.holds(outcome) for c in self.requires_any):
            failed += list(self.requires_any)
        return failed

    def wanted(self) -> str:
        """The requirement in words, for the error message."""
        parts = [c.written for c in self.requires]
        if self.requires_any:
            parts.append(" 或 ".join(c.written for c in self.requires_any))
        return " 且 ".join(parts)


def outcome_value(outcome: Mapping[str, object], name: str) -> str | tuple[str, ...]:
    """A field of a raw outcome table, normalised: lists as tuples of text, booleans as
    "true"/"false", an optional field left out as "none"."""
    value = outcome.get(name)
    if name in LIST_FIELDS:
        return tuple(str(v) for v in value) if isinstance(value, list) else ()
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "false" if name in ("compensation", "price_difference", "urgent") else "none"
    return str(value)


# ---- loading the rule table ------------------------------------------------------------------


def load_claims(path: Path | str = DEFAULT_CLAIMS) -> tuple[Claim, ...]:
    """The claims of a rule table; ClaimRulesError with file:line for every problem."""
    path = Path(path)
    try:
        source = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ClaimRulesError(f"话术规则文件不存在: {path}",
                              [Problem(path, 1, "话术规则文件不存在")]) from None
    except OSError as exc:
        raise ClaimRulesError(f"无法读取话术规则 {path}: {exc}",
                              [Problem(path, 1, f"无法读取: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError:
        raise ClaimRulesError(f"{path}: 不是 UTF-8",
                              [Problem(path, 1, "文件不是 UTF-8 编码 (请另存为 UTF-8)")]) from None
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else 1
        raise ClaimRulesError(f"{path}:{line}: TOML 格式错误",
                              [Problem(path, line, f"TOML 格式错误: {exc}")]) from None
    problems: list[Problem] = []
    claims: list[Claim] = []
    starts = [n for n, text in enumerate(source.splitlines(), 1)
              if re.match(r"^\s*\[\[\s*claim\s*\]\]", text)]
    for key in data:
        if key != "claim":
            problems.append(Problem(path, _line_of(source, key), f"未知的表 {key!r} (只有 [[claim]])"))
    tables = data.get("claim", [])
    if not isinstance(tables, list):
        tables = []
        problems.append(Problem(path, 1, "claim 应写成 [[claim]] 表"))
    for index, table in enumerate(tables):
        line = starts[index] if index < len(starts) else 1
        claim = _claim(table, path, line, source, problems)
        if claim is not None:
            claims.append(claim)
    if problems:
        raise ClaimRulesError(f"话术规则 {path} 有 {len(problems)} 个问题", problems)
    return tuple(claims)


def _claim(table: object, path: Path, line: int, source: str,
           problems: list[Problem]) -> Claim | None:
    before = len(problems)

    def bad(message: str, key: str | None = None) -> None:
        where = _line_of(source, key, line) if key else line
        problems.append(Problem(path, where, message))

    if not isinstance(table, dict):
        bad("[[claim]] 应该是一个表")
        return None
    for key in table:
        if key not in KEYS:
            bad(f"未知的键 {key!r} (可用: {', '.join(sorted(KEYS))})", key)
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        bad("缺少 name (这条规则说的是什么)")
        name = "?"
    says: list[re.Pattern[str]] = []
    raw_says = table.get("says")
    if not isinstance(raw_says, list) or not raw_says:
        bad(f"{name}: says 应该是正则表达式的列表, 至少一个", "says")
        raw_says = []
    for text in raw_says:
        try:
            says.append(re.compile(str(text)))
        except re.error as exc:
            bad(f"{name}: says 里的正则表达式 {text!r} 有误: {exc}", "says")
    conditions: dict[str, list[Condition]] = {}
    for key in ("requires", "requires_any"):
        raw = table.get(key, [])
        if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
            bad(f"{name}: {key} 应该是文字列表, 如 [\"postage_back = shop\"]", key)
            raw = []
        conditions[key] = []
        for written in raw:
            condition = _condition(written)
            if isinstance(condition, str):
                bad(f"{name}: {key} 里的 {written!r}: {condition}", key)
            else:
                conditions[key].append(condition)
    never = table.get("never", "")
    instead = table.get("instead", "")
    if not isinstance(never, str) or not isinstance(instead, str):
        bad(f"{name}: never 和 instead 应该是文字")
        never, instead = "", ""
    if never and (conditions["requires"] or conditions["requires_any"]):
        bad(f"{name}: 有 never 就不要再写 requires (这个说法从来都不成立)")
    if not never and not conditions["requires"] and not conditions["requires_any"]:
        bad(f"{name}: 需要 requires / requires_any (什么结果下成立) 或 never (从来不成立)")
    if len(problems) > before:
        return None
    return Claim(name=name, says=tuple(says), requires=tuple(conditions["requires"]),
                 requires_any=tuple(conditions["requires_any"]), never=never, instead=instead,
                 line=line)


def _condition(written: str) -> Condition | str:
    """A Condition, or why the text is not one."""
    match = _CONDITION.match(written)
    if not match:
        return "写法应为 「字段 = 值」「字段 != 值」「字段 ~ 正则」「字段 !~ 正则」"
    name, op, rest = match.groups()
    if name not in FIELDS:
        return f"未知的结果字段 {name} (可用: {', '.join(sorted(FIELDS))})"
    if not rest:
        return "缺少值"
    if op in ("~", "!~"):
        try:
            return Condition(name, op, pattern=re.compile(rest), written=written.strip())
        except re.error as exc:
            return f"正则表达式有误: {exc}"
    values = tuple(v.strip() for v in re.split(r"[,，、]", rest) if v.strip())
    return Condition(name, op, values=values, written=written.strip())


def _line_of(source: str, key: str | None, start: int = 1) -> int:
    if key is None:
        return start
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    lines = source.splitlines()
    for number in range(start, len(lines) + 1):
        if pattern.match(lines[number - 1]):
            return number
    return start


# ---- checking replies against outcomes -------------------------------------------------------


@dataclass(frozen=True)
class OutcomeRef:
    """An SOP outcome as the lint reads it: the raw table and where it is."""

    step: str  # <flow>.<node>
    fields: Mapping[str, object]
    path: Path
    line: int


@dataclass(frozen=True)
class Link:
    """Why a reply is tied to a step: its own `sop:` line, or a tree's `replies` list."""

    step: str
    path: Path | None = None  # the SOP file, for a tree's link
    line: int = 0

    def source(self) -> str:
        if self.path is None:
            return "话术的 sop: 字段"
        return f"{display_path(self.path)}:{self.line} 的 replies"


@dataclass
class ClaimContext:
    """The SOP outcomes and how steps lead to them (from lint.read_sop)."""

    outcomes: dict[str, OutcomeRef] = field(default_factory=dict)
    targets: dict[str, tuple[str, ...]] = field(default_factory=dict)  # step -> next steps

    def reachable_outcomes(self, step: str) -> list[str]:
        """The outcomes `step` is or can lead to, in walking order, each once."""
        found: list[str] = []
        seen: set[str] = set()
        stack = [step]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            if current in self.outcomes:
                found.append(current)
            stack.extend(reversed(self.targets.get(current, ())))
        return found


def check_claims(replies: Iterable[Reply], claims: Iterable[Claim], context: ClaimContext | None,
                 tree_links: Mapping[str, list[Link]] | None = None) -> list[Problem]:
    """Every claim a reply makes that is never true, or that an outcome it is linked to
    contradicts; one problem per (reply, claim, outcome), at the line of the claim."""
    claims = tuple(claims)
    tree_links = tree_links or {}
    out: list[Problem] = []
    for reply in replies:
        links = [Link(step) for step in reply.sop] + list(tree_links.get(reply.id, ()))
        for claim in claims:
            match = claim.search(reply.text)
            if match is None:
                continue
            line = reply.text_line(match.start())
            said = match.group(0)
            if claim.never:
                out.append(Problem(reply.path, line, f"{reply.id}: 「{said}」({claim.name}): "
                                   f"{claim.never}{_instead(claim)}"))
                continue
            if context is None:
                continue
            reported: set[str] = set()
            for link in links:
                for step in context.reachable_outcomes(link.step):
                    if step in reported:
                        continue
                    outcome = context.outcomes[step]
                    unmet = claim.unmet(outcome.fields)
                    if not unmet:
                        continue
                    reported.add(step)
                    via = "" if link.step == step else f", 经由步骤 {link.step}"
                    has = "; ".join(dict.fromkeys(c.describe(outcome.fields) for c in unmet))
                    out.append(Problem(
                        reply.path, line,
                        f"{reply.id}: 「{said}」({claim.name}) 与 SOP 结果 {step} "
                        f"({display_path(outcome.path)}:{outcome.line}) 不符: 结果是 {has}, "
                        f"这句话要求 {claim.wanted()} (链接来自 {link.source()}{via})"
                        f"{_instead(claim)}"))
    return out


def _instead(claim: Claim) -> str:
    return f"。建议: {claim.instead}" if claim.instead else ""

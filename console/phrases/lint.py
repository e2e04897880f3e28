"""`aftersales phrases check`: everything that can be wrong with the library, with file:line.

SOP links are checked against the SOP folder's *.toml read directly (flat `[nodes.<id>]` tables,
step id `<flow>.<node_id>`), so this works whether or not the SOP engine is importable;
the other way round, every reply id an SOP node lists in `replies` must exist here.
What a linked reply promises is held against the outcomes it is linked to by the rule table
phrase_rules.toml (claims.py): a reply must not promise a postage payer, a return or money
its outcome does not give, nor anything the SOP never gives (same-day shipping, an approval).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from console.phrases.claims import (
    DEFAULT_CLAIMS,
    Claim,
    ClaimContext,
    ClaimRulesError,
    Link,
    OutcomeRef,
    check_claims,
    load_claims,
)
from console.phrases.forbidden import (
    ForbiddenListError,
    Rule,
    describe,
    find_forbidden,
    load_forbidden,
)
from console.phrases.library import Library, LibraryError, load_library
from console.phrases.model import (
    DEFAULT_FORBIDDEN,
    DEFAULT_LIBRARY,
    DEFAULT_SOP_DIR,
    PLACEHOLDERS,
    STATUSES,
    Problem,
    Reply,
    display_path,
)
from console.phrases.placeholders import PLACEHOLDER

ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")
STEP = re.compile(r"^[a-z][a-z0-9_]*\.[A-Za-z0-9_]+$")
REQUIRED = {"title": "标题", "tags": "标签", "status": "状态", "text": "正文"}


@dataclass
class SopIndex:
    """Step ids found in the SOP files, and the reply ids their nodes ask for."""

    steps: set[str] = field(default_factory=set)
    refs: list[tuple[str, Path, int]] = field(default_factory=list)  # (reply id, file, line)
    problems: list[Problem] = field(default_factory=list)
    # The outcomes and how steps lead to them, and each reply id's links from the trees:
    # what `phrases check` holds a reply's promises against.
    context: ClaimContext = field(default_factory=ClaimContext)
    links: dict[str, list[Link]] = field(default_factory=dict)


def lint(
    library_dir: Path | str = DEFAULT_LIBRARY,
    forbidden_path: Path | str = DEFAULT_FORBIDDEN,
    sop_dir: Path | str | None = DEFAULT_SOP_DIR,
    claims_path: Path | str | None = DEFAULT_CLAIMS,
) -> list[Problem]:
    """All problems of the library on disk, errors and warnings, in file order.

    `claims_path` is the rule table of what replies may promise (None: not checked)."""
    try:
        lib = load_library(library_dir)
    except LibraryError as exc:
        return [Problem(Path(library_dir), 1, str(exc))]
    problems: list[Problem] = []
    try:
        rules: tuple[Rule, ...] = load_forbidden(forbidden_path)
    except ForbiddenListError as exc:
        problems.extend(exc.problems)
        rules = ()
    claims: tuple[Claim, ...] = ()
    if claims_path is not None:
        try:
            claims = load_claims(claims_path)
        except ClaimRulesError as exc:
            problems.extend(exc.problems)
    sop = read_sop(sop_dir) if sop_dir is not None and Path(sop_dir).is_dir() else None
    if sop_dir is not None and sop is None:
        problems.append(Problem(Path(sop_dir), 1, "SOP 目录不存在, 未检查 SOP 链接", "warning"))
    problems.extend(lint_library(lib, rules, sop, claims))
    return sorted(problems, key=lambda p: (str(p.path), p.line))


def lint_library(lib: Library, rules: Iterable[Rule], sop: SopIndex | None,
                 claims: Iterable[Claim] = ()) -> list[Problem]:
    rules = tuple(rules)
    problems = list(lib.problems)
    problems.extend(check_claims(lib.replies, claims, sop.context if sop else None,
                                 sop.links if sop else None))
    first: dict[str, Reply] = {}
    for reply in lib.replies:
        problems.extend(lint_reply(reply, rules, sop.steps if sop else None))
        if reply.id in first:
            earlier = first[reply.id]
            problems.append(Problem(reply.path, reply.line("id"), f"编号 {reply.id} 重复 "
                                    f"(首次出现在 {display_path(earlier.path)}:{earlier.line('id')})"))
        else:
            first[reply.id] = reply
    if sop:
        problems.extend(sop.problems)
        for reply_id, path, line in sop.refs:
            if reply_id not in first:
                problems.append(Problem(path, line, f"SOP 引用的话术 {reply_id} 在话术库中不存在"))
            elif not first[reply_id].approved:
                problems.append(Problem(path, line, f"SOP 引用的话术 {reply_id} 还是草稿, "
                                        "客服在选话术时看不到", "warning"))
    if not lib.replies:
        problems.append(Problem(lib.root, 1, "话术库是空的 (没有 *.txt 中的话术)", "warning"))
    return sorted(problems, key=lambda p: (str(p.path), p.line))


def lint_reply(reply: Reply, rules: Iterable[Rule], steps: set[str] | None = None) -> list[Problem]:
    """Problems of one reply on its own (used by lint and before approving)."""
    out: list[Problem] = []

    def add(line: int, message: str) -> None:
        out.append(Problem(reply.path, line, f"{reply.id}: {message}"))

    if not ID.match(reply.id):
        add(reply.line("id"), "编号格式应为 <类别>.<英文短名>, 如 refund.agree_after_check")
    elif reply.path.suffix == ".txt" and reply.category != reply.path.stem:
        add(reply.line("id"), f"编号前缀 {reply.category} 与文件名 {reply.path.name} 不符")
    values = {"title": reply.title, "tags": reply.tags, "status": reply.status, "text": reply.text}
    for name, label in REQUIRED.items():
        if not values[name]:
            add(reply.line(name), f"缺少字段 {name} ({label})")
    if reply.status and reply.status not in STATUSES:
        add(reply.line("status"), f"状态 {reply.status!r} 无效, 只能是 approved 或 draft")
    for match in PLACEHOLDER.finditer(reply.text):
        name = match.group(1)
        if name not in PLACEHOLDERS:
            near = difflib.get_close_matches(name, PLACEHOLDERS, n=1)
            hint = f", 是不是 {{{near[0]}}}?" if near else ""
            add(reply.text_line(match.start()), f"未知占位符 {{{name}}}{hint} "
                f"(可用: {', '.join(PLACEHOLDERS)})")
    stripped = PLACEHOLDER.sub("", reply.text)
    brace = re.search(r"[{}]", stripped)
    if brace:
        add(reply.text_line(_original_offset(reply.text, brace.start())),
            "花括号不成对 (占位符写法: {order_no})")
    for hit in find_forbidden(reply.title, rules):
        add(reply.line("title"), describe(hit))
    for hit in find_forbidden(reply.text, rules):
        add(reply.text_line(hit.start), describe(hit))
    for step in reply.sop:
        if not STEP.match(step):
            add(reply.line("sop"), f"SOP 步骤 {step!r} 格式应为 <流程>.<节点>, 如 refund.nr_paid_agree")
        elif steps is not None and step not in steps:
            near = difflib.get_close_matches(step, steps, n=1)
            hint = f", 是不是 {near[0]}?" if near else ""
            add(reply.line("sop"), f"SOP 步骤 {step} 不存在{hint}")
    return out


def _original_offset(text: str, stripped_offset: int) -> int:
    """Map an offset in the placeholder-free text back to `text` (for the line number)."""
    kept = 0
    pos = 0
    for match in PLACEHOLDER.finditer(text):
        gap = match.start() - pos
        if kept + gap > stripped_offset:
            break
        kept += gap
        pos = match.end()
    return pos + (stripped_offset - kept)


def read_sop(sop_dir: Path | str = DEFAULT_SOP_DIR) -> SopIndex:
    """Step ids and reply references of every sop/*.toml, read as plain TOML."""
    index = SopIndex()
    for path in sorted(Path(sop_dir).glob("*.toml")):
        if path.name == "rules.toml":  # shared numbers, not a flow
            continue
        try:
            source = path.read_text(encoding="utf-8-sig")
            data = tomllib.loads(source)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            index.problems.append(Problem(path, 1, f"无法读取 SOP 文件, 未检查其链接: {exc}",
                                          "warning"))
            continue
        flow = _flow_id(data, path)
        nodes = data.get("nodes")
        if not isinstance(nodes, dict):
            continue
        lines = source.splitlines()
        for node_id, node in nodes.items():
            step = f"{flow}.{node_id}"
            index.steps.add(step)
            start = _header_line(lines, node_id)
            if isinstance(node, dict):
                index.context.targets[step] = tuple(f"{flow}.{t}" for t in _targets(node))
                if node.get("type") == "outcome":
                    index.context.outcomes[step] = OutcomeRef(step, node, path, start)
            replies = node.get("replies", []) if isinstance(node, dict) else []
            if not isinstance(replies, list):
                continue
            for reply_id in replies:
                if isinstance(reply_id, str):
                    line = _line_of(lines, f'"{reply_id}"', start)
                    index.refs.append((reply_id, path, line))
                    index.links.setdefault(reply_id, []).append(Link(step, path, line))
    return index


def _targets(node: dict) -> list[str]:
    """Node ids a node leads to: its choices' `next`, and `next`/`otherwise`."""
    found = [c.get("next") for c in node.get("choices", []) if isinstance(c, dict)] \
        if isinstance(node.get("choices"), list) else []
    found += [node.get("next"), node.get("otherwise")]
    return [t for t in found if isinstance(t, str)]


def _flow_id(data: dict, path: Path) -> str:
    """`[flow] id = "..."` as the SOP engine reads it; the file stem when absent."""
    table = data.get("flow")
    flow = table.get("id") if isinstance(table, dict) else table
    return flow if isinstance(flow, str) and re.fullmatch(r"[a-z][a-z0-9_]*", flow) else path.stem


def _header_line(lines: list[str], node_id: str) -> int:
    pattern = re.compile(rf"^\s*\[\s*nodes\s*\.\s*[\"']?{re.escape(node_id)}[\"']?\s*\]")
    for number, line in enumerate(lines, 1):
        if pattern.match(line):
            return number
    return 1


def _line_of(lines: list[str], needle: str, start: int) -> int:
    for number in range(start, len(lines) + 1):
        if needle in lines[number - 1] or needle.replace('"', "'") in lines[number - 1]:
            return number
    return start

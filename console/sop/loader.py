"""Load every flow in an SOP folder (shipped: console/defaults/sop): a broken file becomes errors and an unavailable flow, never a crash."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path

from console.sop.model import Flow, Library, Rules, SopError
from console.sop.rules import load_rules
from console.sop.validate import FlowChecker

# The shipped trees, read-only inside the package; a shop's own copies live in its home folder.
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "defaults" / "sop"
RULES_FILE = "rules.toml"

_HEADER = re.compile(r"^\s*\[\s*(flow|nodes\.([A-Za-z0-9_-]+))\s*\]")


def header_lines(text: str) -> dict[str, int]:
    """Line number of each `[nodes.ID]` header (and of `[flow]`), so errors can point at it."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = _HEADER.match(line)
        if match:
            lines.setdefault(match.group(2) or "[flow]", number)
    return lines


def load_library(directory: Path | str = DEFAULT_DIR, *, clocks: Collection[str] | None = None,
                 reply_ids: Collection[str] | None = None,
                 refund_clocks: Mapping[str, Collection[str]] | None = None) -> Library:
    """All flows in `directory`.

    Args:
        clocks: known timer kinds; None reads them from the shipped sla.toml.
        reply_ids: known reply ids; None skips that check.
    """
    directory = Path(directory)
    errors: list[SopError] = []
    # Rules are shop-wide: a directory without its own rules.toml uses the shipped one.
    rules_path = directory / RULES_FILE
    if not rules_path.exists():
        rules_path = DEFAULT_DIR / RULES_FILE
    rules, rule_errors = load_rules(rules_path)
    errors += rule_errors
    if clocks is None:
        policy = _default_policy(errors)
        clocks = policy.clocks if policy else None
        if refund_clocks is None and policy is not None:
            refund_clocks = policy.refund_clocks
    flows: dict[str, Flow] = {}
    unavailable: dict[str, str] = {}
    if not directory.is_dir():
        errors.append(SopError(str(directory), None, "找不到 SOP 目录 (directory not found)"))
        return Library(directory, flows, unavailable, errors, rules)
    paths = sorted(p for p in directory.glob("*.toml") if p.name != RULES_FILE)
    if not paths:
        errors.append(SopError(str(directory), None, "目录里没有任何流程文件 (*.toml)"))
    for path in paths:
        flow, flow_errors, key = load_flow_file(path, rules, clocks=clocks, reply_ids=reply_ids,
                                                refund_clocks=refund_clocks)
        if flow is not None and flow.id in flows:
            flow_errors.append(SopError(str(path), None, f"流程 id {flow.id!r} 与 "
                                        f"{flows[flow.id].source} 重复 (duplicate flow id)"))
            flow, key = None, path.stem
        errors += flow_errors
        if flow is not None:
            flows[flow.id] = flow
        else:
            first = next(e for e in flow_errors if e.severity == "error")
            unavailable[key] = str(first) + (f" (共 {len(flow_errors)} 处问题)" if len(flow_errors) > 1 else "")
    return Library(directory, flows, unavailable, errors, rules)


def load_flow_file(path: Path, rules: Rules, *, clocks: Collection[str] | None,
                   reply_ids: Collection[str] | None,
                   refund_clocks: Mapping[str, Collection[str]] | None = None,
                   ) -> tuple[Flow | None, list[SopError], str]:
    """(flow or None, errors, key) where key is the flow id, or the file name when unreadable."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        return None, [SopError(name, None, f"无法读取文件: {exc}")], path.stem
    except tomllib.TOMLDecodeError as exc:
        line = _decode_line(str(exc))
        return None, [SopError(name, None, f"TOML 格式错误: {exc}", line)], path.stem
    checker = FlowChecker(raw, name, rules, clocks=clocks, reply_ids=reply_ids,
                          lines=header_lines(text), refund_clocks=refund_clocks)
    flow = checker.build()
    errors = sorted(checker.errors, key=lambda e: e.line or 0)  # file order for the editor
    return flow, errors, checker.flow_id or path.stem


def _decode_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def _default_policy(errors: list[SopError]):
    from console.sla import DEFAULT_POLICY, PolicyError, load_policy

    try:
        return load_policy()
    except PolicyError as exc:
        errors.append(SopError(str(DEFAULT_POLICY), None, f"时效规则文件有误,未检查计时类型: {exc}"))
        return None

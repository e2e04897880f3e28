"""`aftersales sop check | show | walk`: validate, print and try the SOP trees from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Collection
from datetime import date
from pathlib import Path
from typing import TextIO

from console.sop.loader import DEFAULT_DIR, load_library
from console.sop.model import GOODS_RETURN, Library
from console.sop.outline import outline_lines
from console.sop.walk import Walk
from console.vocab import KINDS, STATUSES

WALK_HELP = """\
每个 --answer 回答一个节点 (NODE 是节点 id,见 `sop show`):
  问题 question:  NODE=2 (第 2 个选项) 或 NODE=选项文字
  确认 confirm:   NODE=yes / NODE=no (也可 是/否, y/n)
  信息 facts:     NODE=key:内容;key:内容 (key 可用字段 id 或中文名)
例: aftersales sop walk return -a received=2 -a r_cause=3 -a r_noreason_talk=2 \\
      -a r_noreason_resale=yes --agent 小王 --date 2026-11-23
退出码: 0 到达结果; 1 停在某个节点或被规则拒绝; 2 用法错误或流程不可用。"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `sop` command to an argparse subparsers object; returns its parser."""
    sop = subparsers.add_parser("sop", help="SOP 决策树: 检查、查看、试走 (check/show/walk)",
                                description="SOP 决策树 (店铺文件夹/sop/*.toml,没有则用程序自带的)")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dir", dest="sop_dir", metavar="DIR",
                        help="SOP 目录 (默认 店铺文件夹/sop,没有则用程序自带的;店铺文件夹用 aftersales --home DIR 指定)")
    sub = sop.add_subparsers(dest="sop_command", metavar="{check,show,walk}")
    check = sub.add_parser("check", parents=[common], help="检查所有流程文件,每个问题一行")
    check.add_argument("--reply-ids", metavar="FILE",
                       help="已知回复 id 的列表文件(每行一个);给出时检查结果里的回复 id")
    show = sub.add_parser("show", parents=[common], help="把一个流程打印成缩进大纲")
    show.add_argument("flow", help="流程 id 或标题,例如 return 或 退货")
    walk = sub.add_parser("walk", parents=[common], help="按给定答案走一个流程,打印结果",
                          epilog=WALK_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    walk.add_argument("flow", help="流程 id 或标题")
    walk.add_argument("-a", "--answer", action="append", default=[], metavar="NODE=ANSWER",
                      help="一个节点的答案,可重复")
    walk.add_argument("--json", action="store_true", help="以 JSON 输出")
    walk.add_argument("--agent", dest="memo_agent", help="写进备注的客服名字")
    walk.add_argument("--date", dest="memo_date", help="写进备注的日期 (默认今天)")
    return sop


def run(args: argparse.Namespace, *, reply_ids: Collection[str] | None = None,
        out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run a parsed `sop` command. `reply_ids` (from the phrase library) enables that check."""
    out, err = out or sys.stdout, err or sys.stderr
    command = getattr(args, "sop_command", None)
    if command is None:
        print("用法: aftersales sop {check,show,walk} ... (见 aftersales sop -h)", file=err)
        return 2
    directory = Path(args.sop_dir) if getattr(args, "sop_dir", None) else DEFAULT_DIR
    if command == "check" and args.reply_ids:
        try:
            reply_ids = _read_ids(Path(args.reply_ids))
        except OSError as exc:
            print(f"无法读取回复 id 文件 {args.reply_ids}: {exc}", file=err)
            return 2
    policy = _policy(getattr(args, "sla", None), getattr(args, "holidays", None), err)
    library = load_library(directory, clocks=policy.clocks if policy else None, reply_ids=reply_ids,
                           refund_clocks=policy.refund_clocks if policy else None)
    if command == "check":
        return _check(library, out)
    if command == "show":
        flow = _flow(library, args.flow, err)
        if flow is None:
            return 2
        print("\n".join(outline_lines(flow)), file=out)
        return 0
    return _walk(library, args, out, err)


def _policy(sla: str | None, holidays: str | None, err: TextIO):
    """The deadline rules the trees are checked against (and the holidays they count working
    days with); None when none were named or they are broken: the loader then checks against
    the shipped ones, after the error is printed."""
    if not sla:
        return None
    from console.sla import PolicyError, load_policy

    try:
        return load_policy(sla, holidays)
    except PolicyError as exc:
        print(f"时效规则或节假日文件有误: {exc}", file=err)
        return None


def _read_ids(path: Path) -> set[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {s.strip() for s in lines if s.strip() and not s.strip().startswith("#")}


def _check(library: Library, out: TextIO) -> int:
    for error in library.errors:
        print(error, file=out)
    if library.errors:
        print(f"共 {len(library.errors)} 处问题;不可用的流程: "
              f"{', '.join(library.unavailable) or '无'}", file=out)
        return 1
    nodes = sum(len(f.nodes) for f in library.flows.values())
    leaves = sum(len(f.outcomes()) for f in library.flows.values())
    print(f"OK: {len(library.flows)} 个流程, {nodes} 个节点, {leaves} 个结果 ({library.directory})",
          file=out)
    return 0


def _flow(library: Library, key: str, err: TextIO):
    flow = library.find(key)
    if flow is not None:
        return flow
    if key in library.unavailable:
        print(f"流程 {key} 不可用: {library.unavailable[key]}", file=err)
    else:
        known = ", ".join(f"{f.id}({f.title})" for f in library.flows.values()) or "无"
        print(f"没有流程 {key!r};可用: {known}", file=err)
    return None


def _walk(library: Library, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    flow = _flow(library, args.flow, err)
    if flow is None:
        return 2
    answers: dict[str, str] = {}
    for item in args.answer:
        node_id, sep, value = item.partition("=")
        if not sep or not node_id.strip():
            print(f"--answer 应写成 NODE=ANSWER (got {item!r})", file=err)
            return 2
        if node_id.strip() not in flow.nodes:
            print(f"流程 {flow.id} 没有节点 {node_id.strip()!r}", file=err)
            return 2
        answers[node_id.strip()] = value
    walk = Walk(flow)
    while not walk.done:
        node = walk.node
        if node.id not in answers:
            print(f"停在 [{node.id}] {node.text}", file=err)
            for i, choice in enumerate(node.choices, 1):
                print(f"  {i}) {choice.label}", file=err)
            print(f"请加上 --answer {node.id}=...", file=err)
            return 1
        verdict = walk.choose(answers.pop(node.id))
        if not verdict:
            print(f"[{node.id}] {verdict.reason}", file=err)
            return 1
    if answers:
        print(f"提示: 这些答案不在所走的路径上,未使用: {', '.join(answers)}", file=err)
    agent = args.memo_agent or getattr(args, "agent", None) or "客服"
    memo = walk.memo(agent, args.memo_date or date.today().isoformat())
    if args.json:
        data = {
            "flow": flow.id,
            "title": flow.title,
            "path": [{"node": s.node.id, "text": s.node.text, "answer": s.answer} for s in walk.path],
            "outcome": walk.outcome.as_dict(),
            "memo": memo,
        }
        print(json.dumps(data, ensure_ascii=False, indent=2), file=out)
    else:
        print("\n".join(_outcome_text(walk, memo)), file=out)
    return 0


def _outcome_text(walk: Walk, memo: str) -> list[str]:
    o = walk.outcome
    lines = [f"{o.flow_title} · 结果 [{o.node_id}]", "路径:"]
    lines += [f"  [{s.node.id}] {s.node.text} → {s.answer}" for s in walk.path]
    lines += [
        f"处理: {o.summary}",
        f"买家得到: {'、'.join(o.buyer_gets)}",
        f"货物: {GOODS_RETURN[o.goods_return]}",
        f"运费: {o.postage_text()}",
    ]
    if o.check_on_arrival:
        lines.append(f"到货检查: {o.check_on_arrival}")
    lines.append("下一步:")
    lines += [f"  {i}. {item}" for i, item in enumerate(o.checklist, 1)]
    lines += [
        f"登记: {'、'.join(o.registers) or '无'}",
        f"计时: {', '.join(o.timers) or '无'}",
        f"回复: {', '.join(o.replies) or '无'}",
        f"状态: {o.next_status} ({STATUSES.get(o.next_status, '')}) · "
        f"工单类型: {o.case_kind} ({KINDS.get(o.case_kind, '')})",
    ]
    if o.note:
        lines.append(f"注意: {o.note}")
    lines.append(f"备注: {memo}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (`python -m console.sop.cli sop check`) until console/cli.py wires it."""
    parser = argparse.ArgumentParser(prog="aftersales")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    if args.command != "sop":
        parser.print_help()
        return 2
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())

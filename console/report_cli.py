"""`aftersales report --from D --to D [--by agent|team] [--kind K] [--format xlsx|csv|text]
[--out FILE]`: the supervisor's figures for a date range, from the shell.

Wired in console/cli.py, which opens the database and the deadline rules. The figures are
console/metrics; the layout and the writers console/metrics/export.py.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from console.vocab import KINDS

FORMATS = ("text", "xlsx", "csv")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "report", help="主管数据报表: 首次响应、时效、解决、满意度、工单构成、话术、交接 (xlsx/csv/文字)",
        description="按店铺日期范围统计团队或每位客服的服务数据, 写成 xlsx (每个视图一张表, 附公式说明)、"
                    "CSV (UTF-8 带 BOM, Excel 直接打开) 或在终端显示。"
                    "例: aftersales report --from 2026-11-01 --to 2026-11-30 --by agent --format xlsx")
    parser.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD", help="开始日期 (含)")
    parser.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD", help="结束日期 (含)")
    parser.add_argument("--by", choices=("team", "agent"), default="team",
                        help="team: 全团队 (默认); agent: 另列每位客服和排名")
    parser.add_argument("--kind", choices=sorted(KINDS), help="只看一种工单类型")
    parser.add_argument("--agent-name", dest="only_agent", metavar="NAME", help="只看一位客服")
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="text (默认, 显示在终端)、xlsx 或 csv; 不写时按 --out 的扩展名")
    parser.add_argument("--out", type=Path, help="写到这个文件 (xlsx/csv 必须写)")
    return parser


def _day(text: str, flag: str) -> date | str:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return f"{flag} 的日期应写成 2026-11-01 这样 (年-月-日), 收到的是 “{text}”"


def run(db, policy, args: argparse.Namespace, clock=None) -> int:
    from console.clock import SystemClock
    from console.db import StoreError
    from console.metrics import Metrics, Scope
    from console.metrics.export import export_report

    start, end = _day(args.date_from, "--from"), _day(args.date_to, "--to")
    for problem in (start, end):
        if isinstance(problem, str):
            print(problem, file=sys.stderr)
            return 2
    if end < start:
        print(f"--to ({end}) 早于 --from ({start})", file=sys.stderr)
        return 2
    if (end - start).days > 366:
        print("日期范围最长一年 (366 天)", file=sys.stderr)
        return 2
    fmt = args.format or (args.out.suffix.lower().lstrip(".") if args.out else "text")
    fmt = {"txt": "text"}.get(fmt, fmt)
    if fmt not in FORMATS:
        print(f"不认识的格式 “{fmt}”: 用 --format text、xlsx 或 csv", file=sys.stderr)
        return 2
    if fmt != "text" and args.out is None:
        print(f"{fmt} 需要 --out 文件名, 例如 --out 报表.{fmt}", file=sys.stderr)
        return 2

    metrics = Metrics(db, policy, clock or SystemClock())
    scope = Scope(start, end, agent=args.only_agent, kind=args.kind)
    try:
        views, text = export_report(metrics, scope, args.out, fmt, by_agent=args.by == "agent")
        if fmt == "text" and args.out is None:
            print(text)
    except StoreError as exc:
        print(f"读不到数据: {exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"写不了文件 {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if args.out is not None:
        print(f"已写入 {args.out} ({len(views)} 个视图)")
    return 0

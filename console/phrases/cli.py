"""`aftersales phrases check | search QUERY | approve ID`.

Wire-up in console/cli.py: `phrases_cli.add_parser(sub)` next to the other subcommands,
and `if args.command == "phrases": return phrases_cli.run(args)` before the database is
opened (none of these needs it). Heavy imports wait until `run`, so `--help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("phrases", help="话术库: 检查 / 搜索 / 审核 (reply scripts)")
    parser.add_argument("--dir", type=Path, help="话术目录 (默认 scripts/phrases)")
    parser.add_argument("--forbidden", type=Path, help="禁用语文件 (默认 data/forbidden.toml)")
    parser.add_argument("--sop-dir", type=Path, help="SOP 目录 (默认 data/sop)")
    actions = parser.add_subparsers(dest="phrases_command", required=True)
    actions.add_parser("check", help="检查话术库, 每个问题一行 (文件:行: 原因), 有错误时退出码 1")
    search = actions.add_parser("search", help="搜索话术 (中文 / 拼音 / 首字母)")
    search.add_argument("query", nargs="+", help="搜索词, 如 退款、tuikuan、tk")
    search.add_argument("--limit", type=int, default=20, help="最多显示几条 (默认 20)")
    search.add_argument("--drafts", action="store_true", help="也搜索草稿 (draft)")
    search.add_argument("--boost", action="append", default=[], metavar="ID",
                        help="优先显示的话术编号 (可重复)")
    approve = actions.add_parser("approve", help="把一条草稿标记为 approved (只改状态这一行)")
    approve.add_argument("id", help="话术编号, 如 refund.agree_after_check")
    approve.add_argument("--force", action="store_true", help="即使检查有问题也审核通过")
    return parser


def run(args: argparse.Namespace) -> int:
    from console.phrases.model import DEFAULT_FORBIDDEN, DEFAULT_LIBRARY, DEFAULT_SOP_DIR

    library = args.dir or DEFAULT_LIBRARY
    forbidden = args.forbidden or DEFAULT_FORBIDDEN
    sop_dir = args.sop_dir or DEFAULT_SOP_DIR
    if args.phrases_command == "check":
        return _check(library, forbidden, sop_dir)
    if args.phrases_command == "search":
        return _search(library, " ".join(args.query), args)
    return _approve(library, forbidden, args.id, args.force)


def _check(library: Path, forbidden: Path, sop_dir: Path) -> int:
    from console.phrases.library import LibraryError, load_library
    from console.phrases.lint import lint

    problems = lint(library, forbidden, sop_dir)
    errors = [p for p in problems if p.level == "error"]
    for problem in problems:
        prefix = "" if problem.level == "error" else "警告: "
        print(f"{prefix}{problem}")  # stdout, one per line, like other linters
    if errors:
        print(f"{len(errors)} 个错误", file=sys.stderr)
        return 1
    try:
        lib = load_library(library)
    except LibraryError as exc:  # pragma: no cover - lint reported it already
        print(exc, file=sys.stderr)
        return 1
    print(f"话术库没有问题: {len(lib.replies)} 条, 其中已审核 {len(lib.approved)} 条")
    return 0


def _search(library: Path, query: str, args: argparse.Namespace) -> int:
    from console.phrases.library import LibraryError, load_library
    from console.phrases.search import SearchIndex

    try:
        lib = load_library(library)
    except LibraryError as exc:
        print(exc, file=sys.stderr)
        return 2
    results = SearchIndex(lib.replies).search(
        query, boost_ids=args.boost, limit=max(1, args.limit), include_drafts=args.drafts)
    if not results:
        print(f"没有找到与 {query!r} 相关的话术")
        return 1
    for r in results:
        mark = "*" if r.boosted else " "
        draft = "" if r.reply.approved else " [草稿]"
        print(f"{mark}{r.score:6.1f}  {r.reply.id:<36} {r.reply.title}{draft}")
    return 0


def _approve(library: Path, forbidden: Path, reply_id: str, force: bool) -> int:
    from console.phrases.approve import ApproveError, approve
    from console.phrases.forbidden import ForbiddenListError, load_forbidden
    from console.phrases.library import LibraryError

    try:
        rules = load_forbidden(forbidden)
        changed = approve(reply_id, library, rules=rules, force=force)
    except ApproveError as exc:
        print(exc, file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except (ForbiddenListError, LibraryError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{reply_id} 已审核通过" if changed else f"{reply_id} 本来就是 approved, 文件未改动")
    return 0

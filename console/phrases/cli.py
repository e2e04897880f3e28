"""`aftersales phrases check | search QUERY | approve ID`.

Wired in console/cli.py, which resolves the shop folder (`aftersales --home DIR phrases ...`)
and passes it with the database URL. Heavy imports wait until `run`, so `--help` stays fast.
`check` and `search` read the files (the shop's own, else the shipped ones) and need no
database; `approve` of a draft added from the picker marks it approved in the database.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.home import Home


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("phrases", help="话术库: 检查 / 搜索 / 审核 (reply scripts)")
    parser.add_argument("--dir", type=Path, help="话术目录 (默认 店铺文件夹/phrases,没有则用程序自带的)")
    parser.add_argument("--forbidden", type=Path, help="禁用语文件 (默认 店铺文件夹/forbidden.toml,没有则用程序自带的)")
    parser.add_argument("--sop-dir", type=Path, help="SOP 目录 (默认 店铺文件夹/sop,没有则用程序自带的)")
    parser.add_argument("--rules", type=Path,
                        help="话术与 SOP 对照规则 (默认 店铺文件夹/phrase_rules.toml,没有则用程序自带的)")
    actions = parser.add_subparsers(dest="phrases_command", required=True)
    actions.add_parser("check", help="检查话术库, 每个问题一行 (文件:行: 原因), 有错误时退出码 1; "
                                     "也检查话术的承诺 (运费、寄回、金额、发货时间) 与所链接的 SOP 结果是否一致")
    search = actions.add_parser("search", help="搜索话术 (中文 / 拼音 / 首字母)")
    search.add_argument("query", nargs="+", help="搜索词, 如 退款、tuikuan、tk")
    search.add_argument("--limit", type=int, default=20, help="最多显示几条 (默认 20)")
    search.add_argument("--drafts", action="store_true", help="也搜索草稿 (draft, 含数据库里的草稿)")
    search.add_argument("--boost", action="append", default=[], metavar="ID",
                        help="优先显示的话术编号 (可重复)")
    approve = actions.add_parser("approve", help="审核通过一条草稿 (数据库里的草稿, 或店铺文件夹里文件中的草稿)")
    approve.add_argument("id", help="话术编号, 如 refund.draft_1")
    approve.add_argument("--force", action="store_true", help="即使检查有问题也审核通过")
    return parser


def run(args: argparse.Namespace, home: Home | None = None, db_url: str | None = None) -> int:
    from console.home import default_home

    home = home or default_home()
    library = args.dir or home.phrases_dir
    forbidden = args.forbidden or home.forbidden_file
    sop_dir = args.sop_dir or home.sop_dir
    if args.phrases_command == "check":
        return _check(library, forbidden, sop_dir, args.rules or home.phrase_rules_file)
    if args.phrases_command == "search":
        return _search(library, " ".join(args.query), args, db_url)
    return _approve(library, forbidden, args, db_url)


def _check(library: Path, forbidden: Path, sop_dir: Path, rules: Path) -> int:
    from console.phrases.library import LibraryError, load_library
    from console.phrases.lint import lint

    problems = lint(library, forbidden, sop_dir, rules)
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


def _search(library: Path, query: str, args: argparse.Namespace, db_url: str | None) -> int:
    from console.phrases.library import LibraryError, load_library
    from console.phrases.search import SearchIndex

    try:
        lib = load_library(library)
    except LibraryError as exc:
        print(exc, file=sys.stderr)
        return 2
    replies = lib.replies + _stored_drafts(db_url)
    results = SearchIndex(replies).search(
        query, boost_ids=args.boost, limit=max(1, args.limit), include_drafts=args.drafts)
    if not results:
        print(f"没有找到与 {query!r} 相关的话术")
        return 1
    for r in results:
        mark = "*" if r.boosted else " "
        draft = "" if r.reply.approved else " [草稿]"
        where = " (数据库)" if r.reply.in_database else ""
        print(f"{mark}{r.score:6.1f}  {r.reply.id:<36} {r.reply.title}{draft}{where}")
    return 0


def _stored_drafts(db_url: str | None) -> list:
    """Drafts added from the picker, if the database is there (a search never creates one)."""
    if db_url is None:
        return []
    from console.db import StoreError, _sqlite_path, open_database
    from console.reply_drafts import ReplyDrafts

    path = _sqlite_path(db_url)
    if path is not None and not path.is_file():
        return []
    try:
        db = open_database(db_url)
    except StoreError as exc:
        print(f"警告: 数据库打不开, 只搜索了文件里的话术: {exc.message}", file=sys.stderr)
        return []
    try:
        from console.clock import SystemClock

        return ReplyDrafts(db, SystemClock()).replies()
    except StoreError as exc:
        print(f"警告: 读不到数据库里的草稿: {exc.message}", file=sys.stderr)
        return []
    finally:
        db.dispose()


def _refused(exc: Exception) -> int:
    """Say why approval did not happen; the exit code: 1 refused (with each problem), 2 unable."""
    from console.phrases.approve import ApproveError

    print(exc, file=sys.stderr)
    if isinstance(exc, ApproveError):
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    return 2


def _approve(library: Path, forbidden: Path, args: argparse.Namespace, db_url: str | None) -> int:
    from console.phrases.approve import ApproveError, approve
    from console.phrases.forbidden import ForbiddenListError, load_forbidden
    from console.phrases.library import LibraryError, load_library

    reply_id, force = args.id, args.force
    try:
        in_team = _approve_in_team(reply_id, force, args, db_url)
    except (ApproveError, _Unavailable, ForbiddenListError) as exc:
        return _refused(exc)
    if in_team is not None:
        print(f"{reply_id} 已审核通过 (团队库里的话术, 所有工作台马上都能用)" if in_team
              else f"{reply_id} 本来就是 approved, 没有改动")
        return 0
    try:
        rules = load_forbidden(forbidden)
        in_files = load_library(library).get(reply_id) is not None
        if in_files:
            changed = approve(reply_id, library, rules=rules, force=force)
        else:
            changed = _approve_stored(reply_id, rules, force, args, db_url)
    except (ApproveError, ForbiddenListError, LibraryError, _Unavailable) as exc:
        return _refused(exc)
    if changed:
        print(f"{reply_id} 已审核通过" + ("" if in_files else " (数据库里的草稿, 所有工作台都能用了)"))
    else:
        print(f"{reply_id} 本来就是 approved, 没有改动")
    return 0


class _Unavailable(Exception):
    pass


def _approve_in_team(reply_id: str, force: bool, args: argparse.Namespace, db_url: str | None) -> bool | None:
    """With a team library in the database, approve there (a new version of the team's reply
    file; a stored draft goes into its category's file): True, or False if it already was.
    None: the database holds no team library (the shop folder's files are approved)."""
    from console.db import StoreError, _sqlite_path, display_url, open_database
    from console.phrases.approve import ApproveError
    from console.reply_drafts import ReplyDrafts
    from console.team_library import TeamLibrary

    path = _sqlite_path(db_url) if db_url else None
    if db_url is None or (path is not None and not path.is_file()):
        return None
    try:
        db = open_database(db_url)
    except StoreError as exc:
        raise _Unavailable(f"无法打开数据库 {display_url(db_url)}: {exc.message}") from None
    try:
        team = TeamLibrary(db)
        if team.stamp() == 0:
            return None
        try:
            return team.approve_reply(reply_id, _approver(args), force=force)
        except ApproveError:
            from console.clock import SystemClock

            if ReplyDrafts(db, SystemClock()).get(reply_id) is None:
                raise
        return team.approve_draft(reply_id, _approver(args), force=force)
    except StoreError as exc:
        raise _Unavailable(exc.message) from None
    finally:
        db.dispose()


def _approve_stored(reply_id: str, rules, force: bool, args: argparse.Namespace,
                    db_url: str | None) -> bool:
    from console.clock import SystemClock
    from console.db import StoreError, _sqlite_path, display_url, open_database
    from console.phrases.approve import ApproveError
    from console.reply_drafts import ReplyDrafts

    path = _sqlite_path(db_url) if db_url else None
    if db_url is None or (path is not None and not path.is_file()):
        raise ApproveError(f"话术库和数据库里都没有 {reply_id}")
    try:
        db = open_database(db_url)
    except StoreError as exc:
        raise _Unavailable(f"无法打开数据库 {display_url(db_url)}: {exc.message}") from None
    try:
        drafts = ReplyDrafts(db, SystemClock())
        if drafts.get(reply_id) is None:
            raise ApproveError(f"话术库和数据库里都没有 {reply_id}")
        return drafts.approve(reply_id, _approver(args), rules=rules, force=force)
    except StoreError as exc:
        raise _Unavailable(exc.message) from None
    finally:
        db.dispose()


def _approver(args: argparse.Namespace) -> str:
    """Who approves from the shell: --agent, AFTERSALES_AGENT or this computer's name."""
    from console.identity import agent_name

    return agent_name(getattr(args, "agent", None)) or "命令行 (command line)"

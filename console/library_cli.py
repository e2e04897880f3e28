"""`aftersales library status | push | pull DIR | log`: the team's library (团队库) in the database.

Wired in console/cli.py, which resolves the shop folder and the database URL. The work is in
console/team_library.py; this module reads the arguments and prints.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.db import Database
    from console.home import Home
    from console.team_library import Version

NO_LIBRARY = ("数据库里还没有团队库: 每个工作台用自己店铺文件夹里的文件 (单机时就是这样)。\n"
              "要让整个团队用同一套 SOP、话术、禁用语和时效规则: aftersales library push")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "library", help="团队库: 把店铺文件夹的 SOP、话术、禁用语、时效规则放进数据库, 全团队共用",
        description="团队库 (数据库里): 每个工作台用同一套 SOP、话术、禁用语、时效规则和节假日。"
                    "数据库里没有团队库时, 各工作台用自己店铺文件夹里的文件。")
    actions = parser.add_subparsers(dest="library_command", required=True, metavar="{status,push,pull,log}")
    actions.add_parser("status", help="店铺文件夹和团队库哪些文件不一样 (push 会改什么); 一样时退出码 0")
    push = actions.add_parser("push", help="检查店铺文件夹 (同 sop check / phrases check), 没有问题就把它"
                                           "作为团队库的新版本放进数据库; 有问题时什么都不改")
    push.add_argument("--force", action="store_true",
                      help="即使这样会撤回团队库里已审核通过的话术 (店铺文件夹里没有或还是草稿) 也推送")
    pull = actions.add_parser("pull", help="把团队库取回到一个文件夹 (店铺文件夹的结构)")
    pull.add_argument("dir", type=Path, help="文件夹, 例如店铺文件夹本身或一个新的空文件夹")
    pull.add_argument("--force", action="store_true",
                      help="替换文件夹里和团队库不同的文件, 删掉团队库没有的 SOP 和话术文件")
    history = actions.add_parser("log", help="团队库的改动记录: 哪个文件, 第几版, 谁, 什么时候")
    history.add_argument("file", nargs="?", help="只看一个文件, 例如 phrases/refund.txt 或 sla.toml")
    history.add_argument("--limit", type=int, default=50, help="最多显示几条 (默认 50)")
    return parser


def run(args: argparse.Namespace, home: Home, url: str) -> int:
    from console.db import StoreError, _sqlite_path, display_url, open_database

    command = args.library_command
    path = _sqlite_path(url)
    if command != "push" and path is not None and not path.is_file():
        print(f"数据库不存在: {display_url(url)}\n{NO_LIBRARY}", file=sys.stderr)
        return 1
    try:
        db = open_database(url)
    except StoreError as exc:
        print(f"无法打开数据库 {display_url(url)}\n{exc.message}", file=sys.stderr)
        return 2
    try:
        if command == "push":
            return _push(db, home, args)
        if command == "status":
            return _status(db, home)
        if command == "pull":
            return _pull(db, home, args)
        return _log(db, home, args)
    except StoreError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    finally:
        db.close()


def _push(db: Database, home: Home, args: argparse.Namespace) -> int:
    from console.db import display_url
    from console.home import ITEM_LABELS
    from console.identity import agent_name
    from console.team_library import TeamLibrary, check_folder, read_folder, withdrawn_approvals

    print(f"检查店铺文件夹 {home.root} (和 aftersales sop check、phrases check 一样)…")
    files, unreadable = read_folder(home)
    problems = list(unreadable.values()) + check_folder(home)
    if problems:
        print(f"没有推送: 有 {len(problems)} 个问题, 团队库没有改动。改正后再运行 aftersales library push:",
              file=sys.stderr)
        for problem in problems:
            print(f"  ✖ {problem}", file=sys.stderr)
        return 1
    team = TeamLibrary(db)
    withdrawn = withdrawn_approvals(files, team.current())
    if withdrawn and not args.force:
        print("没有推送: 团队库里这些话术已经审核通过, 店铺文件夹里却没有或还是草稿, 推送会把审核撤回。"
              "先 aftersales library pull 把团队的版本取回来 (再改), 或加 --force 撤回它们:", file=sys.stderr)
        for reply_id, version in withdrawn:
            print(f"  ✖ {reply_id}: {version.path} v{version.version} ({version.agent} {_when(version, home)}"
                  f"{' ' + version.note if version.note else ''})", file=sys.stderr)
        return 1
    agent = agent_name(getattr(args, "agent", None)) or "命令行"
    report = team.push(files, agent)
    if not report.any:
        print(f"团队库和店铺文件夹一样 ({report.unchanged} 个文件), 没有改动。")
        return 0
    if report.added and not (report.changed or report.removed or report.unchanged):
        print(f"团队库已建立 ({display_url(db.url)}, 由 {agent}): {len(report.added)} 个文件")
        for item, count in _by_item(report.added).items():
            print(f"  + {ITEM_LABELS.get(item, item)}" + (f" {count} 个文件" if item in ("sop", "phrases") else ""))
        print("从现在起, 用这个数据库的工作台 (下次启动时) 都按团队库工作: 同样的 SOP、话术、禁用语和时效规则。")
        return 0
    print(f"团队库已更新 ({display_url(db.url)}, 由 {agent}):")
    for path in report.added:
        print(f"  + {path} (新增)")
    for path, before in report.changed:
        print(f"  ~ {path} (v{before.version} → v{before.version + 1})")
    for path in report.removed:
        print(f"  - {path} (删除)")
    if report.unchanged:
        print(f"  其余 {report.unchanged} 个文件和团队库一样。")
    clocks = any(p in ("sla.toml", "holidays.toml") for p in report.added + report.removed) or any(
        p in ("sla.toml", "holidays.toml") for p, _ in report.changed)
    print("开着的工作台马上用上新的 SOP、话术和禁用语"
          + ("; 时效规则和节假日的改动在各工作台重启后生效。" if clocks else "。"))
    return 0


def _by_item(paths: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in paths:
        item = path.split("/")[0]
        counts[item] = counts.get(item, 0) + 1
    return counts


def _status(db: Database, home: Home) -> int:
    from console.db import display_url
    from console.team_library import CHANGED, LOCAL_ONLY, TeamLibrary, compare, read_folder

    team = TeamLibrary(db).current()
    if not team:
        print(NO_LIBRARY)
        return 1
    files, unreadable = read_folder(home)
    newest = max(team.values(), key=lambda v: v.id)
    print(f"团队库: {display_url(db.url)}, {len(team)} 个文件, 最后一次改动 {newest.path} v{newest.version}"
          f" ({newest.agent} {_when(newest, home)}{' ' + newest.note if newest.note else ''})")
    print(f"店铺文件夹: {home.root}")
    differences = compare(files, team, unreadable)
    if not differences:
        print(f"结论: 一样 ({len(team)} 个文件)")
        return 0
    for d in differences:
        item = d.path.split("/")[0]
        shipped = "" if home.is_own(item) else " [店铺文件夹没有, 用的是程序自带的]"
        if d.path in unreadable:
            print(f"  ✖ {d.path}: {unreadable[d.path]}")
        elif d.state == CHANGED:
            v = d.team
            assert v is not None
            print(f"  ≠ {d.path}: 和团队的 v{v.version} 不同 ({v.agent} {_when(v, home)}"
                  f"{' ' + v.note if v.note else ''}){shipped}")
        elif d.state == LOCAL_ONLY:
            print(f"  + {d.path}: 只在店铺文件夹里 (push 会加入团队库){shipped}")
        else:
            print(f"  - {d.path}: 只在团队库里 (push 会删除它, pull 会取回它)")
    print(f"结论: {len(differences)} 个文件不一样。aftersales library push 用店铺文件夹的替换团队库的;"
          " aftersales library pull 文件夹 取回团队的。")
    return 1


def _pull(db: Database, home: Home, args: argparse.Namespace) -> int:
    from console.team_library import LibraryError, TeamLibrary, pull

    team = TeamLibrary(db).current()
    if not team:
        print(NO_LIBRARY, file=sys.stderr)
        return 1
    try:
        report = pull(team, args.dir, force=args.force)
    except LibraryError as exc:
        print(exc.message, file=sys.stderr)
        for problem in exc.problems:
            print(f"  ✖ {problem}", file=sys.stderr)
        return 1
    print(f"已把团队库取回到 {report.dest}: 写入 {len(report.written)} 个文件, {report.same} 个本来就一样"
          + (f", 删掉 {len(report.deleted)} 个团队库没有的" if report.deleted else "") + "。")
    for path in report.written:
        print(f"  ↓ {path} (v{team[path].version})")
    for path in report.deleted:
        print(f"  - {path}")
    return 0


def _log(db: Database, home: Home, args: argparse.Namespace) -> int:
    from console.team_library import TeamLibrary, split_path

    if args.file:
        try:
            split_path(args.file.replace("\\", "/"))
        except KeyError:
            print(f"{args.file} 不是团队库里的文件 (例如 sla.toml、sop/return.toml、phrases/refund.txt)",
                  file=sys.stderr)
            return 2
    versions = TeamLibrary(db).history(args.file.replace("\\", "/") if args.file else None)
    if not versions:
        print(NO_LIBRARY if not args.file else f"团队库里没有 {args.file}")
        return 1
    for v in versions[: max(1, args.limit)]:
        what = "删除" if v.removed else (v.note or "")
        print(f"{_when(v, home, '%Y-%m-%d %H:%M:%S')}  {v.agent:<8} {v.path} v{v.version}  {what}")
    if len(versions) > args.limit:
        print(f"… 还有 {len(versions) - args.limit} 条 (--limit)")
    return 0


def _when(version: Version, home: Home, fmt: str = "%m-%d %H:%M") -> str:
    """The time of a version in the shop's zone (that of its sla.toml; else Asia/Shanghai)."""
    return version.at.astimezone(_zone(str(home.sla_file), str(home.holidays_file))).strftime(fmt)


@functools.cache
def _zone(sla: str, holidays: str):
    from zoneinfo import ZoneInfo

    from console.sla import PolicyError, load_policy

    try:
        return load_policy(sla, holidays).timezone
    except PolicyError:
        return ZoneInfo("Asia/Shanghai")

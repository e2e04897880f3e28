"""`aftersales`: open the console, set up a shop folder, load demo cases, check the files."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime

from console.home import ENV_HOME, ITEM_LABELS, ITEMS, Home, HomeError
from console.identity import IdentityError


def agent_name(arg: str | None, remembered_file=None) -> str | None:
    """--agent, else AFTERSALES_AGENT, else the name remembered on this computer; None: ask.

    Never the operating-system account (often `root` or `administrator`).
    IdentityError for a bad name or an unreadable remembered-name file.
    """
    from console.identity import check_name, remembered_name

    given = arg if arg is not None else os.environ.get("AFTERSALES_AGENT")
    if given is not None and given.strip():
        return check_name(given)
    return remembered_name(remembered_file)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aftersales", description="售后工作台 · after-sales console")
    parser.add_argument("--home", metavar="DIR",
                        help=f"店铺文件夹: SOP、话术、禁用语、时效规则、config.toml 和数据库 "
                             f"(默认环境变量 {ENV_HOME},或每个用户自己的文件夹, 见 aftersales where)")
    parser.add_argument("--db", help="数据库文件路径或 URL (默认 店铺文件夹/console.db,或环境变量 AFTERSALES_DB)")
    parser.add_argument("--agent", help="客服名字 (默认环境变量 AFTERSALES_AGENT,或这台电脑记住的名字)")
    parser.add_argument("--sla", help="时效规则文件 (默认 店铺文件夹/sla.toml,没有则用程序自带的)")
    parser.add_argument("--shop", help="店铺名,填进话术的 {shop_name} (默认环境变量 AFTERSALES_SHOP,"
                                       "或 config.toml 的 [shop] name)")
    parser.add_argument("--no-demo-offer", action="store_true", help="空数据库时不提示载入演示工单")
    sub = parser.add_subparsers(dest="command")
    init = sub.add_parser("init", help="建立店铺文件夹: 复制默认的 SOP、话术、禁用语、时效规则 (不覆盖已有文件)")
    init.add_argument("dir", nargs="?", help="店铺文件夹 (默认 --home / AFTERSALES_HOME / 每个用户自己的文件夹)")
    sub.add_parser("where", help="显示店铺文件夹、各文件从哪里读、数据库和客服名字的位置")
    whoami = sub.add_parser("whoami", help="显示或修改这台电脑记住的客服名字")
    whoami.add_argument("name", nargs="?", help="新名字 (不给则显示当前的)")
    demo = sub.add_parser("demo", help="载入演示工单 (load demo cases)")
    demo.add_argument("--cases", type=int, default=200, help="工单数量 (默认 200)")
    demo.add_argument("--open-ratio", type=float, default=0.9, help="未结工单比例 (默认 0.9)")
    demo.add_argument("--seed", type=int, default=7)
    role = sub.add_parser("agent", help="设置客服角色 (set an agent's role)")
    role.add_argument("name", help="客服名字")
    role.add_argument("--role", choices=("agent", "specialist", "supervisor"), required=True,
                      help="agent 客服 / specialist 专员 (加急工单转给专员才算) / supervisor 主管")
    from console.sop.cli import add_parser as add_sop

    add_sop(sub)
    from console.phrases.cli import add_parser as add_phrases

    add_phrases(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    _never_fail_on_output()
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except (HomeError, IdentityError) as exc:
        print(exc.message, file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.command == "init":
        return _init(args)
    if args.command == "whoami":
        return _whoami(args)
    from console.home import resolve

    home = resolve(args.home)
    if args.command == "where":
        return _where(home, args)
    if args.command == "sop":
        # Checking and walking the trees needs no database.
        from console.sop.cli import run as run_sop

        args.sop_dir = getattr(args, "sop_dir", None) or str(home.sop_dir)
        args.sla = args.sla or str(home.sla_file)
        args.holidays = str(home.holidays_file)
        return run_sop(args, reply_ids=_reply_ids(home))
    if args.command == "phrases":
        from console.phrases.cli import run as run_phrases

        return run_phrases(args, home=home, db_url=_db_url(args, home))
    from console.db import StoreError, open_database
    from console.sla import PolicyError, load_policy

    sla = args.sla or home.sla_file
    try:
        policy = load_policy(sla, home.holidays_file)
    except PolicyError as exc:
        print(f"时效规则或节假日文件有误: {exc}", file=sys.stderr)
        return 2
    url = _db_url(args, home)
    if url == _home_db_url(home):
        from console.home import ensure_root

        if ensure_root(home):
            print(f"已建立店铺文件夹 {home.root} (数据库放在这里)。"
                  f"要修改 SOP、话术、时效规则: aftersales init", file=sys.stderr)
    try:
        db = open_database(url)
    except StoreError as exc:
        print(f"无法打开数据库 {url}\n{exc.message}", file=sys.stderr)
        return 2
    if args.command == "agent":
        from console.cases import Cases
        from console.clock import SystemClock
        from console.identity import check_name

        name = check_name(args.name)
        try:
            Cases(db, policy, SystemClock()).set_role(name, args.role)
        except StoreError as exc:
            print(exc.message, file=sys.stderr)
            return 2
        print(f"{name} 的角色: {args.role}")
        return 0
    agent = agent_name(args.agent)  # None: the console asks on first start
    if args.command == "demo":
        return _demo(db, policy, agent, args)

    from console.app import AftersalesApp

    shop = (args.shop or os.environ.get("AFTERSALES_SHOP") or "").strip()
    AftersalesApp(db, policy, agent, offer_demo=not args.no_demo_offer, shop_name=shop, home=home).run()
    return 0


def _never_fail_on_output() -> None:
    """Output redirected to a file on Windows uses the ANSI code page (GBK): a character it
    lacks becomes "?" instead of a UnicodeEncodeError traceback."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="replace")
            except (OSError, ValueError):
                pass


def _db_url(args: argparse.Namespace, home: Home) -> str:
    from console.db import resolve_url

    return resolve_url(args.db, default=home.db_file)


def _home_db_url(home: Home) -> str:
    from console.db import resolve_url

    return resolve_url(str(home.db_file))


def _init(args: argparse.Namespace) -> int:
    from console.home import chosen_root, init

    root = chosen_root(args.dir or args.home)[0]
    report = init(root)
    print(f"店铺文件夹: {report.root}")
    if report.copied:
        print(f"已复制 {len(report.copied)} 个文件 (程序自带的默认内容和 config.toml 模板)。")
    for path in report.kept:
        print(f"  已有, 保留未动: {path.relative_to(report.root)}")
    used_anyway = chosen_root(None)[0] == report.root
    option = "" if used_anyway else f' --home "{report.root}"'
    print("接下来: 编辑 config.toml 填上店铺名和退货地址; 改完 SOP 或话术后运行\n"
          f"  aftersales{option} sop check\n"
          f"  aftersales{option} phrases check")
    if not used_anyway:
        print(f"启动时加 --home \"{report.root}\" 或设置环境变量 {ENV_HOME}, 程序才会用这个文件夹。")
    return 0


def _whoami(args: argparse.Namespace) -> int:
    from console.identity import identity_file, remember_name, remembered_name

    if args.name is None:
        name = remembered_name()
        if name is None:
            print(f"这台电脑还没有记住客服名字; 下次启动时会询问 (文件: {identity_file()})")
        else:
            print(f"{name}  (记在 {identity_file()})")
        return 0
    path = remember_name(args.name)
    print(f"已记住: {args.name.strip()}  (文件: {path})")
    return 0


def _where(home: Home, args: argparse.Namespace) -> int:
    from console.identity import identity_file

    origin = {"--home": "--home 选项", ENV_HOME: f"环境变量 {ENV_HOME}",
              "default": "默认"}[home.origin]
    exists = "" if home.root.is_dir() else " (还不存在; aftersales init 建立它)"
    print(f"店铺文件夹: {home.root}  [{origin}]{exists}")
    for item in ITEMS:
        whose = "店铺自己的" if home.is_own(item) else "程序自带 (只读)"
        print(f"  {ITEM_LABELS[item]}: {home.source(item)}  [{whose}]")
    config = home.config_file if home.config_file.is_file() else "没有 (aftersales init 会建立模板)"
    print(f"  店铺设置: {config}")
    print(f"数据库: {_db_url(args, home)}")
    print(f"客服名字: {identity_file()}")
    return 0


def _demo(db, policy, agent, args) -> int:
    from console.db import StoreError
    from console.demo import populate

    if args.cases <= 0 or not 0 <= args.open_ratio <= 1:
        print("--cases 必须大于 0,--open-ratio 在 0 到 1 之间", file=sys.stderr)
        return 2
    try:
        n = populate(db, policy, datetime.now(UTC), args.cases, open_ratio=args.open_ratio,
                     seed=args.seed, agent=agent)
    except StoreError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    print(f"已载入 {n} 条演示工单 → {db.url}")
    return 0


def _reply_ids(home: Home) -> set[str] | None:
    """Ids of the reply library, for checking the SOP trees' links (None if unavailable)."""
    try:
        from console.phrases import load_library
    except ImportError:
        return None
    try:
        return {reply.id for reply in load_library(home.phrases_dir).replies}
    except Exception:  # noqa: BLE001 - a broken library is reported by `phrases check`
        return None

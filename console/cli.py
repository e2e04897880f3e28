"""`aftersales`: open the console, set up a shop folder, load demo cases, check the files."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import UTC, datetime

from console.home import ENV_HOME, ITEM_LABELS, ITEMS, Home, HomeError
from console.identity import IdentityError

log = logging.getLogger("console.cli")


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
    demo.add_argument("--cases", type=int, help="工单数量 (默认 200)")
    demo.add_argument("--open-ratio", type=float, help="未结工单比例 (默认 0.9)")
    demo.add_argument("--days", type=int, metavar="N",
                      help="改为生成截至今天 N 天的工作历史: 一个团队按早晚班处理工单、回复、交接 (给主管看数据用)")
    demo.add_argument("--add", action="store_true", help="和 --days 一起: 数据库里已有工单也照样生成")
    demo.add_argument("--seed", type=int, default=7)
    role = sub.add_parser("agent", help="设置客服角色 (set an agent's role)")
    role.add_argument("name", help="客服名字")
    role.add_argument("--role", choices=("agent", "specialist", "supervisor"), required=True,
                      help="agent 客服 / specialist 专员 (加急工单转给专员才算) / supervisor 主管")
    db = sub.add_parser("db", help="数据库: 备份 (backup)、检查 (check)、搬到服务器 (copy)")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="{backup,check,copy}")
    backup = db_sub.add_parser("backup", help="把数据库备份到一个文件 (SQLite 在线备份, 工作台开着也可以)")
    backup.add_argument("file", help="备份文件 (已存在时不覆盖, 除非加 --force)")
    backup.add_argument("--force", action="store_true", help="覆盖已存在的备份文件")
    db_sub.add_parser("check", help="检查数据库: 完整性、结构版本、工单和笔记数量、日志位置")
    copy = db_sub.add_parser("copy", help="把一台电脑上的 SQLite 数据库整个复制到一个空的 PostgreSQL 数据库"
                                          " (全部工单和历史, 编号不变; 复制后核对)")
    copy.add_argument("source", metavar="SQLITE_FILE", help="工作台的数据库文件, 例如 店铺文件夹/console.db")
    copy.add_argument("target", metavar="POSTGRES_URL",
                      help="新建的空数据库, 例如 postgresql+psycopg://aftersales@服务器/shop")
    from console.sop.cli import add_parser as add_sop

    add_sop(sub)
    from console.phrases.cli import add_parser as add_phrases

    add_phrases(sub)
    from console.report_cli import add_parser as add_report

    add_report(sub)
    from console.library_cli import add_parser as add_library

    add_library(sub)
    from console.import_cli import add_parser as add_import

    add_import(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    _never_fail_on_output()
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except (HomeError, IdentityError) as exc:
        print(exc.message, file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - a traceback never reaches the agent: it goes to the log
        from console.log import exc_info, log_path
        from console.log import setup as setup_log

        path = log_path() or setup_log(None)
        log.critical("意外错误 (aftersales %s)", args.command or "", exc_info=exc_info(exc))
        where = (f"\n详细情况已写入日志: {path}\n请把这个文件发给负责工作台的同事。"
                 if path is not None else "")
        print(f"出现意外错误, 没有完成: {type(exc).__name__}{where}", file=sys.stderr)
        return 1


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

        _start_log(home, args, _db_url(args, home))
        return run_phrases(args, home=home, db_url=_db_url(args, home))
    if args.command == "db":
        url = _db_url(args, home) if args.db_command != "copy" else _db_url_of(args.source)
        _start_log(home, args, url)
        return _db(args, url)
    if args.command == "library":
        from console.library_cli import run as run_library

        url = _db_url(args, home)
        _start_log(home, args, url)
        return run_library(args, home, url)
    from console.db import StoreError, open_database

    url = _db_url(args, home)
    if url == _home_db_url(home):
        from console.home import ensure_root

        if ensure_root(home):
            print(f"已建立店铺文件夹 {home.root} (数据库放在这里)。"
                  f"要修改 SOP、话术、时效规则: aftersales init", file=sys.stderr)
    _start_log(home, args, url)
    try:
        db = open_database(url)
    except StoreError as exc:
        print(f"无法打开数据库 {_shown_url(url)}\n{exc.message}", file=sys.stderr)
        return 2
    try:
        loaded = _library_and_policy(db, home, args)
        if isinstance(loaded, int):
            return loaded
        return _with_database(db, *loaded, home, args)
    finally:
        # A clean end folds the write-ahead log into the file: a copy of the .db alone is whole.
        db.close()


def _library_and_policy(db, home: Home, args: argparse.Namespace):
    """(library, policy) as services.library_and_policy chooses them; an exit code when they
    cannot be used, with the reason printed."""
    from console.db import StoreError
    from console.services import library_and_policy
    from console.sla import PolicyError

    try:
        library, policy, ignored = library_and_policy(db, home, args.sla)
    except StoreError as exc:
        print(f"读不到数据库里的团队库: {exc.message}", file=sys.stderr)
        return 2
    except PolicyError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if ignored:
        print("数据库里有团队库: 用团队的时效规则, 没有用 --sla 给的文件 (每个工作台的计时都一样)。",
              file=sys.stderr)
    return library, policy


def _with_database(db, library, policy, home: Home, args: argparse.Namespace) -> int:
    try:
        return _use_database(db, library, policy, home, args)
    finally:
        library.close()


def _use_database(db, library, policy, home: Home, args: argparse.Namespace) -> int:
    from console.db import StoreError

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
    if args.command == "report":
        from console.report_cli import run as run_report

        return run_report(db, policy, args)
    from console.identity import agent_name

    agent = agent_name(args.agent)  # None: the console asks on first start
    if args.command == "demo":
        if args.days is not None:
            return _demo_history(db, policy, library, args)
        return _demo(db, policy, agent, args)
    if args.command == "import":
        return _import(db, policy, home, agent, args)

    from console.app import AftersalesApp
    from console.services import build_services

    shop = (args.shop or os.environ.get("AFTERSALES_SHOP") or "").strip()
    services = build_services(db, policy, home=home, agent=agent or "", library=library)
    app = AftersalesApp(services, agent, offer_demo=not args.no_demo_offer, shop_name=shop)
    app.run()
    # After an unexpected exception the app has printed a calm message with the log's path.
    return app.return_code or 0


def _import(db, policy, home: Home, agent: str | None, args: argparse.Namespace) -> int:
    """`aftersales import`: every change is an event in the agent's name, so it needs one."""
    from console.cases import Cases
    from console.clock import SystemClock
    from console.import_cli import run

    if not agent:
        print("导入需要知道是哪位客服: 加 --agent 名字, 或先运行 aftersales whoami 名字", file=sys.stderr)
        return 2
    cases = Cases(db, policy, SystemClock())
    cases.ensure_agent(agent)
    return run(args, cases, home, agent)


def _start_log(home: Home, args: argparse.Namespace, url: str) -> None:
    """Log to the shop folder's logs/console.log from here on (a temp folder if it cannot)."""
    from console.db import display_url
    from console.log import setup as setup_log

    setup_log(home.root)
    command = args.command or "(工作台)"
    if args.command == "db":
        command = f"db {args.db_command}"
    log.info("aftersales %s: 数据库 %s", command, display_url(url))


def _shown_url(url: str) -> str:
    from console.db import display_url

    return display_url(url)


def _db(args: argparse.Namespace, url: str) -> int:
    """`db backup FILE` and `db check`."""
    from console import dbtools
    from console.db import StoreError

    if args.db_command == "copy":
        return _copy(args, url)
    if args.db_command == "backup":
        try:
            report = dbtools.backup(url, args.file, force=args.force)
        except dbtools.NotSQLite as exc:
            print(exc.advice, file=sys.stderr)
            return 2
        except StoreError as exc:
            print(f"没有备份: {exc.message}", file=sys.stderr)
            return 2
        print(f"已备份到 {report.file} ({_size(report.size)})")
        print(f"  {dbtools.format_counts(report.counts)}")
        return 0
    report = dbtools.check(url)
    from console.db import SCHEMA_HEAD, one_line, revision_problem
    from console.log import log_path

    size = ""
    if report.size is not None:
        size = f"  ({_size(report.size)}, -wal {_size(report.wal_size or 0)})"
    print(f"数据库: {report.database}{size}")
    if report.integrity:
        print("完整性检查: " + ("正常 (ok)" if report.integrity == ["ok"] else "有问题"))
    elif report.size is not None and report.ok:
        print("完整性检查: 没有运行")
    if report.revision is not None or report.ok:
        state = ("最新" if report.revision == SCHEMA_HEAD
                 else "空数据库, 首次启动时建表" if report.revision is None
                 else "本程序不认识" if revision_problem(report.revision)
                 else f"较旧, 下次启动工作台时会升级到 {SCHEMA_HEAD}")
        shown = one_line(report.revision) if report.revision is not None else "-"
        print(f"结构版本: {shown} (本程序: {SCHEMA_HEAD}, {state})")
    if report.counts:
        print(f"数量: {dbtools.format_counts(report.counts)}")
    path = log_path()
    print(f"日志: {path}" if path is not None else "日志: 无法写入日志文件")
    if report.ok:
        print("结论: 正常")
        return 0
    print("结论: 发现问题", file=sys.stderr)
    for problem in report.problems:
        print(f"  ✖ {problem}", file=sys.stderr)
    return 1


def _copy(args: argparse.Namespace, source: str) -> int:
    """`db copy SQLITE_FILE POSTGRES_URL`: what was copied and what was checked, table by table."""
    from console import dbtools
    from console.db import StoreError, display_url

    print(f"从 {_shown_url(source)} 复制到 {display_url(args.target)} (一个事务: 全部复制, 或者什么都不写)")
    try:
        report = dbtools.copy_to_server(source, args.target,
                                        progress=lambda table, n: print(f"  {table}: {n} 行", flush=True))
    except dbtools.CopyMismatch as exc:
        _print_checks(exc.report)
        print(f"结论: {exc.message}", file=sys.stderr)
        return 1
    except StoreError as exc:
        print(f"没有复制: {exc.message}", file=sys.stderr)
        return 2
    _print_checks(report)
    if not report.ok:
        print("结论: 复制已提交, 但再读一遍时和源不一致:", file=sys.stderr)
        for problem in report.mismatches:
            print(f"  ✖ {problem}", file=sys.stderr)
        return 1
    print(f"结论: 已复制, 各表行数和校验一致。各位客服现在可以用 --db {display_url(args.target)} 启动"
          " (密码照常写在 --db 或 AFTERSALES_DB 里)。源文件没有改动。")
    return 0


def _print_checks(report) -> None:
    from console import dbtools

    print("核对 (源 → 目标):")
    for table, (a, b) in report.rows.items():
        print(f"  {'✓' if a == b else '✖'} {table}: {a} → {b} 行")
    for key, (a, b) in report.sums.items():
        print(f"  {'✓' if a == b else '✖'} {dbtools.SUMS[key][0]}: {a} → {b}")
    if report.latest is not None:
        a, b = report.latest
        print(f"  {'✓' if a == b else '✖'} 最近一次工单改动: {a} → {b}")


def _db_url_of(path_or_url: str) -> str:
    from console.db import resolve_url

    return resolve_url(path_or_url)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


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
    url = _db_url(args, home)
    print(f"数据库: {_shown_url(url)}")
    team = _team_library_line(url)
    if team:
        print(team)
    print(f"客服名字: {identity_file()}")
    from console.log import default_path

    print(f"日志: {default_path(home.root)}  (出了问题请把它发给负责工作台的同事)")
    return 0


def _team_library_line(url: str) -> str:
    """For `where`: whether the database holds a team library, which then replaces the files
    above; "" when it holds none or there is no database yet. Never creates or upgrades it."""
    from console.db import StoreError, _sqlite_path, open_database
    from console.team_library import TeamLibrary

    path = _sqlite_path(url)
    if path is not None and not path.is_file():
        return ""
    try:
        db = open_database(url, migrate=False)
    except StoreError as exc:
        return f"团队库: 读不到数据库 ({exc.message})"
    try:
        current = TeamLibrary(db).current()
    except Exception:  # noqa: BLE001 - an older schema has no library table: no team library
        return ""
    finally:
        db.dispose()
    if not current:
        return ""
    newest = max(current.values(), key=lambda v: v.id)
    return (f"团队库: 数据库里有 ({len(current)} 个文件, 最后改动 {newest.path} v{newest.version} {newest.agent})。"
            "工作台用团队库的 SOP、话术、禁用语、时效规则和节假日, 不用上面的文件;"
            " 它们是 aftersales library push 的来源 (library status 看哪里不一样)")


def _demo(db, policy, agent, args) -> int:
    from console.db import StoreError
    from console.demo import populate

    if args.add:
        print("--add 只和 --days 一起用", file=sys.stderr)
        return 2
    args.cases = 200 if args.cases is None else args.cases
    args.open_ratio = 0.9 if args.open_ratio is None else args.open_ratio
    if args.cases <= 0 or not 0 <= args.open_ratio <= 1:
        print("--cases 必须大于 0,--open-ratio 在 0 到 1 之间", file=sys.stderr)
        return 2
    try:
        n = populate(db, policy, datetime.now(UTC), args.cases, open_ratio=args.open_ratio,
                     seed=args.seed, agent=agent)
    except StoreError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    print(f"已载入 {n} 条演示工单 → {_shown_url(db.url)}")
    return 0


def _demo_history(db, policy, library, args) -> int:
    """`demo --days N`: a team's month of work, through the real stores (console/demo_history.py)."""
    from sqlalchemy import func, select

    from console.db import StoreError
    from console.demo_history import produce
    from console.demo_team import SPECIALIST, SUPERVISOR
    from console.libraries import SopTrees
    from console.models import Case
    from console.phrases import load_library as load_phrases

    if args.cases is not None or args.open_ratio is not None:
        print("--days 生成的是工作历史, 工单数量由团队每天的工作量决定: 不能和 --cases、--open-ratio 一起用",
              file=sys.stderr)
        return 2
    if not 1 <= args.days <= 366:
        print("--days 应在 1 到 366 之间", file=sys.stderr)
        return 2
    try:
        with db.read() as s:
            existing = s.exec(select(func.count()).select_from(Case)).one()[0]
        if existing and not args.add:
            print(f"数据库 {_shown_url(db.url)} 里已经有 {existing} 个工单, 什么都没有生成。\n"
                  "演示历史最好放在一个新的数据库里 (例如 --db demo.db); 确实要加在已有工单之后, 请加 --add。",
                  file=sys.stderr)
            return 2
        tty = sys.stderr.isatty()

        def progress(day: str) -> None:
            if tty:
                print(f"\r正在生成 {day} …", end="", file=sys.stderr, flush=True)

        produced = produce(db, policy, days=args.days, end=datetime.now(UTC), seed=args.seed,
                           sop=SopTrees(library, policy).get(), phrases=load_phrases(library.phrases_dir),
                           progress=progress)
        if tty:
            print("\r", end="", file=sys.stderr)
    except StoreError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    p = produced
    team = "、".join(p.agents)
    print(f"已生成 {p.days} 天的演示历史 ({p.first} 至 {p.last}) → {_shown_url(db.url)}\n"
          f"  工单 {p.cases} 个 (最后一天的部分还没处理完), 记录 {p.events} 条, 复制话术 {p.copies} 次, "
          f"交接班 {p.handovers} 次\n"
          f"  团队 {len(p.agents)} 人: {team} (主管 {SUPERVISOR}, 专员 {SPECIALIST}; 早班 9–17 点, 晚班 14–22 点)")
    if p.skipped:
        log.warning("演示历史: %d 个工单的步骤被拒绝: %s", p.skipped, "; ".join(p.problems[:5]))
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

"""`aftersales`: open the console, or load demo cases, from the shell."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import UTC, datetime


def agent_name(arg: str | None) -> str:
    """--agent, else AFTERSALES_AGENT, else the OS user."""
    name = (arg or os.environ.get("AFTERSALES_AGENT") or "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except Exception:  # noqa: BLE001 - no user entry in a container
            name = "agent"
    return name[:64]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aftersales", description="售后工作台 · after-sales console")
    parser.add_argument("--db", help="数据库文件路径或 URL (默认 data/console.db,或环境变量 AFTERSALES_DB)")
    parser.add_argument("--agent", help="客服名字 (默认环境变量 AFTERSALES_AGENT,或系统用户名)")
    parser.add_argument("--sla", help="时效规则文件 (默认 data/sla.toml)")
    parser.add_argument("--shop", help="店铺名,填进话术的 {shop_name} (默认环境变量 AFTERSALES_SHOP)")
    parser.add_argument("--no-demo-offer", action="store_true", help="空数据库时不提示载入演示工单")
    sub = parser.add_subparsers(dest="command")
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
    args = build_parser().parse_args(argv)
    if args.command == "sop":
        # Checking and walking the trees needs no database.
        from console.sop.cli import run as run_sop

        return run_sop(args, reply_ids=_reply_ids())
    if args.command == "phrases":
        from console.phrases.cli import run as run_phrases

        return run_phrases(args)
    from console.db import StoreError, open_database, resolve_url
    from console.sla import DEFAULT_POLICY, PolicyError, load_policy

    try:
        policy = load_policy(args.sla or DEFAULT_POLICY)
    except PolicyError as exc:
        print(f"时效规则文件有误: {exc}", file=sys.stderr)
        return 2
    url = resolve_url(args.db)
    try:
        db = open_database(url)
    except StoreError as exc:
        print(f"无法打开数据库 {url}\n{exc.message}", file=sys.stderr)
        return 2
    agent = agent_name(args.agent)

    if args.command == "demo":
        return _demo(db, policy, agent, args)
    if args.command == "agent":
        from console.cases import Cases
        from console.clock import SystemClock

        try:
            Cases(db, policy, SystemClock()).set_role(args.name.strip(), args.role)
        except StoreError as exc:
            print(exc.message, file=sys.stderr)
            return 2
        print(f"{args.name.strip()} 的角色: {args.role}")
        return 0

    from console.app import AftersalesApp

    shop = (args.shop or os.environ.get("AFTERSALES_SHOP") or "").strip()
    AftersalesApp(db, policy, agent, offer_demo=not args.no_demo_offer, shop_name=shop).run()
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


def _reply_ids() -> set[str] | None:
    """Ids of the reply library, for checking the SOP trees' links (None if unavailable)."""
    try:
        from console.phrases import load_library
    except ImportError:
        return None
    try:
        return {reply.id for reply in load_library().replies}
    except Exception:  # noqa: BLE001 - a broken library is reported by `phrases check`
        return None

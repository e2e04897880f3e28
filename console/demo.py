"""Demo cases: realistic Chinese buyer IDs, order numbers, kinds and deadlines spread from
overdue to days ahead. Used by the first-start offer, `aftersales demo` and the benchmark.

Rows are written in bulk through SQLAlchemy Core (a million cases in well under a minute);
the deadline arithmetic is the same `sla` code the console uses.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select

from console.db import Database, reset_sequences
from console.models import NO_DEADLINE, Agent, Case, CaseEvent, Deadline
from console.sla import Policy, pause

_NICK_HEADS = [
    "小鱼儿", "甜甜圈", "奶茶不加糖", "夏天的风", "橘子汽水", "喵星人", "木子李", "阿狸",
    "星星点灯", "糖糖", "清风徐来", "晴天娃娃", "小熊软糖", "柠檬精", "大白兔", "云朵",
    "向日葵", "考拉", "芒果布丁", "海盐芝士", "七月", "南方姑娘", "胖虎", "栗子",
]
_LATIN_HEADS = ["momo", "jiayi", "lucky", "xiaomei", "tb", "coco", "sunny", "anna", "kiki", "leo"]

_DESCRIPTIONS = {
    "logistics": [
        "快递三天没有更新了,麻烦帮忙查一下到哪了",
        "显示已签收但我没收到,家里也没人代收",
        "物流一直停在中转站,什么时候能到?",
        "快递员说地址不对送不了,我地址没写错",
    ],
    "return": [
        "收到的颜色和图片不一样,想退货",
        "买大了一个码,还没拆吊牌,可以退吗",
        "还没发货的话我不要了,想直接退",
        "瓶口漏了一半,要求退货",
    ],
    "exchange": [
        "尺码偏小,想换大一号",
        "发错颜色了,我拍的是米白色",
        "试用装用了不太适合,能换别的吗",
    ],
    "refund": [
        "申请了退款,请尽快处理",
        "商品有一处脱线,想退点差价",
        "还没发货,申请仅退款",
        "退货已经寄回,单号填了,什么时候退款",
    ],
    "payment": [
        "昨天下单还没付款,提醒一下买家",
        "订单未付款,买家说工资到了再付",
    ],
    "followup": [
        "签收三天,回访使用情况",
        "缺货商品到货通知回访",
    ],
    "complaint": [
        "对客服态度不满意,要求给说法",
        "用了以后脸上过敏发红,要投诉",
        "说好昨天回电话一直没人联系,已经申请小二介入",
    ],
    "other": [
        "发票抬头开错了,需要重开",
        "优惠券没有抵扣成功",
        "会员积分没有到账",
    ],
}
_KIND_WEIGHTS = {
    "logistics": 25, "return": 20, "refund": 20, "exchange": 10,
    "complaint": 8, "payment": 7, "followup": 5, "other": 5,
}
_OPEN_STATUS_WEIGHTS = {"new": 20, "in_progress": 40, "waiting_buyer": 15, "waiting_warehouse": 10, "waiting_courier": 15}
_AGENTS = ["小王", "小李", "阿珍", "老陈"]
# 老陈 is the team's specialist: urgent cases handed to him meet the 2-hour clock.
_ROLES = {"老陈": "specialist"}
# Kinds the shop starts itself (a reminder call, a follow-up call): no buyer waits for a reply.
_SHOP_STARTED = {"payment": 0.9, "followup": 1.0}


def buyer_id(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.55:
        return rng.choice(_NICK_HEADS) + str(rng.randint(1, 9999))
    if r < 0.8:
        return f"{rng.choice(_LATIN_HEADS)}_{rng.randint(10, 99999)}"
    return f"tb{rng.randint(10**7, 10**9)}"


def order_no(rng: random.Random) -> str:
    # Taobao order numbers: 18–19 digits.
    return str(rng.choice((1, 2, 3, 4))) + "".join(str(rng.randint(0, 9)) for _ in range(rng.choice((17, 18))))


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def populate(
    db: Database,
    policy: Policy,
    now: datetime,
    count: int,
    open_ratio: float = 0.75,
    seed: int = 7,
    agent: str | None = None,
    with_events: bool = True,
    progress: Callable[[int], None] | None = None,
    chunk: int = 20000,
) -> int:
    """Insert `count` demo cases; returns how many were written."""
    rng = random.Random(seed)
    agents = _AGENTS + ([agent] if agent else [])
    with db.write() as s:
        known = set(s.exec(select(Agent.name)).scalars().all())
        for name in dict.fromkeys(agents):
            if name not in known:
                s.add(Agent(name=name, role=_ROLES.get(name, "agent"), created_at=now))
    with db.engine.connect() as conn:
        next_id = (conn.execute(select(func.max(Case.id))).scalar() or 0) + 1
    written = 0
    while written < count:
        n = min(chunk, count - written)
        cases, deadlines, events = [], [], []
        for i in range(n):
            cid = next_id + written + i
            row, dls = _one_case(rng, policy, now, cid, open_ratio, agents)
            cases.append(row)
            deadlines.extend(dls)
            if with_events:
                events.append({"case_id": cid, "at": row["created_at"], "agent": row["created_by"],
                               "action": "created", "before": None, "after": "新建", "detail": "演示数据"})
        with db.write() as s:
            conn = s.connection()
            conn.execute(insert(Case), cases)
            if deadlines:
                conn.execute(insert(Deadline), deadlines)
            if events:
                conn.execute(insert(CaseEvent), events)
            # The cases came with their ids (PostgreSQL's sequence did not see them).
            reset_sequences(conn, ["case"])
        written += n
        if progress:
            progress(written)
    return written


def _one_case(rng, policy: Policy, now: datetime, cid: int, open_ratio: float, agents: list[str]):
    kind = _weighted(rng, _KIND_WEIGHTS)
    channel = rng.choices(("chat", "phone", "message"), weights=(80, 10, 10))[0]
    is_open = rng.random() < open_ratio
    if is_open:
        status = _weighted(rng, _OPEN_STATUS_WEIGHTS)
        # New chats are minutes old and still wait for a first reply; cases in work are
        # mostly hours old, a few past their 24 h solution limit.
        if status == "new":
            age = timedelta(seconds=rng.randint(0, 150))
        else:
            age = timedelta(minutes=rng.triangular(5, 30 * 60, 6 * 60))
    else:
        status = rng.choice(("resolved", "closed", "closed"))
        age = timedelta(days=rng.randint(3, 365), minutes=rng.randint(0, 1439))
    created = now - age
    urgent = is_open and rng.random() < 0.05
    assignee = None if status == "new" else rng.choice(agents)
    initiated_by = "shop" if rng.random() < _SHOP_STARTED.get(kind, 0) else "buyer"
    replied = None if status == "new" or initiated_by == "shop" else created + timedelta(seconds=rng.randint(5, 60))

    deadlines: list[dict] = []
    if is_open:
        kinds = policy.clocks_on_create(channel, kind, urgent, initiated_by)
        if replied is not None:
            kinds = [k for k in kinds if not k.startswith("first_response")]
        if kind == "refund":
            kinds.append("refund_auto_agree_shipped" if rng.random() < 0.7 else "refund_auto_agree_paid")
        for k in kinds:
            rule = policy.clocks[k]
            # An urgent mark is recent: the 2 h specialist clock runs from then, not from creation.
            start = max(created, now - timedelta(minutes=rng.randint(0, 150))) if k in policy.start_urgent else created
            due, warn = policy.due(rule, start)
            d = {"case_id": cid, "kind": k, "clock": rule.clock, "state": "running", "started_at": start,
                 "due_at": due, "warn_at": warn, "warn_s": int(rule.warn_before.total_seconds()),
                 "remaining_s": None, "ended_at": None, "note": "", "assignee": assignee,
                 "origin": "urgent" if k in policy.start_urgent else "create"}
            if rule.pauses and status in policy.pause_statuses:
                d.update(state="paused", remaining_s=pause(due, now), due_at=None, warn_at=None)
            deadlines.append(d)
    running = [d for d in deadlines if d["state"] == "running"]
    nearest = min(running, key=lambda d: d["due_at"], default=None)
    row = {
        "id": cid,
        "buyer_id": buyer_id(rng),
        "order_no": order_no(rng),
        "channel": channel,
        "kind": kind,
        "initiated_by": initiated_by,
        "status": status,
        "description": rng.choice(_DESCRIPTIONS[kind]),
        "urgent": urgent,
        "assignee": assignee,
        "created_by": assignee or rng.choice(agents),
        "created_at": created,
        "updated_at": replied or created,
        "first_message_at": created,
        "first_replied_at": replied,
        "is_open": is_open,
        "next_due_at": nearest["due_at"] if nearest else NO_DEADLINE,
        "next_warn_at": nearest["warn_at"] if nearest else NO_DEADLINE,
        "next_due_kind": nearest["kind"] if nearest else None,
        "version": 1,
    }
    return row, deadlines

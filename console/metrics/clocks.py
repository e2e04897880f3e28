"""The shop's clocks (met or missed) and the platform's clocks that lapsed."""

from __future__ import annotations

from collections import Counter

from console.metrics.calc import aware, share
from console.metrics.engine import Bag, Context, Figure, Row, Summary
from console.metrics.model import DrillRow, FigureInfo, Value
from console.sla import shop_time

# How a clock ended, in SQL. A paused clock keeps `remaining_s` and has no `due_at`; on resume
# `due_at` moves on by the paused time, so comparing with `due_at` counts running time only.
_SHOP_OUTCOME = """CASE
    WHEN d.state = 'met' AND ((d.due_at IS NOT NULL AND d.ended_at <= d.due_at)
                              OR (d.due_at IS NULL AND d.remaining_s >= 0)) THEN 'met'
    WHEN d.state = 'met' THEN 'missed'
    WHEN d.state = 'running' AND d.due_at < :now THEN 'missed'
    WHEN d.state = 'paused' AND d.remaining_s < 0 THEN 'missed'
    ELSE 'pending' END"""
# First response has a figure of its own.
_SHOP_WHERE = """d.clock = 'shop' AND d.started_at >= :lo AND d.started_at < :hi AND d.state <> 'cancelled'
    AND d.kind NOT LIKE 'first_response%'"""

SHOP_CLOCKS = FigureInfo(
    id="shop_clocks", name="店铺时效达标", unit="%", better="higher",
    formula="所选日期内开始的店铺计时 (给出方案24小时、纠纷48小时、加急2小时、投诉黄金24小时、答应买家的时间等;"
            "首次响应另算,取消的不算)。达标 = 在到期前完成;超时 = 完成时已过期,或到现在还没完成且已过期。"
            "等买家时暂停的计时只算走着的时间 (恢复时到期时间顺延)。达标率 = 达标 ÷ (达标 + 超时);未到期的不计入。",
    numerator="到期前完成的计时",
    denominator="已达标或已超时的计时 (还没到期的不算)",
    agent_rule="算给工单现在的处理人",
    drill="超时的计时和它们的工单",
)

PLATFORM_LAPSED = FigureInfo(
    id="platform_lapsed", name="平台时效超时", unit="件", better="lower",
    formula="到期时间落在所选日期内、且已经到期的平台计时 (退款自动同意、买家退货、卖家确认收货、自动确认收货、"
            "小二介入等;取消的不算)。超时 = 到期时还没处理完 (平台按规则自动执行,店铺最贵的失误)。"
            "超时率 = 超时 ÷ 已到期的平台计时。",
    numerator="到期时还没处理完的平台计时",
    denominator="到期时间在所选日期内、已经到期的平台计时",
    agent_rule="算给工单现在的处理人",
    drill="超时的平台计时和它们的工单",
)


def _shop_rows(ctx: Context) -> list[Row]:
    sql = f"""
        SELECT {ctx.day('d.started_at')}, c.assignee, d.kind, {_SHOP_OUTCOME} AS o, count(*)
        FROM deadline d JOIN "case" c ON c.id = d.case_id
        WHERE {_SHOP_WHERE}{ctx.kind_filter()}
        GROUP BY 1, 2, 3, 4"""
    return [(day, who, {o: Counter({kind: n})}) for day, who, kind, o, n in ctx.run(sql) if o != "pending"]


def _shop_summary(bag: Bag, ctx: Context) -> Summary:
    met, missed = bag.get("met", Counter()), bag.get("missed", Counter())
    m, x = sum(met.values()), sum(missed.values())
    table = [(ctx.policy.label(k), str(met[k]), str(missed[k]), _pct(share(met[k], met[k] + missed[k])))
             for k in sorted(set(met) | set(missed), key=lambda k: (-(met[k] + missed[k]), k))]
    return Summary(share(m, m + x), [
        Value("met_share", "达标率", share(m, m + x), "%"),
        Value("missed_share", "超时率", share(x, m + x), "%"),
        Value("met", "达标", m, "件"),
        Value("missed", "超时", x, "件"),
    ], table, ("计时", "达标", "超时", "达标率"))


def _shop_drill(ctx: Context) -> list[DrillRow]:
    sql = f"""
        SELECT d.case_id, d.kind, d.due_at, d.ended_at, c.assignee, d.state, d.remaining_s, {_SHOP_OUTCOME} AS o
        FROM deadline d JOIN "case" c ON c.id = d.case_id
        WHERE {_SHOP_WHERE} AND {_SHOP_OUTCOME} = 'missed'{ctx.kind_filter()}{ctx.agent_filter('c.assignee')}
        ORDER BY d.started_at, d.id{ctx.limit_sql()}"""
    out = []
    for cid, kind, due, ended, who, state, _remaining, o in ctx.run(sql):
        if o != "missed":
            continue
        label = ctx.policy.label(kind)
        if state == "paused":
            reason = f"{label}: 暂停时已超时"
        elif state == "running":
            reason = f"{label}: 已过期还没完成 (到期 {shop_time(aware(due), ctx.policy)})"
        elif due is None:
            reason = f"{label}: 超时完成"
        else:
            reason = f"{label}: 到期 {shop_time(aware(due), ctx.policy)},完成于 {shop_time(aware(ended), ctx.policy)}"
        out.append(DrillRow(cid, reason, aware(due or ended), who))
    return out


_LAPSED = """CASE WHEN (d.state = 'running' AND d.due_at < :now)
                  OR (d.state = 'met' AND d.ended_at > d.due_at) THEN 1 ELSE 0 END"""
_PLATFORM_WHERE = """d.clock = 'platform' AND d.due_at >= :lo AND d.due_at < :hi AND d.due_at < :now
    AND d.state <> 'cancelled'"""


def _platform_rows(ctx: Context) -> list[Row]:
    sql = f"""
        SELECT {ctx.day('d.due_at')}, c.assignee, d.kind, {_LAPSED} AS lapsed, count(*)
        FROM deadline d JOIN "case" c ON c.id = d.case_id
        WHERE {_PLATFORM_WHERE}{ctx.kind_filter()}
        GROUP BY 1, 2, 3, 4"""
    return [(day, who, {"due": Counter({kind: n}), "lapsed": Counter({kind: n if lapsed else 0})})
            for day, who, kind, lapsed, n in ctx.run(sql)]


def _platform_summary(bag: Bag, ctx: Context) -> Summary:
    due, lapsed = bag.get("due", Counter()), bag.get("lapsed", Counter())
    d, lap = sum(due.values()), sum(lapsed.values())
    table = [(ctx.policy.label(k), str(due[k]), str(lapsed[k])) for k in sorted(due, key=lambda k: (-due[k], k))]
    return Summary(lap if d else None, [
        Value("lapsed", "超时", lap, "件"),
        Value("due", "已到期", d, "件"),
        Value("lapsed_share", "超时率", share(lap, d), "%"),
    ], table, ("平台计时", "已到期", "超时"))


def _platform_drill(ctx: Context) -> list[DrillRow]:
    sql = f"""
        SELECT d.case_id, d.kind, d.due_at, d.ended_at, c.assignee
        FROM deadline d JOIN "case" c ON c.id = d.case_id
        WHERE {_PLATFORM_WHERE} AND {_LAPSED} = 1{ctx.kind_filter()}{ctx.agent_filter('c.assignee')}
        ORDER BY d.due_at, d.id{ctx.limit_sql()}"""
    out = []
    for cid, kind, due, ended, who in ctx.run(sql):
        when = shop_time(aware(due), ctx.policy)
        tail = "还没处理" if ended is None else f"处理于 {shop_time(aware(ended), ctx.policy)}"
        out.append(DrillRow(cid, f"{ctx.policy.label(kind)}: {when} 到期,{tail}", aware(due), who))
    return out


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


FIGURES = [
    Figure(SHOP_CLOCKS, _shop_rows, _shop_summary, _shop_drill),
    Figure(PLATFORM_LAPSED, _platform_rows, _platform_summary, _platform_drill),
]

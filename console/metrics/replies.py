"""Replies copied into the chat, and handovers between shifts."""

from __future__ import annotations

from collections import Counter

from console.metrics.calc import aware, format_seconds, percentile, share
from console.metrics.engine import Bag, Context, Figure, Row, Summary
from console.metrics.model import DrillRow, FigureInfo, Value

TOP = 10  # most copied replies listed

REPLIES = FigureInfo(
    id="replies", name="话术使用", unit="次", better="higher",
    formula="复制时间落在所选日期内的话术复制 (发给买家的)。合并复制的几条话术各算一次使用。"
            "改过再复制的比例 = 改过再复制的次数 ÷ 复制次数。按类型筛选时只算有工单的复制。",
    numerator="改过再复制的次数", denominator="所选日期内的复制次数",
    agent_rule="算给复制的客服",
    drill="改过再复制的话术和它们的工单",
)

FORBIDDEN = FigureInfo(
    id="forbidden_overridden", name="无视禁用语提醒", unit="次", better="lower",
    formula="复制时间落在所选日期内、提醒了禁用语仍然复制的次数 (另列被无视的禁用语处数)。",
    numerator="提醒了禁用语仍然复制的次数", denominator="",
    agent_rule="算给复制的客服",
    drill="无视禁用语提醒的复制和它们的工单",
)


def _copy_rows(ctx: Context) -> list[Row]:
    def fetch() -> list[Row]:
        join = ' JOIN "case" c ON c.id = r.case_id' if ctx.scope.kind else ""
        sql = f"""SELECT {ctx.day('r.at')}, r.agent, r.reply_ids, r.edited,
                         CASE WHEN r.forbidden_overridden > 0 THEN 1 ELSE 0 END, sum(r.forbidden_overridden), count(*)
                  FROM reply_copy r{join} WHERE r.at >= :lo AND r.at < :hi{ctx.kind_filter()}
                  GROUP BY 1, 2, 3, 4, 5"""
        out: list[Row] = []
        for day, who, ids, edited, overridden, hits, n in ctx.run(sql):
            out.append((day, who, {"copies": n, "edited": n if edited else 0, "overridden": n if overridden else 0,
                                   "hits": int(hits or 0), "used": Counter({rid: n for rid in ids.split()})}))
        return out

    return ctx.cached("copies", fetch)


def _replies_summary(bag: Bag, ctx: Context) -> Summary:
    n, edited, used = bag.get("copies", 0), bag.get("edited", 0), bag.get("used", Counter())
    table = [(rid, str(c)) for rid, c in sorted(used.items(), key=lambda p: (-p[1], p[0]))[:TOP]]
    return Summary(n if n else None, [
        Value("copies", "复制", n, "次"),
        Value("edited", "改过再复制", edited, "次"),
        Value("edited_share", "改过再复制的比例", share(edited, n), "%"),
        Value("overridden", "无视禁用语提醒", bag.get("overridden", 0), "次"),
    ], table, ("话术", "使用次数"))


def _forbidden_summary(bag: Bag, ctx: Context) -> Summary:
    n = bag.get("copies", 0)
    return Summary(bag.get("overridden", 0) if n else None, [
        Value("overridden", "无视禁用语提醒", bag.get("overridden", 0), "次"),
        Value("hits", "被无视的禁用语", bag.get("hits", 0), "处"),
        Value("copies", "复制", n, "次"),
    ])


def _copy_drill(ctx: Context, where: str, reason) -> list[DrillRow]:
    join = ' JOIN "case" c ON c.id = r.case_id' if ctx.scope.kind else ""
    sql = f"""SELECT r.case_id, r.at, r.agent, r.reply_ids, r.forbidden_overridden FROM reply_copy r{join}
              WHERE r.at >= :lo AND r.at < :hi AND r.case_id IS NOT NULL AND {where}
                {ctx.kind_filter()}{ctx.agent_filter('r.agent')}
              ORDER BY r.at, r.id{ctx.limit_sql()}"""
    return [DrillRow(cid, reason(ids, hits), aware(at), who) for cid, at, who, ids, hits in ctx.run(sql)]


HANDOVER = FigureInfo(
    id="handover", name="交接班", unit="s", better="lower",
    formula="交接时间落在所选日期内的交接: 每班交接数 = 交接次数 ÷ 所选日期内开始的班次;交接的工单数;"
            "确认用时 = 接班人确认时间 − 交接时间,取中位数和90分位数 (最近秩法,只算已确认的);另列还没确认的交接。"
            "交接不分工单类型。",
    numerator="", denominator="所选日期内已确认的交接",
    agent_rule="算给交班的客服 (班次算给上班的客服)",
    drill="交接出去的工单",
)


def _handover_rows(ctx: Context) -> list[Row]:
    sql = f"""SELECT {ctx.day('h.created_at')}, h.from_agent, {ctx.secs('h.created_at', 'h.acknowledged_at')},
                     count(*), sum((SELECT count(*) FROM handover_case hc WHERE hc.handover_id = h.id))
              FROM handover h WHERE h.created_at >= :lo AND h.created_at < :hi
              GROUP BY 1, 2, 3"""
    rows: list[Row] = []
    for day, who, secs, n, handed in ctx.run(sql):
        bag: Bag = {"handovers": n, "cases": int(handed or 0), "waiting": 0 if secs is not None else n,
                    "hist": Counter({max(0, int(secs)): n}) if secs is not None else Counter()}
        rows.append((day, who, bag))
    sql = f"""SELECT {ctx.day('s.started_at')}, s.agent, count(*) FROM shift s
              WHERE s.started_at >= :lo AND s.started_at < :hi GROUP BY 1, 2"""
    rows += [(day, who, {"shifts": n}) for day, who, n in ctx.run(sql)]
    return rows


def _handover_summary(bag: Bag, ctx: Context) -> Summary:
    hist, n, shifts = bag.get("hist", Counter()), bag.get("handovers", 0), bag.get("shifts", 0)
    median = percentile(hist, 50)
    return Summary(median, [
        Value("ack_median_s", "确认用时中位数", median, "s"),
        Value("ack_p90_s", "确认用时90分位", percentile(hist, 90), "s"),
        Value("handovers", "交接", n, "次"),
        Value("shifts", "班次", shifts, "个"),
        Value("per_shift", "每班交接", share(n, shifts), "次"),
        Value("cases", "交接的工单", bag.get("cases", 0), "件"),
        Value("waiting", "还没确认", bag.get("waiting", 0), "次"),
    ])


def _handover_drill(ctx: Context) -> list[DrillRow]:
    sql = f"""SELECT hc.case_id, h.created_at, h.from_agent, h.to_agent, hc.assigned_to,
                     {ctx.secs('h.created_at', 'h.acknowledged_at')}
              FROM handover h JOIN handover_case hc ON hc.handover_id = h.id
              WHERE h.created_at >= :lo AND h.created_at < :hi{ctx.agent_filter('h.from_agent')}
              ORDER BY h.created_at, hc.id{ctx.limit_sql()}"""
    out = []
    for cid, at, who, to, assigned, secs in ctx.run(sql):
        target = assigned or to or "待分配"
        ack = "还没确认" if secs is None else f"{format_seconds(secs)}后确认"
        out.append(DrillRow(cid, f"{who} 交给 {target},{ack}", aware(at), who))
    return out


FIGURES = [
    Figure(REPLIES, _copy_rows, _replies_summary,
           lambda ctx: _copy_drill(ctx, "r.edited = :yes", lambda ids, hits: f"改过再复制: {ids}")),
    Figure(FORBIDDEN, _copy_rows, _forbidden_summary,
           lambda ctx: _copy_drill(ctx, "r.forbidden_overridden > 0",
                                   lambda ids, hits: f"{hits}处禁用语仍然复制: {ids}")),
    Figure(HANDOVER, _handover_rows, _handover_summary, _handover_drill),
]

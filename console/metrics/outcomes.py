"""What became of the cases: one-touch resolution, reopens, escalations, satisfaction."""

from __future__ import annotations

from collections import Counter

from console.metrics.calc import aware, share
from console.metrics.engine import Bag, Context, Figure, Row, Summary
from console.metrics.model import DrillRow, FigureInfo, Value
from console.vocab import ESCALATIONS, SATISFACTION

_RESOLVED = "c.resolved_at >= :lo AND c.resolved_at < :hi"

ONE_TOUCH = FigureInfo(
    id="one_touch", name="一次解决率", unit="%", better="higher",
    formula="最后一次标为“已解决”的时间落在所选日期内的工单 (含后来又被重新打开的)。"
            "一次解决 = 从没被重新打开过。一次解决率 = 一次解决的工单 ÷ 这些工单。",
    numerator="从没被重新打开过的工单",
    denominator="最后一次解决时间在所选日期内的工单",
    agent_rule="算给把工单标为已解决的客服",
    drill="被重新打开过的工单 (不算一次解决)",
)

REOPEN = FigureInfo(
    id="reopen_rate", name="重开率", unit="%", better="lower",
    formula="最后一次标为“已解决”的时间落在所选日期内的工单中,被重新打开过至少一次的比例 (= 1 − 一次解决率);"
            "另列重新打开的总次数 (已解决或已关闭的工单改回处理中,或买家不满意退回)。",
    numerator="被重新打开过至少一次的工单",
    denominator="最后一次解决时间在所选日期内的工单",
    agent_rule="算给把工单标为已解决的客服",
    drill="被重新打开过的工单和次数",
)


def _resolved_rows(ctx: Context) -> list[Row]:
    def fetch() -> list[Row]:
        sql = f"""
            SELECT {ctx.day('c.resolved_at')}, c.resolved_by, CASE WHEN c.reopen_count > 0 THEN 1 ELSE 0 END,
                   count(*), sum(c.reopen_count)
            FROM "case" c WHERE {_RESOLVED}{ctx.kind_filter()}
            GROUP BY 1, 2, 3"""
        return [(day, who, {"n": n, "reopened": n if again else 0, "reopens": int(times or 0)})
                for day, who, again, n, times in ctx.run(sql)]

    return ctx.cached("resolved", fetch)


def _one_touch_summary(bag: Bag, ctx: Context) -> Summary:
    n, again = bag.get("n", 0), bag.get("reopened", 0)
    return Summary(share(n - again, n), [
        Value("one_touch_share", "一次解决率", share(n - again, n), "%"),
        Value("one_touch", "一次解决", n - again, "件"),
        Value("resolved", "计入", n, "件"),
    ])


def _reopen_summary(bag: Bag, ctx: Context) -> Summary:
    n, again = bag.get("n", 0), bag.get("reopened", 0)
    return Summary(share(again, n), [
        Value("reopen_share", "重开率", share(again, n), "%"),
        Value("reopened", "重开过的工单", again, "件"),
        Value("reopens", "重开次数", bag.get("reopens", 0), "次"),
        Value("resolved", "计入", n, "件"),
    ])


def _reopened_drill(ctx: Context) -> list[DrillRow]:
    sql = f"""SELECT c.id, c.resolved_at, c.resolved_by, c.reopen_count FROM "case" c
              WHERE {_RESOLVED} AND c.reopen_count > 0{ctx.kind_filter()}{ctx.agent_filter('c.resolved_by')}
              ORDER BY c.reopen_count DESC, c.id{ctx.limit_sql()}"""
    return [DrillRow(cid, f"重新打开过 {n}次", aware(at), who) for cid, at, who, n in ctx.run(sql)]


ESCALATIONS_FIG = FigureInfo(
    id="escalations", name="升级", unit="件", better="lower",
    formula="升级时间落在所选日期内、现在仍在升级中的工单 (资深客服、主管、风控/法务),按升级对象和原因分别计数。"
            "取消升级的不算;同一工单再次升级按最后一次算。",
    numerator="所选日期内升级的工单", denominator="",
    agent_rule="算给工单现在的处理人",
    drill="升级的工单、升级对象和原因",
)


def _escalation_rows(ctx: Context) -> list[Row]:
    sql = f"""SELECT {ctx.day('c.escalated_at')}, c.assignee, c.escalated_to, c.escalation_reason, count(*)
              FROM "case" c WHERE c.escalated_at >= :lo AND c.escalated_at < :hi
                AND c.escalated_to IS NOT NULL{ctx.kind_filter()}
              GROUP BY 1, 2, 3, 4"""
    return [(day, who, {"n": n, "target": Counter({to: n}), "reason": Counter({(to, reason or ""): n})})
            for day, who, to, reason, n in ctx.run(sql)]


def _escalation_summary(bag: Bag, ctx: Context) -> Summary:
    target, reasons = bag.get("target", Counter()), bag.get("reason", Counter())
    values = [Value("escalated", "升级", bag.get("n", 0), "件")]
    values += [Value(f"to_{k}", f"升级给{label}", target.get(k, 0), "件") for k, label in ESCALATIONS.items()]
    table = [(ESCALATIONS.get(to, to), reason, str(n))
             for (to, reason), n in sorted(reasons.items(), key=lambda p: (-p[1], p[0]))]
    return Summary(bag.get("n", 0), values, table, ("升级给", "原因", "工单"))


def _escalation_drill(ctx: Context) -> list[DrillRow]:
    sql = f"""SELECT c.id, c.escalated_at, c.assignee, c.escalated_to, c.escalation_reason FROM "case" c
              WHERE c.escalated_at >= :lo AND c.escalated_at < :hi AND c.escalated_to IS NOT NULL
                {ctx.kind_filter()}{ctx.agent_filter('c.assignee')}
              ORDER BY c.escalated_at, c.id{ctx.limit_sql()}"""
    return [DrillRow(cid, f"升级给{ESCALATIONS.get(to, to)}: {reason or '—'}", aware(at), who)
            for cid, at, who, to, reason in ctx.run(sql)]


SATISFACTION_FIG = FigureInfo(
    id="satisfaction", name="满意度", unit="%", better="higher",
    formula="买家满意度的记录时间落在所选日期内的工单,各按最后一次记录计: 满意率 = 满意 ÷ (满意 + 一般 + 不满意);"
            "一般、不满意的比例同样计算。",
    numerator="买家满意的工单",
    denominator="所选日期内记录了满意度的工单",
    agent_rule="算给工单现在的处理人",
    drill="买家不满意的工单",
)


def _satisfaction_rows(ctx: Context) -> list[Row]:
    sql = f"""SELECT {ctx.day('c.rated_at')}, c.assignee, c.satisfaction, count(*)
              FROM "case" c WHERE c.rated_at >= :lo AND c.rated_at < :hi
                AND c.satisfaction IS NOT NULL{ctx.kind_filter()}
              GROUP BY 1, 2, 3"""
    return [(day, who, {"n": n, "rated": Counter({sat: n})}) for day, who, sat, n in ctx.run(sql)]


def _satisfaction_summary(bag: Bag, ctx: Context) -> Summary:
    rated, n = bag.get("rated", Counter()), bag.get("n", 0)
    values = [Value(f"{k}_share", f"{label}占比", share(rated.get(k, 0), n), "%") for k, label in SATISFACTION.items()]
    values += [Value(k, label, rated.get(k, 0), "件") for k, label in SATISFACTION.items()]
    values.append(Value("rated", "计入", n, "件"))
    return Summary(share(rated.get("satisfied", 0), n), values)


def _satisfaction_drill(ctx: Context) -> list[DrillRow]:
    sql = f"""SELECT c.id, c.rated_at, c.assignee, c.escalation_reason FROM "case" c
              WHERE c.rated_at >= :lo AND c.rated_at < :hi AND c.satisfaction = 'unsatisfied'
                {ctx.kind_filter()}{ctx.agent_filter('c.assignee')}
              ORDER BY c.rated_at, c.id{ctx.limit_sql()}"""
    return [DrillRow(cid, reason or "买家不满意", aware(at), who) for cid, at, who, reason in ctx.run(sql)]


FIGURES = [
    Figure(ONE_TOUCH, _resolved_rows, _one_touch_summary, _reopened_drill),
    Figure(REOPEN, _resolved_rows, _reopen_summary, _reopened_drill),
    Figure(ESCALATIONS_FIG, _escalation_rows, _escalation_summary, _escalation_drill),
    Figure(SATISFACTION_FIG, _satisfaction_rows, _satisfaction_summary, _satisfaction_drill),
]

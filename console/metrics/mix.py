"""The work mix: cases by kind and by the wizard's outcome, complaints, platform interventions."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal, InvalidOperation

from console.metrics.calc import aware, share
from console.metrics.engine import Bag, Context, Figure, Row, Summary
from console.metrics.model import DrillRow, FigureInfo, Value
from console.vocab import KINDS, OUTCOME_KINDS

_IN_RANGE = "c.first_message_at >= :lo AND c.first_message_at < :hi"

WORK_MIX = FigureInfo(
    id="work_mix", name="工单构成", unit="件", better="higher",
    formula="买家第一条消息 (店铺主动联系的按开始联系) 落在所选日期内的全部工单,按类型计数,"
            "再按向导最后给出的处理结果计数: 仅退款、退货退款、换货、重发、退差价、补偿 (另列补偿总金额)、其他;"
            "没走过向导的记为“未走向导”。",
    numerator="各类型、各处理结果的工单", denominator="所选日期内进来的全部工单",
    agent_rule="算给工单现在的处理人 (没人接手的只算在团队里)",
    drill="这些工单的类型和处理结果",
)

COMPLAINTS = FigureInfo(
    id="complaints", name="投诉", unit="件", better="lower",
    formula="所选日期内进来的工单中,投诉纠纷类型或走了投诉流程的工单数;投诉率 = 投诉 ÷ 所选日期内进来的全部工单。",
    numerator="投诉纠纷类型或有投诉进度的工单", denominator="所选日期内进来的全部工单",
    agent_rule="算给工单现在的处理人",
    drill="投诉工单和投诉进度",
)

INTERVENTIONS = FigureInfo(
    id="interventions", name="小二介入", unit="件", better="lower",
    formula="所选日期内进来的工单中,标记了小二介入 (平台介入) 的工单数;介入率 = 介入 ÷ 所选日期内进来的全部工单。"
            "这是平台纠纷率的近似: 平台按它自己的口径 (判定卖家责任的纠纷退款) 计算,店里只能看到介入。",
    numerator="标记了小二介入的工单", denominator="所选日期内进来的全部工单",
    agent_rule="算给工单现在的处理人",
    drill="小二介入的工单",
)

_COMPLAINT = "CASE WHEN c.kind = 'complaint' OR c.complaint_status IS NOT NULL THEN 1 ELSE 0 END"
_INTERVENED = "CASE WHEN c.platform_intervened THEN 1 ELSE 0 END"


def _mix_rows(ctx: Context) -> list[Row]:
    def fetch() -> list[Row]:
        sql = f"""SELECT {ctx.day('c.first_message_at')}, c.assignee, c.kind, c.outcome_kind,
                         {_COMPLAINT}, {_INTERVENED}, count(*)
                  FROM "case" c WHERE {_IN_RANGE}{ctx.kind_filter()}
                  GROUP BY 1, 2, 3, 4, 5, 6"""
        rows = [(day, who, {"n": n, "kind": Counter({kind: n}), "outcome": Counter({outcome or "": n}),
                            "complaints": n if complaint else 0, "intervened": n if intervened else 0})
                for day, who, kind, outcome, complaint, intervened, n in ctx.run(sql)]
        # The compensation amounts: few rows, summed exactly in Python (yuan as text).
        sql = f"""SELECT {ctx.day('c.first_message_at')}, c.assignee, c.agreed_amount FROM "case" c
                  WHERE {_IN_RANGE} AND c.outcome_kind = 'compensation'{ctx.kind_filter()}"""
        rows += [(day, who, {"compensation_cents": _cents(amount)}) for day, who, amount in ctx.run(sql)]
        return rows

    return ctx.cached("mix", fetch)


def _cents(amount: str | None) -> int:
    try:
        return int(Decimal(amount or "0") * 100)
    except InvalidOperation:
        return 0


def _mix_summary(bag: Bag, ctx: Context) -> Summary:
    kinds, outcomes, n = bag.get("kind", Counter()), bag.get("outcome", Counter()), bag.get("n", 0)
    values = [Value("cases", "工单", n, "件")]
    values += [Value(f"kind_{k}", label, kinds.get(k, 0), "件") for k, label in KINDS.items()]
    values += [Value(f"outcome_{k}", label, outcomes.get(k, 0), "件") for k, label in OUTCOME_KINDS.items()]
    values.append(Value("outcome_none", "未走向导", outcomes.get("", 0), "件"))
    values.append(Value("compensation_yuan", "补偿金额", bag.get("compensation_cents", 0) / 100, "元"))
    table = [("类型", KINDS.get(k, k), str(c), _pct(share(c, n))) for k, c in kinds.most_common()]
    table += [("处理结果", OUTCOME_KINDS.get(k, k) if k else "未走向导", str(c), _pct(share(c, n)))
              for k, c in outcomes.most_common()]
    return Summary(n if n else None, values, table, ("分组", "项目", "工单", "占比"))


def _complaint_summary(bag: Bag, ctx: Context) -> Summary:
    n, c = bag.get("n", 0), bag.get("complaints", 0)
    return Summary(c if n else None, [Value("complaints", "投诉", c, "件"), Value("complaint_share", "投诉率", share(c, n), "%"),
                                      Value("cases", "工单", n, "件")])


def _intervention_summary(bag: Bag, ctx: Context) -> Summary:
    n, i = bag.get("n", 0), bag.get("intervened", 0)
    return Summary(i if n else None, [Value("intervened", "小二介入", i, "件"),
                                      Value("intervened_share", "介入率", share(i, n), "%"), Value("cases", "工单", n, "件")])


def _drill(ctx: Context, extra: str, reason) -> list[DrillRow]:
    sql = f"""SELECT c.id, c.first_message_at, c.assignee, c.kind, c.outcome_kind, c.complaint_status,
                     c.agreed_amount FROM "case" c
              WHERE {_IN_RANGE}{extra}{ctx.kind_filter()}{ctx.agent_filter('c.assignee')}
              ORDER BY c.first_message_at, c.id{ctx.limit_sql()}"""
    return [DrillRow(row[0], reason(*row[3:]), aware(row[1]), row[2]) for row in ctx.run(sql)]


def _mix_reason(kind, outcome, complaint, amount) -> str:
    text = f"{KINDS.get(kind, kind)} · {OUTCOME_KINDS.get(outcome, outcome) if outcome else '未走向导'}"
    return text + (f" {amount}元" if outcome == "compensation" and amount else "")


def _complaint_reason(kind, outcome, complaint, amount) -> str:
    from console.vocab import COMPLAINT_STATUSES

    return f"投诉进度: {COMPLAINT_STATUSES.get(complaint, '未登记') if complaint else '未登记'}"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


FIGURES = [
    Figure(WORK_MIX, _mix_rows, _mix_summary, lambda ctx: _drill(ctx, "", _mix_reason)),
    Figure(COMPLAINTS, _mix_rows, _complaint_summary,
           lambda ctx: _drill(ctx, " AND (c.kind = 'complaint' OR c.complaint_status IS NOT NULL)", _complaint_reason)),
    Figure(INTERVENTIONS, _mix_rows, _intervention_summary,
           lambda ctx: _drill(ctx, " AND c.platform_intervened = :yes", lambda *a: "小二已介入")),
]

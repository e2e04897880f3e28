"""First response and resolution time: how fast the buyer hears from us, and how long until
the case is solved."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from console.metrics.calc import aware as _aware
from console.metrics.calc import format_seconds, naive, percentile, share
from console.metrics.engine import Bag, Context, Figure, Row, Summary
from console.metrics.model import DrillRow, FigureInfo, Value
from console.vocab import CHANNELS, CLOSED_STATUSES

# The first-reply limit by channel [000][001]: 30 s for chat (and messages), 15 s for phone.
LIMIT_S = {"phone": 15}
DEFAULT_LIMIT_S = 30


def limit_of(channel: str) -> int:
    return LIMIT_S.get(channel, DEFAULT_LIMIT_S)


FIRST_RESPONSE = FigureInfo(
    id="first_response", name="首次响应", unit="%", better="higher",
    formula="买家发起的工单,按买家第一条消息落在所选日期内计。响应时长 = 首次回复时间 − 买家第一条消息时间 (秒)。"
            "中位数和90分位数只算已回复的工单 (最近秩法)。达标率 = 响应时长 ≤ 限时的工单 ÷ 计入的工单;"
            "限时: 旺旺和站内信 30 秒,电话 15 秒,正好 30 秒 (电话 15 秒) 算达标。"
            "还没回复的工单过了限时算不达标,没过限时的暂不计入。店铺主动联系 (催款、回访) 不计。",
    numerator="响应时长在限时之内 (含正好等于限时) 的工单",
    denominator="买家发起、第一条消息在所选日期内、已回复或已过限时的工单",
    agent_rule="算给做出首次回复的客服;没回复的工单只算在团队里",
    drill="没在限时内首次回复的工单 (最慢的在前)",
)


def _first_rows(ctx: Context) -> list[Row]:
    def fetch() -> list[Row]:
        sql = f"""
            SELECT {ctx.day('c.first_message_at')} AS d, c.first_replied_by, c.channel,
                   {ctx.secs('c.first_message_at', 'c.first_replied_at')} AS s,
                   CASE WHEN c.first_replied_at IS NULL AND c.first_message_at >
                        (CASE WHEN c.channel = 'phone' THEN :fresh15 ELSE :fresh30 END) THEN 1 ELSE 0 END AS fresh,
                   count(*)
            FROM "case" c
            WHERE c.first_message_at >= :lo AND c.first_message_at < :hi AND c.initiated_by = 'buyer'{ctx.kind_filter()}
            GROUP BY 1, 2, 3, 4, 5"""
        out: list[Row] = []
        for day, who, channel, secs, fresh, n in ctx.run(sql, fresh15=ctx.now - timedelta(seconds=15),
                                                          fresh30=ctx.now - timedelta(seconds=30)):
            if fresh:
                continue  # not yet due: too early to tell
            bag: Bag = {"counted": n, "within": 0, "replied": 0, "hist": Counter()}
            if secs is not None:
                bag["replied"] = n
                bag["hist"] = Counter({max(0, int(secs)): n})
                if secs <= limit_of(channel):
                    bag["within"] = n
            out.append((day, who, bag))
        return out

    return ctx.cached("first_response", fetch)


def _first_summary(bag: Bag, ctx: Context) -> Summary:
    hist = bag.get("hist", Counter())
    counted, within = bag.get("counted", 0), bag.get("within", 0)
    rate = share(within, counted)
    return Summary(rate, [
        Value("within_share", "限时内首次回复", rate, "%"),
        Value("within", "限时内", within, "件"),
        Value("counted", "计入", counted, "件"),
        Value("replied", "已回复", bag.get("replied", 0), "件"),
        Value("median_s", "响应中位数", percentile(hist, 50), "s"),
        Value("p90_s", "响应90分位", percentile(hist, 90), "s"),
    ])


def _first_drill(ctx: Context) -> list[DrillRow]:
    sql = f"""
        SELECT c.id, c.channel, c.first_message_at, c.first_replied_by,
               {ctx.secs('c.first_message_at', 'c.first_replied_at')} AS s
        FROM "case" c
        WHERE c.first_message_at >= :lo AND c.first_message_at < :hi AND c.initiated_by = 'buyer'
          {ctx.kind_filter()}{ctx.agent_filter('c.first_replied_by')}
          AND ((c.first_replied_at IS NULL AND c.first_message_at <= (CASE WHEN c.channel = 'phone'
                    THEN :fresh15 ELSE :fresh30 END))
               OR {ctx.secs('c.first_message_at', 'c.first_replied_at')} >
                  (CASE WHEN c.channel = 'phone' THEN 15 ELSE 30 END))"""
    rows = []
    for cid, channel, at, who, secs in ctx.run(sql, fresh15=ctx.now - timedelta(seconds=15),
                                               fresh30=ctx.now - timedelta(seconds=30)):
        where = CHANNELS.get(channel, channel)
        reason = (f"{where}: 还没有首次回复" if secs is None else
                  f"{where}: {format_seconds(secs)}才首次回复 (限 {limit_of(channel)}秒)")
        rows.append((secs is None, secs or 0, DrillRow(cid, reason, _aware(at), who)))
    rows.sort(key=lambda r: (not r[0], -r[1], r[2].case_id))
    return [r[2] for r in rows]


RESOLUTION = FigureInfo(
    id="resolution_time", name="解决时长", unit="s", better="lower",
    formula="最后一次标为“已解决”的时间落在所选日期内、现在仍是已解决或已关闭、有首次回复的工单。"
            "解决时长 = 解决时间 − 首次回复时间 (秒);取中位数和90分位数 (最近秩法)。",
    numerator="", denominator="所选日期内解决、有首次回复、现在仍已解决或已关闭的工单",
    agent_rule="算给把工单标为已解决的客服",
    drill="这些工单,最慢的在前",
)


def _resolution_rows(ctx: Context) -> list[Row]:
    # Raw rows, bucketed here: nearly every case has its own number of seconds, and SQL's
    # GROUP BY over them costs more than reading them (covering index ix_case_resolved).
    sql = f"""
        SELECT c.resolved_at, c.resolved_by, c.first_replied_at, c.status
        FROM "case" c
        WHERE c.resolved_at >= :lo AND c.resolved_at < :hi AND c.first_replied_at IS NOT NULL{ctx.kind_filter()}"""
    # The status is read, not filtered in SQL: a WHERE on it lets SQLite's planner (no
    # ANALYZE) take ix_case_status and read every resolved case ever.
    shift = timedelta(seconds=ctx.offset_s)
    groups: dict[tuple, Counter] = {}
    for resolved, who, replied, status in ctx.run(sql):
        if status not in CLOSED_STATUSES:
            continue
        resolved, replied = naive(resolved), naive(replied)
        key = ((resolved + shift).date(), who)
        groups.setdefault(key, Counter())[max(0, int((resolved - replied).total_seconds()))] += 1
    return [(day, who, {"n": sum(hist.values()), "hist": hist}) for (day, who), hist in groups.items()]


def _resolution_summary(bag: Bag, ctx: Context) -> Summary:
    hist = bag.get("hist", Counter())
    median = percentile(hist, 50)
    return Summary(median, [
        Value("median_s", "解决时长中位数", median, "s"),
        Value("p90_s", "解决时长90分位", percentile(hist, 90), "s"),
        Value("resolved", "计入", bag.get("n", 0), "件"),
    ])


def _resolution_drill(ctx: Context) -> list[DrillRow]:
    sql = f"""
        SELECT c.id, c.resolved_at, c.resolved_by, {ctx.secs('c.first_replied_at', 'c.resolved_at')} AS s
        FROM "case" c
        WHERE c.resolved_at >= :lo AND c.resolved_at < :hi AND c.status IN ('resolved', 'closed')
          AND c.first_replied_at IS NOT NULL{ctx.kind_filter()}{ctx.agent_filter('c.resolved_by')}
        ORDER BY s DESC, c.id{ctx.limit_sql()}"""
    return [DrillRow(cid, f"首次回复后 {format_seconds(s)} 解决", _aware(at), who)
            for cid, at, who, s in ctx.run(sql)]


FIGURES = [
    Figure(FIRST_RESPONSE, _first_rows, _first_summary, _first_drill),
    Figure(RESOLUTION, _resolution_rows, _resolution_summary, _resolution_drill),
]

"""The new-case form's logic: pick order number, buyer ID and message time out of text
pasted from Qianniu, and validate a draft. Pure functions, no database, no Textual."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from console.sla import Policy
from console.vocab import CHANNEL_LABELS, KINDS

MAX_BUYER = 64
MAX_DESCRIPTION = 4000
MAX_PRODUCT = 200
# Who started the contact. A shop-started one (催款, 回访, a call to an unreachable buyer) has
# no buyer message waiting for a first reply.
INITIATORS: dict[str, str] = {"buyer": "买家发起", "shop": "店铺发起"}
# Kinds that are contacts the shop starts: the form picks 店铺发起 for them unless the agent
# chose by hand.
SHOP_STARTED_KINDS = frozenset({"payment", "followup"})


def default_initiator(kind: str) -> str:
    """Who starts a case of this kind, unless the agent says otherwise."""
    return "shop" if kind in SHOP_STARTED_KINDS else "buyer"


@dataclass
class CaseDraft:
    """What the agent typed, as typed."""

    buyer_id: str = ""
    order_no: str = ""
    channel: str = "chat"
    kind: str = "other"
    description: str = ""
    urgent: bool = False
    message_time: str = ""  # shop time as typed: "14:03", "14:03:22", "2026-11-23 14:03"
    assignee: str | None = None
    initiated_by: str = "buyer"  # buyer: the buyer wrote or called; shop: an outbound contact
    product: str = ""
    # Already a time (aware UTC), from an import: the buyer's refund application. It may be
    # older than a typed message time may be (a refund can run for weeks).
    message_at: datetime | None = None


@dataclass
class ValidDraft:
    buyer_id: str
    order_no: str | None
    channel: str
    kind: str
    description: str
    urgent: bool
    message_at: datetime | None
    assignee: str | None = None
    initiated_by: str = "buyer"
    product: str = ""

    def summary(self) -> str:
        parts = [f"买家 {self.buyer_id}"]
        if self.order_no:
            parts.append(f"订单 {self.order_no}")
        parts.append(f"{CHANNEL_LABELS.get(self.channel, self.channel)}/{KINDS.get(self.kind, self.kind)}")
        if self.initiated_by == "shop":
            parts.append("店铺发起")
        return " · ".join(parts)


def validate_draft(draft: CaseDraft, policy: Policy, now: datetime) -> ValidDraft | dict[str, str]:
    """A ValidDraft, or a dict of field -> message (Chinese) when anything is wrong."""
    errors: dict[str, str] = {}
    buyer = draft.buyer_id.strip()
    if not buyer:
        errors["buyer_id"] = "请填写买家旺旺名 (buyer ID is required)"
    elif len(buyer) > MAX_BUYER:
        errors["buyer_id"] = f"买家旺旺名太长 (最多 {MAX_BUYER} 个字符)"

    order = draft.order_no.strip()
    if order:
        if not order.isascii() or not order.isdigit():
            errors["order_no"] = "订单号只能是数字 (digits only)"
        elif not policy.order_min <= len(order) <= policy.order_max:
            errors["order_no"] = f"订单号应为 {policy.order_min}–{policy.order_max} 位数字,现在是 {len(order)} 位"

    if draft.channel not in CHANNEL_LABELS:
        errors["channel"] = "请选择渠道"
    if draft.kind not in KINDS:
        errors["kind"] = "请选择工单类型"
    if draft.initiated_by not in INITIATORS:
        errors["initiated_by"] = "请选择是买家发起还是店铺发起"
    product = draft.product.strip()
    if len(product) > MAX_PRODUCT:
        errors["product"] = f"商品名太长 (最多 {MAX_PRODUCT} 个字)"

    description = draft.description.strip()
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"描述太长 (最多 {MAX_DESCRIPTION} 字)"

    message_at = draft.message_at
    if message_at is not None and message_at > now + timedelta(minutes=1):
        errors["message_time"] = "买家消息时间不能晚于现在"
    elif draft.message_time.strip():
        message_at = parse_shop_time(draft.message_time, policy, now)
        if message_at is None:
            errors["message_time"] = "买家消息时间格式: 14:03 或 14:03:22 或 2026-11-23 14:03"
        elif message_at > now + timedelta(minutes=1):
            errors["message_time"] = "买家消息时间不能晚于现在"
        elif now - message_at > timedelta(days=30):
            errors["message_time"] = "买家消息时间太早 (超过 30 天)"

    if errors:
        return errors
    return ValidDraft(
        buyer_id=buyer,
        order_no=order or None,
        channel=draft.channel,
        kind=draft.kind,
        description=description,
        urgent=draft.urgent,
        message_at=message_at,
        assignee=draft.assignee,
        initiated_by=draft.initiated_by,
        product=product,
    )


_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")


def parse_shop_time(text: str, policy: Policy, now: datetime) -> datetime | None:
    """Shop-local time as an agent types it -> aware UTC. A bare clock time means the latest
    such time not after now (so 23:59 typed just after midnight is yesterday)."""
    text = text.strip().replace("：", ":")
    local_now = now.astimezone(policy.timezone)
    for fmt in _TIME_FORMATS:
        try:
            typed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        # A year far from now is a typo, and near year 1 or 9999 converting zones overflows.
        if abs(typed.year - local_now.year) > 50:
            return None
        return typed.replace(tzinfo=policy.timezone).astimezone(now.tzinfo)
    m = re.fullmatch(r"(?:(\d{1,2})-(\d{1,2})\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?", text)
    if not m:
        return None
    month, day, hour, minute, second = m.groups()
    try:
        local = local_now.replace(
            month=int(month) if month else local_now.month,
            day=int(day) if day else local_now.day,
            hour=int(hour), minute=int(minute), second=int(second or 0), microsecond=0,
        )
    except ValueError:
        return None
    if local > local_now + timedelta(minutes=1):
        local -= timedelta(days=1) if not month else timedelta(0)
    return local.astimezone(now.tzinfo)


# ---- Pasted text ---------------------------------------------------------------
#
# How Qianniu and Wangwang copy a conversation: every message is a speaker line (the
# nickname, then the date and time, or the time alone for a message of today; Wangwang's
# message manager writes "昵称(2026-11-23 23:06:40):"), then the message on the lines
# below. The shop's side is the shop name or a sub-account "店铺名:客服名". Tickets and
# order details copy as labelled fields ("买家: X", "订单号: 3712…"); the order list as one
# line of cells (order number, buyer, time, maybe product and amount) separated by tabs or
# spaces.

_DATE = r"(?:[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{1,2}-[0-9]{1,2})"
_TIME = r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?"
_DATETIME = re.compile(rf"{_DATE}\s+{_TIME}|{_TIME}")
# The end of a speaker line: a date-time (a bare time needs its seconds, so "明天 3:00"
# in a message is not taken for one), maybe in brackets, maybe followed by a colon.
_SPEAKER_END = re.compile(
    rf"[(（]?\s*(?<![0-9])(?P<when>{_DATE}\s+{_TIME}|[0-9]{{1,2}}:[0-9]{{2}}:[0-9]{{2}})\s*[)）]?\s*:?\s*$"
)

# Label words, longest first within each group. Labels that may be followed by a space
# instead of a colon are the unambiguous ones; "旺旺 …" or "客户 …" in a message is not a field.
_BUYER_LABELS = ("买家会员名", "买家旺旺", "买家昵称", "买家账号", "买家ID", "旺旺名", "旺旺号", "旺旺ID",
                 "会员名", "买家", "旺旺", "昵称", "客户", "顾客", "用户名", "buyer")
_BUYER_SPACED = frozenset({"买家会员名", "买家旺旺", "买家昵称", "买家账号", "旺旺名", "旺旺号", "会员名", "买家"})
_ORDER_LABELS = ("主订单编号", "订单编号", "主订单号", "子订单号", "订单号", "订单ID", "订单", "order no.",
                 "order no", "order")
# A message time; the order's own times (下单时间 …) are not when the buyer wrote.
_TIME_LABELS = ("消息时间", "咨询时间", "留言时间", "发送时间", "时间")
_ORDER_TIME_LABELS = ("下单时间", "付款时间", "支付时间", "创建时间", "成交时间", "发货时间", "申请时间",
                      "拍下时间")
_PRODUCT_LABELS = ("商品名称", "宝贝名称", "商品标题", "宝贝标题", "商品名", "商品", "宝贝", "产品")
# Fields whose digits are never the order number, and other fields of an order's details.
_TRACKING_LABELS = ("快递单号", "物流单号", "运单编号", "运单号", "快递单", "物流单")
_PHONE_LABELS = ("联系电话", "手机号码", "收货电话", "手机号", "联系方式", "手机", "电话")
_OTHER_LABELS = ("实付款", "实收款", "实付", "金额", "单价", "价格", "数量", "收货人", "收货地址", "地址",
                 "交易状态", "订单状态", "状态", "备注", "店铺", "客服")
_LABEL_GROUPS = {
    "buyer": _BUYER_LABELS, "order": _ORDER_LABELS, "time": _TIME_LABELS,
    "order_time": _ORDER_TIME_LABELS, "product": _PRODUCT_LABELS, "tracking": _TRACKING_LABELS,
    "phone": _PHONE_LABELS, "other": _OTHER_LABELS,
}
_GROUP_OF = {label.lower(): group for group, labels in _LABEL_GROUPS.items() for label in labels}
# Every word that names a field: never a buyer ID.
LABEL_WORDS = frozenset(_GROUP_OF)
_LABEL_AT = re.compile(
    r"(?<![^\s,，;；|/、(（])(?P<label>"
    + "|".join(re.escape(w) for w in sorted(_GROUP_OF, key=len, reverse=True))
    + r")(?P<sep>\s*[:#]\s*|\s+|(?=[0-9]))",
    re.IGNORECASE,
)
_ORDER_STATES = frozenset({
    "等待买家付款", "买家已付款", "等待卖家发货", "卖家已发货", "等待买家确认收货", "交易成功", "交易关闭",
    "交易完成", "已发货", "未发货", "已签收", "退款中", "退款成功", "售后中",
})
_AMOUNT = re.compile(r"[¥￥]?\s*[0-9]+(?:\.[0-9]{1,2})?\s*元?|[x×*][0-9]+", re.IGNORECASE)
_DIGITS = re.compile(r"(?<![0-9A-Za-z])[0-9]+(?![0-9A-Za-z])")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_EDGE_PUNCT = " \t:,，。;；、|-—"


@dataclass(frozen=True)
class Origin:
    """Where a picked value came from: its line in the paste (from 1) and how it was read."""

    line: int
    rule: str  # "说话人", the label as written ("订单号:"), "订单行", "数字串", or the buyer's words


@dataclass
class Picked:
    buyer_id: str = ""
    order_no: str = ""
    message_time: str = ""
    description: str = ""
    kind: str | None = None
    product: str = ""
    origins: dict[str, Origin] = field(default_factory=dict)

    @property
    def found(self) -> list[str]:
        """Names of the fields that were picked, in form order."""
        return [FIELD_NAMES[name] for name in FIELD_NAMES if name in self.origins]

    def report(self) -> list[tuple[str, str, str]]:
        """(field name, value, where) for each picked value, for the agent to check:
        ("买家", "快乐的小猪", "第1行,说话人"), ("类型", "换货", "第2行,「换L码」")."""
        rows = []
        for name, title in FIELD_NAMES.items():
            origin = self.origins.get(name)
            if origin is None:
                continue
            value = KINDS.get(self.kind or "", "") if name == "kind" else getattr(self, name)
            rule = f"「{origin.rule}」" if name == "kind" else origin.rule
            rows.append((title, value, f"第{origin.line}行,{rule}"))
        return rows


FIELD_NAMES = {"buyer_id": "买家", "order_no": "订单号", "message_time": "时间", "product": "商品",
               "kind": "类型"}

# What the buyer's words point to; the first kind that matches wins, so a complaint about
# a refund is a complaint and a logistics dispute (物流纠纷) a dispute, whose clocks give the
# 48 h dispute limit (data/sla.toml [start.kind]). Asking for compensation (赔偿) is asking for
# money, which the refund flow settles (a partial refund within the 30 % cap); it becomes a
# complaint only with complaint words.
_KIND_PATTERNS = [
    ("complaint", r"物流纠纷|投诉|维权|小二介入|平台介入|纠纷|差评|12315|消协|工商|举报"),
    ("exchange", r"换货|调换|更换|换(?:成|一下|一个|个|一件|件|一双|双|大|小|颜色|色|码|尺码|号|款)"
                 r"(?!.{0,2}(?:地址|快递|物流|电话|手机|收货))"
                 r"|换\s*[0-9]{0,3}[SMLXsmlx]{1,4}码?|换\s*[0-9]{2,3}码"),
    ("return", r"退货|退回|寄回|退掉|不想要了"),
    ("refund", r"退款|退钱|差价|返现|赔偿|索赔|赔我|退(?:我|给我)?\s*[0-9]+(?:\.[0-9]+)?\s*(?:块|元)"),
    ("logistics", r"快递|物流|没收到|签收|派送|运单|发货|到哪了|破损|破了|碎了|裂了|压坏|摔坏|漏液|丢件"),
    ("payment", r"未付款|没付款|催付|付款失败"),
    ("followup", r"回访"),
]
_KIND_RES = [(kind, re.compile(pattern)) for kind, pattern in _KIND_PATTERNS]


def guess_kind_why(text: str) -> tuple[str, str] | None:
    """(kind, the words that decided it), or None when nothing fits."""
    for kind, pattern in _KIND_RES:
        m = pattern.search(text)
        if m:
            return kind, m.group()
    return None


def guess_kind(text: str) -> str | None:
    """The case kind the buyer's words point to, or None when nothing fits."""
    why = guess_kind_why(text)
    return why[0] if why else None


def plausible_buyer(name: str) -> bool:
    """Could `name` be a Taobao nickname? Not a label word, a time, a date, a number, and
    nothing with spaces or a colon in it (Qianniu writes sub-accounts as 店铺:客服)."""
    name = name.strip()
    return (
        0 < len(name) <= MAX_BUYER
        and name.lower() not in LABEL_WORDS
        and not name.endswith("时间")
        and any(ch.isalpha() for ch in name)
        and not any(ch.isspace() or ch in ":：" for ch in name)
    )


def _normalise(line: str) -> str:
    return line.replace("：", ":").replace("\u3000", " ").replace("\xa0", " ").replace("＃", "#")


def _when(text: str, policy: Policy, now: datetime | None) -> str:
    """A date-time read off a line, as the form shows it ("2026-11-23 23:06:40"); a bare
    time becomes today's (or yesterday's, if later than now) when `now` is known. "" when
    it is no real time."""
    text = re.sub(r"\s+", " ", text.strip()).replace("/", "-").replace(".", "-")
    if now is None:
        m = re.search(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?$", text)
        ok = m and int(m.group(1)) < 24 and int(m.group(2)) < 60 and int(m.group(3) or 0) < 60
        return text if ok else ""
    try:
        at = parse_shop_time(text, policy, now)
    except (OverflowError, ValueError):
        return ""
    if at is None:
        return ""
    fmt = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return at.astimezone(policy.timezone).strftime(fmt)


def _speaker(who: str, shop_name: str | None, agents: frozenset[str]) -> tuple[str, str, str] | None:
    """What the text before a speaker line's time is: ("buyer", name, label), ("shop", name,
    ""), ("time", label, label) for a labelled time, or None when it is not a speaker.
    `label` is the label written before a buyer's name ("买家:快乐的小猪"), else ""."""
    who = who.strip().rstrip(":").strip()
    m = re.fullmatch(r"([^\s:]+)\s*:\s*([^\s:]+)", who) or re.fullmatch(r"([^\s:]+)\s+([^\s:]+)", who)
    if m and m.group(1).lower() in LABEL_WORDS:
        label, name = m.group(1), m.group(2)
        if _GROUP_OF[label.lower()] == "buyer":
            return "buyer", name if plausible_buyer(name) else "", label
        return None
    if m and ":" in who:
        # 主账号:子账号 is how Qianniu names the shop's own agents.
        return "shop", who, ""
    if m or not who or any(ch.isspace() for ch in who):
        return None
    group = _GROUP_OF.get(who.lower())
    # The order's own times (付款时间 …) say when it was paid, not when the buyer wrote.
    if group == "time" or (group is None and who.endswith("时间")):
        return "time", who, who
    if group == "buyer":
        return "buyer", "", who  # "买家 2026-11-23 …": the buyer spoke, name not given
    if group is not None:
        return None
    if who == shop_name or who in agents:
        return "shop", who, ""
    return ("buyer", who, "") if plausible_buyer(who) else None


@dataclass
class _Hit:
    field: str
    value: str
    line: int
    rule: str
    rank: int  # lower wins; equal ranks: the earlier line
    spans: list[tuple[int, int]] = field(default_factory=list)  # what to drop from the line


def _labelled(line: str, lineno: int, policy: Policy, now: datetime | None) -> list[_Hit]:
    """Labelled fields on one line: "买家:X 订单号:123 时间 2026-11-23 10:00:00"."""
    hits: list[_Hit] = []
    found = list(_LABEL_AT.finditer(line))
    for i, m in enumerate(found):
        label, group = m.group("label"), _GROUP_OF[m.group("label").lower()]
        end = found[i + 1].start() if i + 1 < len(found) else len(line)
        region = line[m.end():end]
        if group == "buyer":
            # "买家: X", "会员名 X"; never "买家3天没回" or "旺旺 上说".
            if not m.group("sep") or (not m.group("sep").strip() and label not in _BUYER_SPACED):
                continue
            token = region.split()[0].strip(_EDGE_PUNCT) if region.split() else ""
            if plausible_buyer(token):
                hits.append(_Hit("buyer_id", token, lineno, f"{label}:", 1, [(m.start(), m.end() + len(token))]))
        elif group == "order":
            d = re.match(r"[0-9]+(?![0-9])", region)
            if d and policy.order_min <= len(d.group()) <= policy.order_max and not _MOBILE.match(d.group()):
                hits.append(_Hit("order_no", d.group(), lineno, f"{label}:", 0, [(m.start(), m.end() + d.end())]))
        elif group == "time":
            t = _DATETIME.match(region)
            when = _when(t.group(), policy, now) if t else ""
            if when:
                hits.append(_Hit("message_time", when, lineno, label, 1, [(m.start(), m.end() + t.end())]))
        elif group == "product":
            if not m.group("sep"):  # "商品3件" is not a product field
                continue
            value = region.split("\t")[0].strip(_EDGE_PUNCT)[:MAX_PRODUCT]
            if value and any(ch.isalpha() for ch in value):
                cut = m.end() + len(region.split("\t")[0])
                hits.append(_Hit("product", value, lineno, f"{label}:", 0, [(m.start(), cut)]))
        elif group in ("tracking", "phone"):
            token = region.split()[0] if region.split() else ""
            hits.append(_Hit("not_order", token.strip(_EDGE_PUNCT), lineno, label, 0))
    return hits


def _order_line(line: str, lineno: int, policy: Policy) -> list[_Hit]:
    """An order copied from Qianniu's order list: cells separated by tabs or spaces, one of
    them the order number, with a time or an amount beside it."""
    cells = [c.strip() for c in (line.split("\t") if "\t" in line else re.split(r"\s+", line))]
    cells = [c for c in cells if c]
    merged: list[str] = []
    for cell in cells:  # "2026-11-23" "23:06:40" split by a space belong together
        if merged and re.fullmatch(_TIME, cell) and re.fullmatch(_DATE, merged[-1]):
            merged[-1] += " " + cell
        else:
            merged.append(cell)
    orders = [c for c in merged if c.isascii() and c.isdigit() and not _MOBILE.match(c)
              and policy.order_min <= len(c) <= policy.order_max]
    timed = any(_DATETIME.fullmatch(c) for c in merged)
    priced = any(re.search(r"[¥￥.元]", c) and _AMOUNT.fullmatch(c) for c in merged)
    if not orders or len(merged) < 3 or not (timed or priced or "\t" in line):
        return []
    texts = [c for c in merged if c not in orders and c not in _ORDER_STATES and not _DATETIME.fullmatch(c)
             and not _AMOUNT.fullmatch(c)]
    hits = [_Hit("order_no", orders[0], lineno, "订单行", 1)]
    buyer = next((c for c in texts if plausible_buyer(c)), "")
    if buyer:
        hits.append(_Hit("buyer_id", buyer, lineno, "订单行", 3))
    product = " ".join(c for c in texts if c != buyer)[:MAX_PRODUCT]
    if product and any(ch.isalpha() for ch in product):
        hits.append(_Hit("product", product, lineno, "订单行", 1))
    return hits


def pick_from_paste(
    text: str,
    policy: Policy,
    shop_name: str | None = None,
    now: datetime | None = None,
    agents: tuple[str, ...] | frozenset[str] | list[str] = (),
) -> Picked:
    """Pick buyer ID, order number, the buyer's message time and the product out of text
    pasted from Qianniu or Wangwang, guess the kind, and keep the rest as the description.

    Which wins when several are seen: buyer - a labelled speaker ("买家:X 时间"), a labelled
    field, the first speaker who is not the shop, a name in an order line; order number -
    a labelled one, one in an order line, else the longest run of digits of an order
    number's length that is not a mobile number or a tracking number; message time - the
    first buyer speaker line's, else a labelled 时间. A bare time (23:10:14) is today's, or
    yesterday's when later than `now`. The shop is `shop_name`, a sub-account ("店铺:客服")
    or one of `agents`. Every value comes with its origin (line and rule). Never raises.
    """
    agent_set = frozenset(a for a in agents if a)
    lines = [_normalise(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    hits: list[_Hit] = []
    headers: dict[int, str] = {}  # line index -> "buyer" | "shop" | "time"
    turn: list[str | None] = []  # whose message each line is
    current: str | None = None
    seen_buyer_time = False
    for i, line in enumerate(lines):
        n = i + 1
        end = _SPEAKER_END.search(line) if line.strip() else None
        who = _speaker(line[:end.start()], shop_name, agent_set) if end else None
        if end and who:
            role, name, label = who
            when = _when(end.group("when"), policy, now)
            headers[i] = role
            if role == "time":
                if when:
                    hits.append(_Hit("message_time", when, n, label, 1))
            elif role == "buyer":
                current = "buyer"
                if name:
                    hits.append(_Hit("buyer_id", name, n, "说话人", 0 if label else 2))
                if when and not seen_buyer_time:
                    seen_buyer_time = True
                    hits.append(_Hit("message_time", when, n, "说话人", 0))
            else:
                current = "shop"
            turn.append(current)
            continue
        turn.append(current)
        line_hits = _labelled(line, n, policy, now)
        hits += line_hits
        if not line_hits:
            hits += _order_line(line, n, policy)

    picked = Picked()
    for name in ("buyer_id", "order_no", "message_time", "product"):
        best = min((h for h in hits if h.field == name), key=lambda h: (h.rank, h.line), default=None)
        if best is not None:
            setattr(picked, name, best.value)
            picked.origins[name] = Origin(best.line, best.rule)
    if not picked.order_no:
        not_order = {h.value for h in hits if h.field == "not_order"}
        runs = [(len(r), -i, r) for i, line in enumerate(lines) if headers.get(i) is None
                for r in _DIGITS.findall(line)
                if policy.order_min <= len(r) <= policy.order_max and not _MOBILE.match(r) and r not in not_order]
        if runs:
            _, neg_i, picked.order_no = max(runs)
            picked.origins["order_no"] = Origin(-neg_i + 1, "数字串")

    # The description: everything but buyer speaker lines, labelled-time lines and the
    # values taken into fields.
    used_spans: dict[int, list[tuple[int, int]]] = {}
    used = set()
    for h in hits:
        if getattr(picked, h.field, None) == h.value:
            used.add((h.line, h.field))
            used_spans.setdefault(h.line, []).extend(h.spans)
    desc: list[str] = []
    words: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        role = headers.get(i)
        if role == "buyer" or (role == "time" and (i + 1, "message_time") in used):
            continue
        if role == "shop":
            desc.append(line.strip())
            continue
        kept = line
        for start, stop in sorted(used_spans.get(i + 1, ()), reverse=True):
            kept = kept[:start] + " " + kept[stop:]
        if picked.order_no:
            kept = re.sub(rf"(?:订单(?:编号|号)?\s*[:#]?\s*)?(?<![0-9]){picked.order_no}(?![0-9])", " ", kept)
        for name in ("product", "buyer_id"):
            if picked.origins.get(name) == Origin(i + 1, "订单行"):
                kept = kept.replace(getattr(picked, name), " ", 1)
        if kept != line:
            kept = re.sub(r"[ \t]+", " ", kept).strip(_EDGE_PUNCT)
        if not kept.strip(_EDGE_PUNCT):
            continue
        desc.append(kept.rstrip())
        if turn[i] != "shop":
            words.append((i + 1, kept))
    picked.description = "\n".join(desc).strip("\n")
    for n, line in words:
        why = guess_kind_why(line)
        if why and (picked.kind is None or _KIND_ORDER[why[0]] < _KIND_ORDER[picked.kind]):
            picked.kind = why[0]
            picked.origins["kind"] = Origin(n, why[1])
    return picked


_KIND_ORDER = {kind: i for i, (kind, _) in enumerate(_KIND_PATTERNS)}


def parse_future_time(text: str, policy: Policy, now: datetime) -> datetime | None:
    """A time promised to the buyer, as an agent types it: '18:30' (next such time),
    '明天10点', '明天 10:00', '后天9:30', '2026-11-25 10:00'. Aware UTC, or None."""
    text = text.strip().replace("：", ":")
    days = 0
    for word, n in (("今天", 0), ("明天", 1), ("后天", 2)):
        if text.startswith(word):
            days, text = n, text[len(word):].strip()
            break
    m = re.fullmatch(r"(\d{1,2})\s*点(?:\s*(\d{1,2})\s*分?|半)?", text)
    if m:
        minute = 30 if text.endswith("半") else int(m.group(2) or 0)
        text = f"{int(m.group(1))}:{minute:02d}"
    if re.fullmatch(r"\d{1,2}:\d{2}", text):
        local_now = now.astimezone(policy.timezone)
        hour, minute = (int(x) for x in text.split(":"))
        try:
            local = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        except ValueError:
            return None
        local += timedelta(days=days)
        if days == 0 and local <= local_now:
            local += timedelta(days=1)
        return local.astimezone(now.tzinfo)
    if days:
        return None
    return parse_shop_time(text, policy, now)


_REMAINING = re.compile(r"(?:还剩|剩余|剩)?\s*(?:(\d{1,3})\s*天)?\s*(?:(\d{1,2})\s*(?:小时|时))?\s*(?:(\d{1,2})\s*分钟?)?")


def parse_due_time(text: str, policy: Policy, now: datetime) -> datetime | None:
    """A deadline as Qianniu shows it or an agent types it: time left ('5天3时', '还剩2天',
    '3小时20分') or a time ('18:30', '明天10点', '2026-11-30 10:00', as `parse_future_time`).
    Aware UTC, or None."""
    compact = text.strip().replace(" ", "")
    m = _REMAINING.fullmatch(compact)
    if m and any(m.groups()):
        days, hours, minutes = (int(g or 0) for g in m.groups())
        if hours < 24 and minutes < 60:
            return now + timedelta(days=days, hours=hours, minutes=minutes)
        return None
    return parse_future_time(text, policy, now)

"""Check one flow's TOML data and build the Flow from it.

Every problem becomes a SopError naming the file, the node and the reason; the data is never
trusted to have the right types, because a supervisor edits it by hand.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from console.sop.graph import graph_problems
from console.sop.model import (
    ADVANCERS,
    GOODS_RETURN,
    NODE_TYPES,
    PAYERS,
    REFUND_SCOPES,
    REGISTERS,
    REPLY_CATEGORIES,
    Choice,
    FactField,
    Flow,
    Node,
    Outcome,
    Rules,
    SopError,
)
from console.sop.registers import RULE_REGISTERS, RULE_TEXT, registers_by_rule
from console.units import qty
from console.vocab import ESCALATIONS, KINDS, REFUND_STATUSES, STATUSES

# Escalation names the shipped trees once used, and the case store's name for each.
RENAMED_ESCALATIONS = {"legal": "risk_legal"}

ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
REPLY_ID = re.compile(r"^([a-z]+)\.([a-z0-9_]+)$")
TONE_REF = re.compile(r"^[a-z_]+$")
MAX_CHOICES = 9  # answered with the number keys 1–9

COMMON_KEYS = {"type", "text", "hint", "collect", "tone", "rule"}
TYPE_KEYS = {
    "question": {"choices"},
    "facts": {"fields", "next"},
    "confirm": {"next", "otherwise", "refuse_reason"},
    "outcome": set(),
}
OUTCOME_REQUIRED = (
    "buyer_gets", "goods_return", "postage_out", "postage_back", "check_on_arrival",
    "checklist", "registers", "timers", "replies", "next_status", "case_kind", "summary",
)
OUTCOME_OPTIONAL = (
    "advance_by", "refund_scope", "compensation", "price_difference", "escalate", "urgent",
    "note", "requires", "problem", "refund_status", "intervened",
)


class FlowChecker:
    """Validates one parsed flow file; `build()` returns the Flow only if nothing is wrong."""

    def __init__(self, raw: dict[str, Any], file: str, rules: Rules, *,
                 clocks: Collection[str] | None, reply_ids: Collection[str] | None,
                 lines: dict[str, int], refund_clocks: Mapping[str, Collection[str]] | None = None) -> None:
        self.raw, self.file, self.rules = raw, file, rules
        self.refund_clocks = dict(refund_clocks or {})
        self.clocks, self.reply_ids, self.lines = clocks, reply_ids, lines
        self.errors: list[SopError] = []
        self.flow_id = ""
        self.flow_problem = True

    def err(self, node: str | None, reason: str, severity: str = "error") -> None:
        line = self.lines.get(node or "[flow]")
        self.errors.append(SopError(self.file, node, reason, line, severity))

    @property
    def failed(self) -> bool:
        return any(e.severity == "error" for e in self.errors)

    # ---- top level -----------------------------------------------------------------

    def build(self) -> Flow | None:
        head = self.raw.get("flow")
        nodes_raw = self.raw.get("nodes")
        for key in self.raw:
            if key not in ("flow", "nodes"):
                self.err(None, f"未知的表 [{key}] (only [flow] and [nodes.*])")
        if not isinstance(head, dict):
            self.err(None, "缺少 [flow] 表 (missing [flow])")
            return None
        if not isinstance(nodes_raw, dict) or not nodes_raw:
            self.err(None, "没有任何节点 (missing [nodes.*])")
            return None
        flow_id = self._text(head, "id", None, what="[flow] id")
        if flow_id and not ID.match(flow_id):
            self.err(None, f"[flow] id 只能用英文字母、数字和下划线 (got {flow_id!r})")
        self.flow_id = flow_id or ""
        title = self._text(head, "title", None, what="[flow] title")
        start = self._text(head, "start", None, what="[flow] start")
        case_kind = head.get("case_kind")
        if case_kind not in KINDS:
            self.err(None, f"[flow] case_kind 未知: {case_kind!r} (known: {', '.join(KINDS)})")
        for key in head:
            if key not in ("id", "title", "start", "case_kind", "source", "description", "problem"):
                self.err(None, f"[flow] 未知字段 {key!r}")
        self.flow_problem = head.get("problem", True)
        if not isinstance(self.flow_problem, bool):
            self.err(None, "[flow] problem 应为 true 或 false")
            self.flow_problem = True

        nodes: dict[str, Node] = {}
        for node_id, spec in nodes_raw.items():
            node = self._node(str(node_id), spec, title or "")
            if node is not None:
                nodes[node.id] = node
        if start and start not in nodes_raw:
            self.err(None, f"起点 start = {start!r} 不存在 (no such node)")
        elif start:
            declared = [str(k) for k in nodes_raw]
            for node_id, reason in graph_problems(start, nodes, declared,
                                                  self.rules.required_facts):
                self.err(node_id, reason)
        if self.failed:
            return None
        return Flow(
            id=flow_id, title=title, case_kind=case_kind, start=start, nodes=nodes,
            source=self.file, description=str(head.get("description", "")),
        )

    # ---- nodes ---------------------------------------------------------------------

    def _node(self, node_id: str, spec: Any, flow_title: str) -> Node | None:
        if not ID.match(node_id):
            self.err(node_id, "节点 id 只能用英文字母、数字和下划线 (ASCII id)")
        if not isinstance(spec, dict):
            self.err(node_id, "节点应为一个表 (node must be a table)")
            return None
        kind = spec.get("type")
        if kind not in NODE_TYPES:
            self.err(node_id, f"type 应为 {' / '.join(NODE_TYPES)} 之一 (got {kind!r})")
            return None
        allowed = COMMON_KEYS | TYPE_KEYS[kind]
        if kind == "outcome":
            allowed |= set(OUTCOME_REQUIRED) | set(OUTCOME_OPTIONAL)
        for key in spec:
            if key not in allowed:
                self.err(node_id, f"{kind} 节点不认识字段 {key!r} (unknown key)")
        text = self._text(spec, "text", node_id, required=kind != "outcome")
        base = dict(
            id=node_id, type=kind, text=text or str(spec.get("summary", "")),
            hint=self._text(spec, "hint", node_id, required=False),
            collect=self._strings(spec, "collect", node_id),
            tone=self._tone(spec, node_id),
            rule=self._text(spec, "rule", node_id, required=False) or None,
            line=self.lines.get(node_id),
        )
        if kind == "question":
            return Node(**base, choices=self._choices(spec, node_id))
        if kind == "facts":
            return Node(**base, fields=self._fields(spec, node_id), next=self._next(spec, node_id))
        if kind == "confirm":
            other = spec.get("otherwise")
            if other is not None and not isinstance(other, str):
                self.err(node_id, "otherwise 应为节点 id")
                other = None
            return Node(**base, next=self._next(spec, node_id), otherwise=other,
                        refuse_reason=self._text(spec, "refuse_reason", node_id, required=False))
        return Node(**base, outcome=self._outcome(spec, node_id, base["text"], flow_title))

    def _choices(self, spec: dict, node_id: str) -> tuple[Choice, ...]:
        raw = spec.get("choices")
        if not isinstance(raw, list) or not raw:
            self.err(node_id, "question 节点需要 choices 列表 (missing choices)")
            return ()
        if len(raw) > MAX_CHOICES:
            self.err(node_id, f"选项最多 {qty(MAX_CHOICES, '个')}(数字键 1–9),现在有 {qty(len(raw), '个')}")
        out, seen = [], set()
        for i, item in enumerate(raw, 1):
            if not isinstance(item, dict):
                self.err(node_id, f"选项 {i} 应为 {{label=..., next=...}}")
                continue
            for key in item:
                if key not in ("label", "next", "hint"):
                    self.err(node_id, f"选项 {i} 不认识字段 {key!r}")
            label, nxt = item.get("label"), item.get("next")
            if not isinstance(label, str) or not label.strip():
                self.err(node_id, f"选项 {i} 缺少 label")
                continue
            if label in seen:
                self.err(node_id, f"选项 {i} 与前面的选项同名: {label!r}")
            seen.add(label)
            if not isinstance(nxt, str) or not nxt:
                self.err(node_id, f"选项 {i} '{label}' 缺少 next")
                continue
            out.append(Choice(label, nxt, str(item.get("hint", ""))))
        return tuple(out)

    def _fields(self, spec: dict, node_id: str) -> tuple[FactField, ...]:
        raw = spec.get("fields")
        if not isinstance(raw, list) or not raw:
            self.err(node_id, "facts 节点需要 fields 列表 (missing fields)")
            return ()
        out: list[FactField] = []
        for i, item in enumerate(raw, 1):
            key = item.get("key") if isinstance(item, dict) else None
            label = item.get("label") if isinstance(item, dict) else None
            if not isinstance(key, str) or not ID.match(key) or not isinstance(label, str):
                self.err(node_id, f"字段 {i} 应为 {{key=\"英文\", label=\"中文\"}}")
                continue
            if any(f.key == key for f in out):
                self.err(node_id, f"字段 key 重复: {key!r}")
            required = item.get("required", True)
            if not isinstance(required, bool):
                self.err(node_id, f"字段 {key} 的 required 应为 true/false")
                required = True
            out.append(FactField(key, label, required, str(item.get("hint", ""))))
        need = self.rules.required_facts.get(str(spec.get("rule", "")), ())
        missing = [k for k in need if k not in {f.key for f in out if f.required}]
        if missing:
            self.err(node_id, f"规则 {spec.get('rule')!r} 要求必填字段: {', '.join(missing)}")
        return tuple(out)

    def _outcome(self, spec: dict, node_id: str, text: str, flow_title: str) -> Outcome | None:
        missing = [k for k in OUTCOME_REQUIRED if k not in spec]
        if missing:
            self.err(node_id, f"结果缺少字段: {', '.join(missing)} (missing outcome fields)")
            return None
        gets = self._strings(spec, "buyer_gets", node_id)
        if not gets:
            self.err(node_id, "buyer_gets 不能为空")
        for item in gets:
            if item not in self.rules.buyer_gets:
                self.err(node_id, f"buyer_gets 未知: {item!r} (rules.toml [vocab] buyer_gets)")
        goods = self._enum(spec, "goods_return", GOODS_RETURN, node_id)
        out = self._enum(spec, "postage_out", PAYERS, node_id)
        back = self._enum(spec, "postage_back", PAYERS, node_id)
        check = self._text(spec, "check_on_arrival", node_id, required=False)
        if goods == "none" and back not in (None, "none"):
            self.err(node_id, "货不退回时 postage_back 应为 \"none\"")
        if goods not in (None, "none"):
            if back == "none":
                self.err(node_id, "货要退回时 postage_back 不能是 \"none\",要写谁承担")
            if not check:
                self.err(node_id, "货要退回时 check_on_arrival 要写明收到后检查什么")
        checklist = self._strings(spec, "checklist", node_id)
        if not checklist:
            self.err(node_id, "checklist 不能为空 (next steps)")
        registers = self._strings(spec, "registers", node_id)
        for reg in registers:
            if reg not in REGISTERS:
                self.err(node_id, f"未知登记表 {reg!r} (known: {', '.join(REGISTERS)})")
        timers = self._strings(spec, "timers", node_id)
        for timer in timers:
            if self.clocks is not None and timer not in self.clocks:
                self.err(node_id, f"未知计时类型 {timer!r} (not in sla.toml [clocks])")
        replies = self._strings(spec, "replies", node_id)
        for reply in replies:
            self._reply(reply, node_id)
        status = spec.get("next_status")
        if status not in STATUSES:
            self.err(node_id, f"next_status 未知: {status!r} (known: {', '.join(STATUSES)})")
        kind = spec.get("case_kind")
        if kind not in KINDS:
            self.err(node_id, f"case_kind 未知: {kind!r} (known: {', '.join(KINDS)})")
        summary = self._text(spec, "summary", node_id)
        advance = self._enum(spec, "advance_by", ADVANCERS, node_id, optional=True)
        scope = self._enum(spec, "refund_scope", REFUND_SCOPES, node_id, optional=True)
        escalate = spec.get("escalate")
        if isinstance(escalate, str) and escalate in RENAMED_ESCALATIONS:
            # A shop's copy from before the names were the store's: it still works, and says so.
            new = RENAMED_ESCALATIONS[escalate]
            self.err(node_id, f"escalate = {escalate!r} 是旧名字, 按 {new!r} ({ESCALATIONS[new]}) 处理; "
                              f"请改为 escalate = {new!r}", "warning")
            escalate = new
        if escalate is not None and (not isinstance(escalate, str) or escalate not in ESCALATIONS):
            # The case store refuses anyone else: said here, not at a desk applying the outcome.
            known = "、".join(f"{k} ({v})" for k, v in ESCALATIONS.items())
            self.err(node_id, f"escalate 未知的升级对象 {escalate!r}: 工单只能升级给 {known}")
            escalate = None
        flags = {k: spec.get(k, False) for k in ("compensation", "price_difference", "urgent", "intervened")}
        flags["problem"] = spec.get("problem", self.flow_problem)
        refund_status = self._enum(spec, "refund_status", REFUND_STATUSES, node_id, optional=True)
        # A status the agent sets in Qianniu (a refusal) keeps the clock it stops running until
        # the agent says it is done: the outcome must name that clock, or a forgotten click
        # would let the request be agreed by itself unseen.
        agree_clocks = set(self.refund_clocks.get("waiting_seller_agree", ()))
        if refund_status == "seller_refused" and agree_clocks and not agree_clocks & set(timers):
            self.err(node_id, "refund_status = \"seller_refused\" 需要在 timers 里写自动同意计时 "
                              f"({' / '.join(sorted(agree_clocks))}):拒绝之前它还在走")
        for key, value in flags.items():
            if not isinstance(value, bool):
                self.err(node_id, f"{key} 应为 true 或 false")
        if advance and back == "none":
            self.err(node_id, "没有回程运费时不需要 advance_by")
        outcome = Outcome(
            flow_id=self.flow_id, flow_title=flow_title, node_id=node_id, text=text or summary,
            summary=summary, buyer_gets=gets, goods_return=goods or "none",
            postage_out=out or "none", postage_back=back or "none", check_on_arrival=check,
            checklist=checklist, registers=registers, timers=timers, replies=replies,
            next_status=str(status), case_kind=str(kind), advance_by=advance, refund_scope=scope,
            compensation=flags["compensation"] is True,
            price_difference=flags["price_difference"] is True, escalate=escalate,
            urgent=flags["urgent"] is True,
            note=self._text(spec, "note", node_id, required=False),
            requires=self._strings(spec, "requires", node_id),
            problem=flags["problem"] is True, refund_status=refund_status,
            intervened=flags["intervened"] is True,
        )
        ruled = registers_by_rule(outcome)
        declared = tuple(r for r in RULE_REGISTERS if r in registers)
        if declared != ruled:
            self.err(node_id, f"registers 与统一规则不符: 应为 {list(ruled)},写的是 {list(declared)}。"
                              + RULE_TEXT)
        return outcome

    def _reply(self, reply: str, node_id: str) -> None:
        match = REPLY_ID.match(reply)
        if not match or match.group(1) not in REPLY_CATEGORIES:
            self.err(node_id, f"回复 id 应为 <类别>.<名字>,类别为 {', '.join(REPLY_CATEGORIES)} "
                              f"(got {reply!r})")
        elif self.reply_ids is not None and reply not in self.reply_ids:
            self.err(node_id, f"话术库里没有回复 {reply!r} (unknown reply id)", "warning")

    # ---- small typed readers -------------------------------------------------------

    def _text(self, spec: dict, key: str, node: str | None, *, required: bool = True,
              what: str | None = None) -> str:
        value = spec.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.err(node, f"{what or key} 应为非空文字 (missing or not a string)")
            return ""
        return value

    def _strings(self, spec: dict, key: str, node: str) -> tuple[str, ...]:
        value = spec.get(key, [])
        if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
            self.err(node, f"{key} 应为文字列表,例如 [\"...\"]")
            return ()
        return tuple(value)

    def _enum(self, spec: dict, key: str, allowed: dict[str, str], node: str, *,
              optional: bool = False) -> str | None:
        value = spec.get(key)
        if value is None and optional:
            return None
        if value not in allowed:
            self.err(node, f"{key} 应为 {' / '.join(allowed)} 之一 (got {value!r})")
            return None
        return value

    def _next(self, spec: dict, node: str) -> str | None:
        value = spec.get("next")
        if not isinstance(value, str) or not value:
            self.err(node, "缺少 next (missing next)")
            return None
        return value

    def _tone(self, spec: dict, node: str) -> tuple[str, ...]:
        """Items naming a set in rules.toml [tones] expand to it; other items are literal."""
        out: list[str] = []
        for item in self._strings(spec, "tone", node):
            if item in self.rules.tones:
                out.extend(self.rules.tones[item])
            elif TONE_REF.match(item):
                self.err(node, f"未知的语气规则集 {item!r} (rules.toml [tones])")
            else:
                out.append(item)
        return tuple(out)

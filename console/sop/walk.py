"""Walking a flow one answer at a time, and the one-line memo the walk leaves behind.

Every step returns a Verdict; a refused step changes nothing, so the screen can show the
reason and let the agent try again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from console.sop.model import OK, Flow, Node, Outcome, Verdict, refused
from console.vocab import STATUSES

YES = frozenset({"y", "yes", "是", "确认", "1", "true", "ok"})
NO = frozenset({"n", "no", "否", "不", "2", "false"})


@dataclass(frozen=True)
class Step:
    """One answered node. `answer` is what the screen shows beside the node."""

    node: Node
    answer: str
    choice: int | None = None
    values: tuple[tuple[str, str], ...] = ()
    confirmed: bool | None = None

    @property
    def pair(self) -> tuple[str, str]:
        return self.node.id, self.answer


class Walk:
    """The agent's position in one flow, with the answers that led there."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self._steps: list[Step] = []
        self._remembered: dict[str, Step] = {}

    @classmethod
    def start(cls, flow: Flow) -> Walk:
        """A new walk at the flow's first node."""
        return cls(flow)

    # ---- where we are --------------------------------------------------------------

    @property
    def node(self) -> Node:
        if self._steps:
            return self.flow.nodes[self._target(self._steps[-1])]
        return self.flow.nodes[self.flow.start]

    @property
    def path(self) -> tuple[Step, ...]:
        return tuple(self._steps)

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return [s.pair for s in self._steps]

    @property
    def done(self) -> bool:
        return self.node.type == "outcome"

    @property
    def outcome(self) -> Outcome | None:
        return self.node.outcome

    def previous(self, node_id: str) -> Step | None:
        """The last answer given at `node_id`, kept after back() so the screen can pre-fill it."""
        return self._remembered.get(node_id)

    def facts(self) -> dict[str, str]:
        """Every fact recorded on the current path, by label."""
        out: dict[str, str] = {}
        for step in self._steps:
            labels = {f.key: f.label for f in step.node.fields}
            out.update({labels[k]: v for k, v in step.values})
        return out

    # ---- moving --------------------------------------------------------------------

    def answer(self, number: int) -> Verdict:
        """Pick choice `number` (1-based) at a question."""
        node = self.node
        if node.type != "question":
            return refused(f"当前是{_KIND_WORD[node.type]},不是选择题")
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(node.choices):
            return refused(f"请按 1–{len(node.choices)} 选择")
        return self._push(Step(node, node.choices[number - 1].label, choice=number))

    def choose(self, text: str) -> Verdict:
        """Answer the current node from text: a choice number or label, yes/no, or key:value pairs."""
        node = self.node
        text = text.strip()
        if node.type == "question":
            if text.isdigit():
                return self.answer(int(text))
            labels = [c.label for c in node.choices]
            if text in labels:
                return self.answer(labels.index(text) + 1)
            return refused(f"没有选项 {text!r};可选: " + " / ".join(
                f"{i}) {label}" for i, label in enumerate(labels, 1)))
        if node.type == "confirm":
            word = text.lower()
            if word in YES or word in NO:
                return self.confirm(word in YES)
            return refused("请回答 yes 或 no (是/否)")
        if node.type == "facts":
            values: dict[str, str] = {}
            for part in filter(None, (p.strip() for p in re.split("[;\uff1b]", text))):
                key, sep, value = part.replace("\uff1a", ":").partition(":")
                if not sep:
                    return refused(f"事实应写成 字段:内容,用 ; 分开 (got {part!r})")
                values[key.strip()] = value.strip()
            return self.provide(values)
        return refused("已经到达结果,不需要再回答")

    def provide(self, values: Mapping[str, str]) -> Verdict:
        """Fill the fields of a facts node, by key or by label; required ones must not be empty."""
        node = self.node
        if node.type != "facts":
            return refused(f"当前是{_KIND_WORD[node.type]},不需要填写信息")
        by_name = {f.key: f for f in node.fields} | {f.label: f for f in node.fields}
        unknown = [k for k in values if k not in by_name]
        if unknown:
            return refused(f"没有这些字段: {', '.join(unknown)};应填: "
                           + "、".join(f"{f.label}({f.key})" for f in node.fields))
        given = {by_name[k].key: str(v).strip() for k, v in values.items()}
        missing = [f.label for f in node.fields if f.required and not given.get(f.key)]
        if missing:
            return refused(f"还需要填写: {'、'.join(missing)} — {node.text}")
        ordered = tuple((f.key, given[f.key]) for f in node.fields if given.get(f.key))
        answer = ";".join(f"{f.label}:{given[f.key]}" for f in node.fields if given.get(f.key))
        return self._push(Step(node, answer, values=ordered))

    def confirm(self, yes: bool = True) -> Verdict:
        """Confirm the statement of a confirm node, or say it cannot be confirmed."""
        node = self.node
        if node.type != "confirm":
            return refused(f"当前是{_KIND_WORD[node.type]},没有需要确认的事项")
        if not yes and not node.otherwise:
            return refused(node.refuse_reason or f"必须先确认「{node.text}」才能继续")
        short = _PAREN.sub("", node.text) or node.text
        answer = f"已确认:{short}" if yes else f"不能确认:{short}"
        return self._push(Step(node, answer, confirmed=yes))

    def back(self) -> Verdict:
        """Go back one step (Backspace); the answers before it stay."""
        if not self._steps:
            return refused("已经在第一步")
        self._steps.pop()
        return OK

    def restart(self) -> None:
        self._steps.clear()

    # ---- keeping a walk (the wizard's progress is a draft, like the notes) -------------

    def to_data(self) -> list[dict[str, object]]:
        """The answers as plain data (JSON-safe), each with the node it answered."""
        out: list[dict[str, object]] = []
        for step in self._steps:
            item: dict[str, object] = {"node": step.node.id}
            if step.choice is not None:
                item["choice"] = step.choice
            elif step.confirmed is not None:
                item["confirmed"] = step.confirmed
            else:
                item["values"] = dict(step.values)
            out.append(item)
        return out

    @classmethod
    def replay(cls, flow: Flow, data: object) -> Walk | None:
        """A walk re-answered from `to_data()`; None when the tree changed under it (a node
        moved or an answer is no longer allowed), so the caller starts fresh and says so."""
        walk = cls(flow)
        if not isinstance(data, list):
            return None
        for item in data:
            if not isinstance(item, dict) or walk.done or item.get("node") != walk.node.id:
                return None
            if "choice" in item:
                verdict = walk.answer(item["choice"])
            elif "confirmed" in item:
                verdict = walk.confirm(bool(item["confirmed"]))
            elif isinstance(item.get("values"), dict):
                verdict = walk.provide({str(k): str(v) for k, v in item["values"].items()})
            else:
                return None
            if not verdict:
                return None
        return walk

    def fact_values(self) -> dict[str, str]:
        """Every fact on the current path, by key (product, skin …)."""
        out: dict[str, str] = {}
        for step in self._steps:
            out.update(step.values)
        return out

    def memo(self, agent: str, when: date | datetime | str) -> str:
        outcome = self.outcome
        if outcome is None:
            raise ValueError("还没有到达结果,不能生成备注")
        return memo_line(outcome, self._steps, agent, when)

    # ---- internals -----------------------------------------------------------------

    def _push(self, step: Step) -> Verdict:
        self._steps.append(step)
        self._remembered[step.node.id] = step
        return OK

    def _target(self, step: Step) -> str:
        node = step.node
        if node.type == "question":
            return node.choices[step.choice - 1].next
        if node.type == "confirm" and not step.confirmed:
            return node.otherwise
        return node.next


_KIND_WORD = {"question": "选择题", "facts": "填写信息", "confirm": "确认事项", "outcome": "结果"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_PAREN = re.compile(r"\s*[(\uff08][^()\uff08\uff09]*[)\uff09]\s*$")  # a trailing (…) explanation


def _one_line(text: str) -> str:
    """Control characters and line breaks become single spaces: the memo is one line."""
    return " ".join(_CONTROL.sub(" ", str(text)).split())


def memo_line(outcome: Outcome, path: Iterable[Step | tuple[object, str]], agent: str,
              when: date | datetime | str) -> str:
    """The order memo (备注) after a walk: date, agent, flow, branch, postage, next step."""
    if isinstance(when, datetime):
        stamp = when.strftime("%Y-%m-%d %H:%M")
    elif isinstance(when, date):
        stamp = when.isoformat()
    else:
        stamp = str(when)
    labels = [step.answer if isinstance(step, Step) else step[1] for step in path]
    branch = " › ".join(_one_line(label) for label in labels) or "—"
    next_step = outcome.checklist[0] if outcome.checklist else ""
    status = STATUSES.get(outcome.next_status, outcome.next_status)
    parts = [
        f"{_one_line(stamp)} {_one_line(agent) or '客服'}",
        f"{outcome.flow_title}SOP: {branch}",
        f"处理: {_one_line(outcome.summary)}",
        f"运费: {outcome.postage_text()}",
        f"下一步: {_one_line(next_step)}({status})",
    ]
    return " | ".join(parts)

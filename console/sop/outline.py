"""A flow as an indented text outline (`aftersales sop show`)."""

from __future__ import annotations

from console.sop.model import GOODS_RETURN, Flow, Node, Outcome


def outline_lines(flow: Flow) -> list[str]:
    """Each node once; a node reached again (a shared branch) is shown as a reference."""
    lines = [f"{flow.title} ({flow.id}) · 起点 {flow.start} · {flow.source}"]
    shown: set[str] = set()

    def visit(node_id: str, depth: int) -> None:
        pad = "  " * depth
        node = flow.nodes[node_id]
        if node_id in shown:
            lines.append(f"{pad}→ [{node_id}] (见上)")
            return
        shown.add(node_id)
        lines.append(f"{pad}[{node_id}] {_head(node)}")
        if node.type == "question":
            for i, choice in enumerate(node.choices, 1):
                lines.append(f"{pad}  {i}) {choice.label}")
                visit(choice.next, depth + 2)
        elif node.type == "facts":
            visit(node.next, depth + 1)
        elif node.type == "confirm":
            lines.append(f"{pad}  是) 已确认")
            visit(node.next, depth + 2)
            if node.otherwise:
                lines.append(f"{pad}  否) 不能确认")
                visit(node.otherwise, depth + 2)

    visit(flow.start, 0)
    return lines


def _head(node: Node) -> str:
    if node.type == "question":
        return f"? {node.text}"
    if node.type == "facts":
        labels = "、".join(f.label + ("" if f.required else "(选填)") for f in node.fields)
        return f"✎ {node.text} [{labels}]"
    if node.type == "confirm":
        return f"✔? {node.text}"
    return f"◆ {_outcome(node.outcome)}"


def _outcome(outcome: Outcome | None) -> str:
    if outcome is None:
        return ""
    bits = [
        f"买家得到 {'、'.join(outcome.buyer_gets)}",
        f"退回 {GOODS_RETURN[outcome.goods_return]}",
        f"运费 {outcome.postage_text()}",
    ]
    if outcome.registers:
        bits.append(f"登记 {'、'.join(outcome.registers)}")
    if outcome.timers:
        bits.append(f"计时 {', '.join(outcome.timers)}")
    return f"{outcome.summary} ({'; '.join(bits)})"

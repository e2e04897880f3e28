"""Graph checks over a flow's nodes: dangling links, unreachable nodes, cycles, required rules.

Pure functions returning (node id, reason) pairs; the checker turns them into SopErrors.
"""

from __future__ import annotations

from collections.abc import Collection

from console.sop.model import Node

Problem = tuple[str, str]


def graph_problems(start: str, nodes: dict[str, Node], declared: Collection[str],
                   fact_rules: Collection[str]) -> list[Problem]:
    """Everything wrong with how the nodes link up.

    Args:
        nodes: the nodes that built cleanly.
        declared: every node id in the file, including ones that failed to build.
        fact_rules: rule names rules.toml [facts] knows.
    """
    problems: list[Problem] = []
    for node in nodes.values():
        for target in node.targets():
            if target not in declared:
                problems.append((node.id, f"指向不存在的节点 {target!r} (dangling next)"))
    seen: set[str] = set()
    _cycles(start, nodes, declared, [], seen, problems)
    problems += [(str(n), "从起点走不到这个节点 (unreachable)") for n in declared if n not in seen]
    required = {r for n in nodes.values() if n.outcome for r in n.outcome.requires}
    for node in nodes.values():
        if node.rule and node.rule not in required | set(fact_rules):
            problems.append((node.id, f"rule = {node.rule!r} 没有结果用 requires 引用,"
                                      "rules.toml [facts] 里也没有 (typo?)"))
        for rule in node.outcome.requires if node.outcome else ():
            if bypasses(start, node.id, rule, nodes):
                problems.append((node.id, f"有一条路径不经过 rule = {rule!r} 的节点就到达这个结果 "
                                          f"(outcome requires {rule!r})"))
    return problems


def _cycles(node_id: str, nodes: dict[str, Node], declared: Collection[str], stack: list[str],
            seen: set[str], problems: list[Problem]) -> None:
    """Depth-first from `node_id`; a target already on the stack closes a cycle."""
    seen.add(node_id)
    stack.append(node_id)
    node = nodes.get(node_id)
    for target in node.targets() if node else ():
        if target in stack:
            loop = " → ".join(stack[stack.index(target):] + [target])
            problems.append((node_id, f"形成循环: {loop} (cycle)"))
        elif target not in seen and target in nodes:
            _cycles(target, nodes, declared, stack, seen, problems)
        elif target in declared:
            seen.add(target)  # reached, though it failed to build (its own error says why)
    stack.pop()


def bypasses(start: str, goal: str, rule: str, nodes: dict[str, Node]) -> bool:
    """Can `goal` be reached without passing a node tagged `rule`?

    A confirm node only counts on its `next` (confirmed) edge, not on `otherwise`.
    """
    todo, seen = [start], set()
    while todo:
        node = nodes.get(todo.pop())
        if node is None or node.id in seen:
            continue
        seen.add(node.id)
        if node.id == goal:
            return True
        targets = node.targets()
        if node.rule == rule:
            if node.type != "confirm":
                continue
            targets = (node.otherwise,) if node.otherwise else ()
        todo.extend(targets)
    return False

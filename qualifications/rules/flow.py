"""A small maximum-flow solver, and feasibility of flows with lower bounds.

Counting credits under group maxima and level caps is a flow problem: credits flow from units
through the level bands they sit in to the groups they count for. The graphs are tiny (a few
dozen nodes), so a plain Edmonds-Karp is plenty.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Hashable

INFINITE = 10**9

Node = Hashable


class Network:
    def __init__(self) -> None:
        self.capacity: dict[Node, dict[Node, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, source: Node, target: Node, capacity: int) -> None:
        self.capacity[source][target] += capacity
        self.capacity[target][source] += 0  # make the reverse edge exist

    def max_flow(self, source: Node, sink: Node) -> int:
        residual = {u: dict(edges) for u, edges in self.capacity.items()}
        total = 0
        while True:
            parent = self._path(residual, source, sink)
            if parent is None:
                return total
            bottleneck, node = INFINITE, sink
            while node != source:
                previous = parent[node]
                bottleneck = min(bottleneck, residual[previous][node])
                node = previous
            node = sink
            while node != source:
                previous = parent[node]
                residual[previous][node] -= bottleneck
                residual[node][previous] += bottleneck
                node = previous
            total += bottleneck

    @staticmethod
    def _path(
        residual: dict[Node, dict[Node, int]], source: Node, sink: Node
    ) -> dict[Node, Node] | None:
        parent: dict[Node, Node] = {source: source}
        queue = deque([source])
        while queue:
            node = queue.popleft()
            for following, left in residual.get(node, {}).items():
                if left > 0 and following not in parent:
                    parent[following] = node
                    if following == sink:
                        return parent
                    queue.append(following)
        return None


def feasible(edges: list[tuple[Node, Node, int, int]]) -> bool:
    """Whether a circulation exists in which every edge's flow lies within [low, high]."""
    network = Network()
    excess: dict[Node, int] = defaultdict(int)
    for source, target, low, high in edges:
        if high < low:
            return False
        network.add(source, target, high - low)
        excess[target] += low
        excess[source] -= low
    needed = 0
    for node, amount in excess.items():
        if amount > 0:
            network.add("*source", node, amount)
            needed += amount
        elif amount < 0:
            network.add(node, "*sink", -amount)
    return network.max_flow("*source", "*sink") == needed

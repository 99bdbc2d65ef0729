"""Lays out a process definition as a left-to-right diagram (boxes and arrows), pure data.

Columns follow the longest forward path from the initial state; edges that lead back are
marked so they can be drawn differently. Final states off the main path (rejected,
withdrawn, ...) are gathered in a row of exits below, without arrows, to keep it readable.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from workflow.states.definition import ProcessDefinition

BOX_W, BOX_H = 164, 52  # wide enough for "digitaliseringsavdelningen" at 11-12 px
GAP_X, GAP_Y = 26, 22
MARGIN = 10
CHARS_PER_LINE = 24


@dataclass(frozen=True)
class Node:
    name: str
    x: int
    y: int
    exit: bool


@dataclass(frozen=True)
class Edge:
    source: str
    dest: str
    x1: int
    y1: int
    x2: int
    y2: int
    back: bool


@dataclass(frozen=True)
class Layout:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    width: int
    height: int
    box_w: int = BOX_W
    box_h: int = BOX_H


def wrap(text: str, width: int = CHARS_PER_LINE) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _graph(definition: ProcessDefinition) -> dict[str, list[str]]:
    graph: dict[str, list[str]] = {name: [] for name in definition.states}
    for event in definition.events.values():
        for source in event.sources:
            if event.dest not in graph[source]:
                graph[source].append(event.dest)
    return graph


def _back_edges(graph: dict[str, list[str]], start: str) -> set[tuple[str, str]]:
    back: set[tuple[str, str]] = set()
    on_path: set[str] = set()
    done: set[str] = set()

    def visit(node: str) -> None:
        on_path.add(node)
        for nxt in graph[node]:
            if nxt in on_path:
                back.add((node, nxt))
            elif nxt not in done:
                visit(nxt)
        on_path.discard(node)
        done.add(node)

    visit(start)
    return back


def _ranks(graph: dict[str, list[str]], start: str, back: set[tuple[str, str]]) -> dict[str, int]:
    rank = {start: 0}
    changed = True
    while changed:  # longest path over the acyclic forward edges; graphs here are tiny
        changed = False
        for source, targets in graph.items():
            if source not in rank:
                continue
            for dest in targets:
                if (source, dest) not in back and rank.get(dest, -1) < rank[source] + 1:
                    rank[dest] = rank[source] + 1
                    changed = True
    return rank


@lru_cache(maxsize=None)
def layout(definition: ProcessDefinition) -> Layout:
    graph = _graph(definition)
    back = _back_edges(graph, definition.initial)
    rank = _ranks(graph, definition.initial, back)
    last = max(rank.values())
    exits = [s for s, spec in definition.states.items() if spec.final and rank[s] != last]
    columns: dict[int, list[str]] = {}
    for state in definition.states:
        if state not in exits:
            columns.setdefault(rank[state], []).append(state)
    rows = max(len(c) for c in columns.values())
    position: dict[str, tuple[int, int]] = {}
    for column, states in columns.items():
        for row, state in enumerate(states):
            position[state] = (MARGIN + column * (BOX_W + GAP_X), MARGIN + row * (BOX_H + GAP_Y))
    exit_y = MARGIN + rows * (BOX_H + GAP_Y) + GAP_Y
    for index, state in enumerate(exits):
        position[state] = (MARGIN + index * (BOX_W + GAP_X), exit_y)
    nodes = tuple(Node(s, *position[s], exit=s in exits) for s in definition.states)
    edges = tuple(_edge(s, d, position, (s, d) in back)
                  for s, targets in graph.items() for d in targets if d not in exits)
    width = MARGIN * 2 + max(last + 1, len(exits)) * (BOX_W + GAP_X) - GAP_X
    return Layout(nodes=nodes, edges=edges, width=width, height=exit_y + BOX_H + MARGIN)


def _edge(source: str, dest: str, position: dict[str, tuple[int, int]], back: bool) -> Edge:
    (sx, sy), (dx, dy) = position[source], position[dest]
    if back:  # from the bottom of the later box to the bottom of the earlier one
        return Edge(source, dest, sx + BOX_W // 2, sy + BOX_H, dx + BOX_W // 2, dy + BOX_H, True)
    return Edge(source, dest, sx + BOX_W, sy + BOX_H // 2, dx, dy + BOX_H // 2, False)

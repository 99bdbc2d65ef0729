"""One line of the benchmark report, the plain-text table and the JSON file."""
from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable


@dataclass
class Line:
    measure: str
    ours: float
    baseline: float
    unit: str  # of ours and baseline
    ratio: float
    goal: str  # e.g. ">= 0.5"; "" when the line is only reported
    met: bool | None  # None when there is no goal
    note: str = ""


def at_least(measure: str, ours: float, baseline: float, unit: str, ratio: float,
             goal: float, note: str = "") -> Line:
    return Line(measure, ours, baseline, unit, ratio, f">= {goal:g}", ratio >= goal, note)


def at_most(measure: str, ours: float, baseline: float, unit: str, ratio: float,
            goal: float, note: str = "") -> Line:
    return Line(measure, ours, baseline, unit, ratio, f"<= {goal:g}", ratio <= goal, note)


def best_seconds(work: Callable[[], object], repeat: int, warmup: int = 1) -> float:
    """The fastest of ``repeat`` timed calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        work()
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return min(timings)


def best_pair(ours: Callable[[], object], baseline: Callable[[], object], repeat: int,
              warmup: int = 1) -> tuple[float, float]:
    """The fastest of ``repeat`` timed calls of each, taken in turns (ours, then the
    baseline, round by round), so that both meet the same moments of a busy or throttled
    machine rather than one of them all of a slow stretch."""
    for _ in range(warmup):
        ours()
        baseline()
    ours_times, baseline_times = [], []
    for _ in range(repeat):
        for work, times in ((ours, ours_times), (baseline, baseline_times)):
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
    return min(ours_times), min(baseline_times)


def median(values: list[float]) -> float:
    return statistics.median(values)


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}".replace(",", " ")
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.4f}"


def table(lines: list[Line]) -> str:
    headers = ["measure", "ours", "baseline", "ratio", "goal", "met?"]
    rows = [[line.measure, f"{_number(line.ours)} {line.unit}",
             f"{_number(line.baseline)} {line.unit}", f"{line.ratio:.2f}", line.goal or "-",
             "-" if line.met is None else ("yes" if line.met else "MISSED")]
            for line in lines]
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def render(row: list[str]) -> str:
        cells = zip(row, widths, strict=True)
        return " | ".join(cell.ljust(width) for cell, width in cells).rstrip()

    out = [render(headers), "-+-".join("-" * w for w in widths)]
    out += [render(row) for row in rows]
    notes = [f"  {line.measure}: {line.note}" for line in lines if line.note]
    if notes:
        out += ["", "Notes:", *notes]
    missed = [line.measure for line in lines if line.met is False]
    out += ["", f"MISSED: {len(missed)} goal(s): " + "; ".join(missed) if missed
            else "All goals met."]
    return "\n".join(out)


def write_json(path: Path, lines: list[Line], context: dict) -> None:
    path.write_text(json.dumps({"context": context, "lines": [asdict(x) for x in lines]},
                               indent=2, ensure_ascii=False), encoding="utf-8")

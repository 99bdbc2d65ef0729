"""Duplicate hints: the existing cases most like an idea, across every förvaltning.

docs/similar-ideas.md: duplicates across förvaltningar should be found, not re-done. While an
idea is written, and on the case page, staff see the most similar cases in their region so they
can support an existing idea instead of filing it again.

Who sees what: every case in the open pipeline is a candidate, whoever may open it. Drafts
(only their author sees them) and ideas in the anonymous direct channel (only the management
sees them) are never candidates; they are not even part of the index, so their words cannot
shape the scores. Titles of candidates are shown to everyone logged in; the need text and a
link only to those who may open the case (:func:`access.can_view`).

The index is rebuilt whenever the hintable cases' texts change (see :func:`region_index`),
so it is never stale.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from workflow.calc.similarity import Index, build_index
from workflow.cases import access
from workflow.models import Case, Department, User
from workflow.platform.extensions import db
from workflow.platform.settings import PROJECT_ROOT
from workflow.platform.templating import state_label
from workflow.states import features
from workflow.states.yaml_io import safe_load

# States whose cases are never hinted: the author's draft and the anonymous direct channel.
HIDDEN_STATES = features.HIDDEN_FROM_SIMILAR
LIMIT = 5
MIN_SCORE = 0.1
NEED_EXCERPT = 240
PAIRS_PATH = PROJECT_ROOT / "seeds" / "similar_pairs.yaml"
CASES_PATH = PROJECT_ROOT / "seeds" / "cases.yaml"
INDEX_CACHE_KEY = "workflow.similar.indexes"  # app.extensions: region id -> _BuiltIndex
RANKINGS_KEPT = 10_000  # per index; then they are forgotten and asked again


@dataclass(frozen=True)
class SimilarCase:
    """One hint. ``need`` is only filled in when the user may open the case (``visible``)."""
    id: int
    title: str
    state: str
    state_label: str
    department: str
    unit: str | None
    score: float
    visible: bool
    need: str | None = None
    merged_into_id: int | None = None


def similar_cases(user: User, title: str, need: str = "", exclude_case_id: int | None = None,
                  limit: int = LIMIT, min_score: float = MIN_SCORE) -> list[SimilarCase]:
    """The cases in ``user``'s region most like ``title`` and ``need``, best first."""
    if not (title or "").strip() and not (need or "").strip():
        return []
    ranked = _built_index(user.region_id).most_similar(title or "", need or "", limit,
                                                       exclude_case_id, min_score)
    # The hinted cases with their units and förvaltningar in one query, not three per hint.
    found = {case.id: case for case in db.session.scalars(
        select(Case).where(Case.id.in_([case_id for case_id, _score in ranked]))
        .options(joinedload(Case.unit), joinedload(Case.department)))}
    return [_record(user, found[case_id], score) for case_id, score in ranked]


def similar_to_case(user: User, case: Case, limit: int = LIMIT) -> list[SimilarCase]:
    """Hints for the case page: cases like this one, never the case itself."""
    return similar_cases(user, case.title, case.need or "", exclude_case_id=case.id,
                         limit=limit)


@dataclass(frozen=True)
class _BuiltIndex:
    fingerprint: tuple
    rows: tuple[tuple[int, str, str], ...]
    index: Index
    # Rankings already made on this index (a case page asks the same question every time
    # it is shown): the same question on the same index has the same answer.
    ranked: dict[tuple, list[tuple[int, float]]] = field(default_factory=dict)

    def most_similar(self, title: str, need: str, limit: int, exclude: int | None,
                     min_score: float) -> list[tuple[int, float]]:
        question = (title, need, limit, exclude, min_score)
        if question not in self.ranked:
            if len(self.ranked) >= RANKINGS_KEPT:
                self.ranked.clear()
            self.ranked[question] = self.index.most_similar(title, need, limit, exclude,
                                                            min_score)
        return list(self.ranked[question])


def region_index(region_id: int) -> Index:
    """The index over every hintable case in the region (not drafts, not direct)."""
    return _built_index(region_id).index


def _built_index(region_id: int) -> _BuiltIndex:
    """Building the index (tokens, stems, weights) takes seconds at 10 000 cases
    (bench/README.md), so the index last built for each region is kept with the rows it was
    built from. A cheap fingerprint of the hintable cases (how many, the sum of their ids and
    of their versions, which every change of a case raises) tells whether anything changed;
    if so the texts are read and compared, and only different texts rebuild the index."""
    hintable = (select(Case.id, Case.title, Case.need)
                .join(Department, Case.department_id == Department.id)
                .where(Department.region_id == region_id, Case.state.not_in(HIDDEN_STATES)))
    fingerprint = tuple(db.session.execute(hintable.with_only_columns(
        func.count(), func.sum(Case.id), func.sum(Case.version))).one())
    kept: dict[int, _BuiltIndex] = current_app.extensions.setdefault(INDEX_CACHE_KEY, {})
    cached = kept.get(region_id)
    if cached is not None and cached.fingerprint == fingerprint:
        return cached
    rows = tuple((row.id, row.title, row.need)
                 for row in db.session.execute(hintable.order_by(Case.id)))
    if cached is not None and cached.rows == rows:
        built = _BuiltIndex(fingerprint, rows, cached.index, cached.ranked)
    else:
        built = _BuiltIndex(fingerprint, rows, build_index(rows))
    kept[region_id] = built
    return built


def _record(user: User, case: Case, score: float) -> SimilarCase:
    visible = access.can_view(user, case)
    need = (case.need or "").strip()
    if len(need) > NEED_EXCERPT:
        need = need[:NEED_EXCERPT].rsplit(" ", 1)[0] + " …"
    return SimilarCase(
        id=case.id, title=case.title, state=case.state, state_label=state_label(case),
        department=case.department.name,
        unit=case.unit.name if visible and case.unit is not None else None,
        score=score, visible=visible, need=(need or None) if visible else None,
        merged_into_id=case.merged_into_id if visible else None)


# ---------------------------------------------------------------- measuring

def measure_precision(app: Flask, pairs_path: Path = PAIRS_PATH,
                      cases_path: Path | None = CASES_PATH, k: int = 3) -> dict[str, Any]:
    """How good the hints are on the labelled set in ``pairs_path`` (seeds/similar_pairs.yaml).

    Needs a database with the demo seeded (position n in ``cases_path`` is the case with the
    n-th lowest id; titles are checked when ``cases_path`` is given); seeds nothing itself.
    Each labelled case with a hintable partner, and each fresh query, asks for hints exactly
    as the pages do (same index, same ``MIN_SCORE``). Returned figures:

    * ``precision_at_1``: share of queries whose first hint is a labelled match;
    * ``hit_rate_at_3``: share of queries with a labelled match among the first ``k`` hints;
    * ``precision_at_3``: of all hints shown in the first ``k`` places, the share that are
      labelled matches (a lower bound: an unlabelled hint counts as wrong);
    * ``distinct_in_top_3``: hard-negative pairs where the other case is among the first
      ``k`` hints, out of ``distinct_checked``;
    * the same per set under ``sets`` and the queries that missed under ``misses``.
    """
    labels = safe_load(Path(pairs_path).read_text(encoding="utf-8"))
    with app.app_context():
        cases = list(db.session.scalars(select(Case).order_by(Case.id)))
        _check_seeded(cases, labels, cases_path)
        case_at = {n: cases[n - 1] for n in range(1, len(cases) + 1)}
        index = region_index(cases[0].department.region_id)
        hintable = set(index.ids)
        queries = _pair_queries(labels.get("similar", []), case_at, hintable)
        queries += [(f"query {n}", q["title"], q.get("need", ""), None,
                     {case_at[p].id for p in q["expect"]} & hintable)
                    for n, q in enumerate(labels.get("queries", []), 1)]
        sets: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for name, title, need, exclude, relevant in queries:
            if not relevant:
                continue
            found = [i for i, _ in index.most_similar(title, need, limit=k, exclude=exclude,
                                                      min_score=MIN_SCORE)]
            sets["pairs" if name.startswith("case") else "queries"].append(
                {"name": name, "found": found, "relevant": relevant})
        distinct = _distinct_hits(labels.get("distinct", []), case_at, hintable, index, k)
    result = _figures([r for rows in sets.values() for r in rows])
    result.update(distinct)
    result["sets"] = {name: _figures(rows) for name, rows in sorted(sets.items())}
    result["misses"] = [f"{r['name']}: expected {sorted(r['relevant'])}, got {r['found']}"
                        for rows in sets.values() for r in rows
                        if not set(r["found"][:1]) & r["relevant"]]
    return result


def _check_seeded(cases: list[Case], labels: dict[str, Any], cases_path: Path | None) -> None:
    needed = max([p for pair in labels.get("similar", []) + labels.get("distinct", [])
                  for p in (pair["a"], pair["b"])]
                 + [p for q in labels.get("queries", []) for p in q["expect"]], default=0)
    if not cases or len(cases) < needed:
        raise ValueError(f"The database has {len(cases)} cases; the labelled set needs the "
                         f"demo ({needed} or more). Run `flask --app workflow seed-demo` on an "
                         "empty database first.")
    if cases_path is not None:
        seeded = safe_load(Path(cases_path).read_text(encoding="utf-8"))["cases"]
        for position, item in enumerate(seeded, 1):
            if position > len(cases) or cases[position - 1].title != item["title"]:
                raise ValueError(f"Case {position} in the database is not {item['title']!r} "
                                 f"from {Path(cases_path).name}: measure on a freshly seeded "
                                 "demo database.")


def _pair_queries(pairs: list[dict[str, Any]], case_at: dict[int, Case],
                  hintable: set[int]) -> list[tuple[str, str, str, int, set[int]]]:
    partners: dict[int, set[int]] = defaultdict(set)
    for pair in pairs:
        partners[pair["a"]].add(pair["b"])
        partners[pair["b"]].add(pair["a"])
    queries = []
    for position in sorted(partners):
        case = case_at[position]
        relevant = {case_at[p].id for p in partners[position]} & hintable
        if relevant:
            queries.append((f"case {position}", case.title, case.need or "", case.id, relevant))
    return queries


def _distinct_hits(pairs: list[dict[str, Any]], case_at: dict[int, Case], hintable: set[int],
                   index: Index, k: int) -> dict[str, Any]:
    checked = hits = 0
    for pair in pairs:
        for asking, other in ((pair["a"], pair["b"]), (pair["b"], pair["a"])):
            case, other_id = case_at[asking], case_at[other].id
            if other_id not in hintable:
                continue
            checked += 1
            found = [i for i, _ in index.most_similar(case.title, case.need or "", limit=k,
                                                      exclude=case.id, min_score=MIN_SCORE)]
            hits += other_id in found
    return {"distinct_checked": checked, "distinct_in_top_3": hits}


def _figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    first = sum(1 for r in rows if set(r["found"][:1]) & r["relevant"])
    anywhere = sum(1 for r in rows if set(r["found"]) & r["relevant"])
    shown = sum(len(r["found"]) for r in rows)
    right = sum(len(set(r["found"]) & r["relevant"]) for r in rows)
    return {"queries": n,
            "precision_at_1": round(first / n, 3) if n else None,
            "hit_rate_at_3": round(anywhere / n, 3) if n else None,
            "precision_at_3": round(right / shown, 3) if shown else None}

"""Duplicate hints: the existing cases most like an idea, across every förvaltning.

docs/similar-ideas.md: duplicates across förvaltningar should be found, not re-done. While an
idea is written, and on the case page, staff see the most similar cases in their region so they
can support an existing idea instead of filing it again.

Who sees what: every case in the open pipeline is a candidate, whoever may open it. Drafts
(only their author sees them) and ideas in the anonymous direct channel (only the management
sees them) are never candidates, and their words cannot shape the scores. Titles of
candidates are shown to everyone logged in; the need text and a link only to those who may
open the case (:func:`access.can_view`).

No worker keeps an index (issue 14 item 1): each question goes to the database's own text
search, which the database keeps current with every insert, change and deletion
(migration 0021): PostgreSQL's full-text search with the ``swedish`` configuration over the
generated column ``cases.search``, SQLite's FTS5 table ``cases_fts``. It finds the
:data:`CANDIDATES` hintable cases of the region that share most with the idea, and
:mod:`workflow.calc.similarity` ranks just those (Swedish stems, character n-grams of
compounds, cosine), so a hint's score means what it meant before. See :func:`ranked_ids`.

A case page does not ask the text index (17 of its 28 ms at 10 000 cases, issue 14): a case's
hints are worked out when it is written (created, its title or need changed) and stored
(``case_hints``, migration 0025, :func:`refresh_hints`). Its page shows its own stored hints
and the cases whose stored hints name it, so a new idea like an old one shows on the old
one's page at once (:func:`stored_ranking`). A trigger forgets a case's hints when its text
changes however it is written; a case without stored hints (bulk-loaded, or its text changed
with plain SQL) gets them at its page's first view. Which of the stored cases are shown is
decided when the page is read: hidden states, other regions and who may open what, as above.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import bindparam, delete, func, literal, select, text, union_all
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from workflow.calc.similarity import STOPWORDS, build_index, stem, words
from workflow.cases import access
from workflow.models import Case, CaseHint, CaseHintRun, Department, Unit, User
from workflow.platform.extensions import db
from workflow.platform.i18n import localized
from workflow.platform.settings import PROJECT_ROOT
from workflow.platform.uow import insert_ignoring_conflicts, unit_of_work
from workflow.processes.registry import process_of
from workflow.states import features
from workflow.states.yaml_io import safe_load

log = logging.getLogger("workflow.similar")
# States whose cases are never hinted: the author's draft and the anonymous direct channel.
HIDDEN_STATES = features.HIDDEN_FROM_SIMILAR
LIMIT = 5
MIN_SCORE = 0.1
NEED_EXCERPT = 240
PAIRS_PATH = PROJECT_ROOT / "seeds" / "similar_pairs.yaml"
CASES_PATH = PROJECT_ROOT / "seeds" / "cases.yaml"
# How many cases the database's text search hands on to be ranked in Python.
CANDIDATES = 50
# Of the cases sharing a word with the idea, how many (the newest) the database ranks: the work
# of a hint stays bounded however many cases a region has (issue 14; docs/similar-ideas.md).
SCAN_LIMIT = 2000
# Query terms: at most this many distinct word prefixes (the title's, then the need's
# longest), the shortest prefix kept whole.
MAX_TERMS = 16
MIN_PREFIX = 3
# How many hints a case keeps (its page shows LIMIT of these and of the cases that found it).
STORED = 10


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
    ranked = ranked_ids(user.region_id, title or "", need or "", limit, exclude_case_id,
                        min_score)
    return _hints(user, ranked)


def _hints(user: User, ranked: list[tuple[int, float]]) -> list[SimilarCase]:
    # The hinted cases with their units and förvaltningar in one query, not three per hint.
    if not ranked:
        return []
    found = {case.id: case for case in db.session.scalars(
        select(Case).where(Case.id.in_([case_id for case_id, _score in ranked]))
        .options(joinedload(Case.unit), joinedload(Case.department)))}
    return [_record(user, found[case_id], score) for case_id, score in ranked
            if case_id in found]


def similar_to_case(user: User, case: Case, limit: int = LIMIT) -> list[SimilarCase]:
    """Hints for the case page: cases like this one, never the case itself. Read from the
    stored hints (:func:`stored_hints`); a case without them gets them now
    (:func:`refresh_hints`, committed on its own). Should that write fail (a read-only
    database, a lost race), the page shows the hints asked of the text index instead."""
    stored = stored_hints(case.id, user.region_id, limit)
    if stored is None:
        try:
            with unit_of_work():
                refresh_hints(case)
        except SQLAlchemyError as exc:
            log.warning("could not store the hints of case %s: %s", case.id, exc)
            return similar_cases(user, case.title, case.need or "", exclude_case_id=case.id,
                                 limit=limit)
        stored = stored_hints(case.id, user.region_id, limit) or []
    return [_record(user, other, score) for other, score in stored]


def refresh_hints(case: Case, *, new: bool = False) -> list[tuple[int, float]]:
    """Work out the :data:`STORED` hintable cases most like ``case`` and store them as its
    hints, in the caller's transaction; returns them (``new``: the case was created in this
    transaction, so it has no rows to replace). The rows of other cases that name ``case``
    stay: they were worked out on its present text (the trigger of migration 0025 deletes
    them when the text changes)."""
    db.session.flush()  # the case's id; a changed text has passed the trigger
    department = case.__dict__.get("department")  # loaded by the caller, if it was
    region_id = (department.region_id if department is not None
                 and department.id == case.department_id else
                 db.session.scalar(select(Department.region_id)
                                   .where(Department.id == case.department_id)))
    ranked = ranked_ids(region_id, case.title or "", case.need or "", STORED, case.id)
    if not new:  # a new case has no rows yet
        db.session.execute(delete(CaseHint).where(CaseHint.case_id == case.id)
                           .execution_options(synchronize_session=False))
    rows = [{"case_id": case.id, "similar_id": other, "score": score}
            for other, score in ranked]
    if rows:
        db.session.execute(_insert_once(CaseHint), rows)
    db.session.execute(_insert_once(CaseHintRun), [{"case_id": case.id}])
    return ranked


def refresh_missing(batch: int = 200, most: int | None = None) -> int:
    """Work out the hints of every case that has none (e.g. after a bulk import or a
    restore), at most ``most`` if given, committing every ``batch`` cases; returns how many.
    The newest first: they are the likeliest to be looked at."""
    done = 0
    while most is None or done < most:
        size = batch if most is None else min(batch, most - done)
        waiting = list(db.session.scalars(
            select(Case).where(~select(CaseHintRun.case_id)
                               .where(CaseHintRun.case_id == Case.id).exists())
            .order_by(Case.id.desc()).limit(size)))
        if not waiting:
            return done
        with unit_of_work():
            for case in waiting:
                refresh_hints(case)
        done += len(waiting)
    return done


def stored_ranking(case_id: int, region_id: int, limit: int = LIMIT
                   ) -> list[tuple[int, float]] | None:
    """:func:`stored_hints` as ``(id, score)``."""
    stored = stored_hints(case_id, region_id, limit)
    return None if stored is None else [(other.id, score) for other, score in stored]


@dataclass(frozen=True, slots=True)
class Place:
    """A hinted case's förvaltning or unit: what a hint and the access rules read of it."""
    name: str
    region_id: int | None = None


@dataclass(frozen=True, slots=True)
class HintedCase:
    """A hinted case as the stored hints read it: the columns a hint shows and the access
    rules read (cases/access.py ``can_view``), not an entity with its unit and förvaltning
    (issue 14: loading five of those cost a tenth of the case page)."""
    id: int
    title: str
    state: str
    need: str
    merged_into_id: int | None
    department_id: int
    unit_id: int | None
    author_id: int | None
    process_name: str
    process_version: int
    department: Place
    unit: Place | None


def stored_hints(case_id: int, region_id: int, limit: int = LIMIT
                 ) -> list[tuple[HintedCase, float]] | None:
    """The case's stored hints as ``(case, score)``, best first, each case with its unit and
    förvaltning: its own and those of the cases whose hints name it (the better score where
    both do), hintable cases of the region only. None when the case's hints have not been
    worked out. One query; a second only when it finds no hint (to tell none from not yet)."""
    rows = db.session.connection().execute(_STORED_HINTS, {
        "case_id": case_id, "region_id": region_id, "limit": limit,
        "hidden": list(HIDDEN_STATES)}).all()
    if not rows:
        return [] if db.session.get(CaseHintRun, case_id) is not None else None
    if rows[0].run is None:
        return None
    return [(HintedCase(
        id=row.id, title=row.title, state=row.state, need=row.need,
        merged_into_id=row.merged_into_id, department_id=row.department_id,
        unit_id=row.unit_id, author_id=row.author_id, process_name=row.process_name,
        process_version=row.process_version,
        department=Place(row.department_name, row.region_id),
        unit=Place(row.unit_name) if row.unit_id is not None else None), row.score)
        for row in rows]


def _stored_query() -> Any:
    """The statement of :func:`stored_hints`, built once (its parameters bound per call)."""
    case_id = bindparam("case_id")
    mine = select(CaseHint.similar_id.label("other"), CaseHint.score).where(
        CaseHint.case_id == case_id)
    theirs = select(CaseHint.case_id.label("other"), CaseHint.score).where(
        CaseHint.similar_id == case_id)
    pairs = union_all(mine, theirs).subquery()
    best = (select(pairs.c.other, func.max(pairs.c.score).label("score"))
            .group_by(pairs.c.other).subquery())
    run = select(literal(1)).where(CaseHintRun.case_id == case_id).scalar_subquery()
    return (select(Case.id, Case.title, Case.state, Case.need, Case.merged_into_id,
                   Case.department_id, Case.unit_id, Case.author_id, Case.process_name,
                   Case.process_version, Department.name.label("department_name"),
                   Department.region_id, Unit.name.label("unit_name"), best.c.score,
                   run.label("run"))
            .join(best, best.c.other == Case.id)
            .join(Department, Department.id == Case.department_id)
            .outerjoin(Unit, Unit.id == Case.unit_id)
            .where(Department.region_id == bindparam("region_id"),
                   Case.state.not_in(bindparam("hidden", expanding=True)),
                   Case.id != case_id)
            .order_by(best.c.score.desc(), Case.id).limit(bindparam("limit")))


_STORED_HINTS = _stored_query()


def _insert_once(model: type) -> Any:
    """INSERT … ON CONFLICT DO NOTHING: two requests working out the same case's hints at
    once both succeed (PostgreSQL and SQLite, the databases the app runs on)."""
    return insert_ignoring_conflicts(model, db.session.get_bind().dialect.name)


def ranked_ids(region_id: int, title: str, need: str = "", limit: int = LIMIT,
               exclude: int | None = None, min_score: float = MIN_SCORE
               ) -> list[tuple[int, float]]:
    """The hintable cases of the region most like ``title``/``need`` as ``(id, score)``, best
    first, never ``exclude``.

    Two steps, neither kept between requests: the database's text index finds the
    :data:`CANDIDATES` hintable cases that share most words (or word prefixes) with the idea
    among the :data:`SCAN_LIMIT` newest that share any,
    ranked by its own measure (PostgreSQL ``ts_rank``, the title weighing more; SQLite
    ``bm25`` with the title weighing 2.5 times the need); then
    :func:`workflow.calc.similarity.build_index` ranks those few in Python as the hints always
    have (Swedish stems, n-grams of compounds, cosine over TF-IDF, the candidates being the
    collection), and those below ``min_score`` are left out. Only hintable cases are ever
    read, so drafts and the direct channel cannot shape the scores (SQLite's bm25 weighs
    words by how many cases of all states have them, which only decides who is a candidate).

    Why SQLite's words are prefixes: FTS5 has no Swedish stemmer, and writing stemmed text
    into the index from Python would leave it wrong after every write that bypasses the ORM
    (bulk inserts, SQL in migrations, a restore); so the triggers index the plain words and
    the query asks for :func:`query_prefixes`."""
    if not (title or "").strip() and not (need or "").strip():
        return []
    rows = _candidates(region_id, title, need, exclude)
    return build_index(rows).most_similar(title, need, limit, exclude, min_score)


def query_prefixes(title: str, need: str = "") -> list[str]:
    """The words of the idea as prefixes for the text index: each word that is not a
    stopword, cut to what it shares with its Swedish stem (``nycklarna`` → ``nyckl``,
    ``nyckel`` → ``nyck``, ``brukaren`` → ``bruk``), so that a prefix search finds the other
    inflections and compounds that start with it, which a database without a Swedish
    stemmer (SQLite) would otherwise miss."""
    return list(query_terms(title, need))


def query_terms(title: str, need: str = "") -> dict[str, str]:
    """:func:`query_prefixes` with the word each prefix was cut from. At most
    :data:`MAX_TERMS`: every word of the title (in order), then the need's longest words,
    which say most about the idea (``verksamhetssystem`` rather than ``tid``). The text
    search's cost grows with each term it ranks by (issue 14: 38 terms took 27 ms at 10 000
    cases on SQLite, 16 take 12 ms); the ranking in Python still reads the candidates' whole
    texts, and the hints' precision on the labelled set is unchanged
    (tests/test_similar_search.py)."""
    title_terms = _prefixes(title)
    need_terms = sorted(((p, w) for p, w in _prefixes(need).items() if p not in title_terms),
                        key=lambda term: len(term[1]), reverse=True)  # stable for ties
    return dict((list(title_terms.items()) + need_terms)[:MAX_TERMS])


def _prefixes(text_: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for word in words(text_):
        if len(word) < 2 or word in STOPWORDS:
            continue
        stemmed = stem(word)
        shared = 0
        while shared < min(len(word), len(stemmed)) and word[shared] == stemmed[shared]:
            shared += 1
        found.setdefault(word[:shared] if shared >= MIN_PREFIX else word, word)
    return found


def _candidates(region_id: int, title: str, need: str, exclude: int | None
                ) -> list[tuple[int, str, str]]:
    terms = query_terms(title, need)
    prefixes = list(terms)
    if not prefixes:
        return []
    params = {"region": region_id, "exclude": exclude if exclude is not None else -1,
              "hidden": list(HIDDEN_STATES), "limit": CANDIDATES, "scan": SCAN_LIMIT}
    if db.session.get_bind().dialect.name == "postgresql":
        statement = _PG_CANDIDATES
        params.update(text=" ".join(terms.values()),
                      prefixes=" | ".join(f"{p}:*" for p in prefixes))
        # A plan for these very words, never a generic one for any words (psycopg prepares
        # a statement run five times): only then does the planner know how common they are,
        # and read the newest cases backwards when most cases share them. For the rest of
        # this transaction only.
        db.session.execute(text("SELECT set_config('plan_cache_mode', 'force_custom_plan', "
                                "true)"))
    else:
        statement = _SQLITE_CANDIDATES
        params["match"] = " OR ".join(f'"{p}"*' for p in prefixes)
    return [(row.id, row.title, row.need) for row in db.session.execute(statement, params)]


# Hintable: the region's cases outside the hidden states, the case itself excluded. Of those
# sharing a word with the idea, the SCAN_LIMIT newest are ranked by the database's measure and
# the CANDIDATES best handed on. Every value is a bound parameter; the statements are constant.
_SQLITE_CANDIDATES = text("""
    WITH newest AS MATERIALIZED (
      SELECT c.id, c.title, c.need, bm25(cases_fts, 2.5, 1.0) AS rank
      FROM cases_fts JOIN cases c ON c.id = cases_fts.rowid
      JOIN departments d ON d.id = c.department_id
      WHERE d.region_id = :region AND c.state NOT IN :hidden AND c.id <> :exclude
        AND cases_fts MATCH :match
      ORDER BY cases_fts.rowid DESC LIMIT :scan)
    SELECT id, title, need FROM newest ORDER BY rank, id LIMIT :limit
""").bindparams(bindparam("hidden", expanding=True))


# The idea's Swedish lexemes (plainto_tsquery joins them with AND; here they are OR'ed) and
# the prefixes of its words: a case sharing any of them is a candidate. Written out twice, not
# in a CTE: with a custom plan (see _candidates) the planner folds it into one constant and
# estimates from the column's statistics how many cases share the words. ts_rank, not
# ts_rank_cd: cover density cost 16 times as much at 16 000 cases and ranked no better.
_PG_CANDIDATES = text("""
    WITH newest AS MATERIALIZED (
      SELECT c.id, c.title, c.need, c.search FROM cases c
      JOIN departments d ON d.id = c.department_id
      WHERE d.region_id = :region AND c.state NOT IN :hidden AND c.id <> :exclude
        AND c.search @@ (replace(plainto_tsquery('swedish', :text)::text, ' & ', ' | ')::tsquery
                         || to_tsquery('simple', :prefixes))
      ORDER BY c.id DESC LIMIT :scan)
    SELECT id, title, need FROM newest
    ORDER BY ts_rank(search, replace(plainto_tsquery('swedish', :text)::text, ' & ', ' | ')
                             ::tsquery || to_tsquery('simple', :prefixes)) DESC, id
    LIMIT :limit
""").bindparams(bindparam("hidden", expanding=True))


def _record(user: User, case: Case | HintedCase, score: float) -> SimilarCase:
    visible = access.can_view(user, case)
    need = (case.need or "").strip()
    if len(need) > NEED_EXCERPT:
        need = need[:NEED_EXCERPT].rsplit(" ", 1)[0] + " …"
    return SimilarCase(
        id=case.id, title=case.title, state=case.state,
        state_label=localized(process_of(case).state(case.state).label),
        department=case.department.name,
        unit=case.unit.name if visible and case.unit is not None else None,
        score=score, visible=visible, need=(need or None) if visible else None,
        merged_into_id=case.merged_into_id if visible else None)


# ---------------------------------------------------------------- measuring

def measure_precision(app: Flask, pairs_path: Path = PAIRS_PATH,
                      cases_path: Path | None = CASES_PATH, k: int = 3) -> dict[str, Any]:
    """How good the hints are on the labelled set in ``pairs_path`` (seeds/similar_pairs.yaml).

    Needs a database with the demo seeded (position n in ``cases_path`` is the case with the
    n-th lowest id; titles are checked when ``cases_path`` is given); seeds nothing itself
    (it works out the stored hints of cases that have none, as their pages would). Each
    labelled case with a hintable partner gets the hints its case page shows (the stored
    ones), and each fresh query the hints the Ny idé form shows (the text index, same
    ``MIN_SCORE``). Returned figures:

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
        region_id = cases[0].department.region_id
        hintable = set(db.session.scalars(
            select(Case.id).join(Department, Case.department_id == Department.id)
            .where(Department.region_id == region_id, Case.state.not_in(HIDDEN_STATES))))
        queries = _pair_queries(labels.get("similar", []), case_at, hintable)
        queries += [(f"query {n}", q["title"], q.get("need", ""), None,
                     {case_at[p].id for p in q["expect"]} & hintable)
                    for n, q in enumerate(labels.get("queries", []), 1)]
        sets: dict[str, list[dict[str, Any]]] = defaultdict(list)
        refresh_missing()
        for name, title, need, exclude, relevant in queries:
            if not relevant:
                continue
            if exclude is None:  # a new idea: asked of the text index, as the form does
                found = [i for i, _ in ranked_ids(region_id, title, need, limit=k,
                                                  exclude=exclude, min_score=MIN_SCORE)]
            else:  # a labelled case: what its page shows
                found = [i for i, _ in stored_ranking(exclude, region_id, k) or []]
            sets["pairs" if name.startswith("case") else "queries"].append(
                {"name": name, "found": found, "relevant": relevant})
        distinct = _distinct_hits(labels.get("distinct", []), case_at, hintable, region_id,
                                  k)
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
                   region_id: int, k: int) -> dict[str, Any]:
    checked = hits = 0
    for pair in pairs:
        for asking, other in ((pair["a"], pair["b"]), (pair["b"], pair["a"])):
            case, other_id = case_at[asking], case_at[other].id
            if other_id not in hintable:
                continue
            checked += 1
            found = [i for i, _ in stored_ranking(case.id, region_id, k) or []]
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

"""Rendered pieces of pages, kept under the facts they show (issue 14: a list and a case page
within half the time of a bare Flask page).

**A case list's rows.** A row of ``case_table`` (templates/_macros.html, ``case_row``) is
a pure function of a few facts: the case's number, title, state, process version and time
of its last change, its unit's name and whether the unit is closed, the reader's language
and time zone, and the application's URL prefix. Rendering it (a link, a state label, a
date in the reader's locale, five translated column names) costs about 30 µs; a list has
50. The rendered row is kept under exactly those facts, so a changed case, unit, language or
process version is a new key and can never show an old row: there is nothing to
invalidate. What a row shows does not depend on who reads it (the list's query decides who
sees which case).

**A case list's filters** (its two selects) are a function of the process version's states,
the units offered to the reader (read for each request), the offered state and unit chosen,
the language and the URL prefix; a choice the filters do not offer is kept as none, so no
query can add pieces.

**The process diagram** on a case page is a function of the process version, the case's
state and the language (about 0.4 ms to draw).

**A history entry** on a case page: the history is append-only (the database refuses to
change or remove a row, migration 0001), so an entry's text is a function of the entry (its
id, case, moment and event), the name its actor has now, the process version, the language,
the time zone and the URL prefix. Entries that name other people by their current names
(reminders, merges by consent) are not kept: those names are read anew.

**The main menu** is a function of the reader's roles (and whether they read the portfolio,
file delegation decisions, administer the region), the page's endpoint and the language.

**A fresh event form** on a case page (workflow/cases/web.py ``_event_panel``) is a
function of the process version, the event, the language, the case's number, version and
the values the form offers (its recorded cost and diarienummer), whether it has an author,
the day (a date may not lie after today) and the URL prefix; and of the request's CSRF
token, which is put in anew on every page (:func:`kept_with_csrf`). A form sent back with
errors is never kept.

Each worker keeps at most :data:`KEPT` pieces, the least recently shown dropped first (a
piece is a few kilobytes at most: a few MiB).
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from typing import Any, Callable, Hashable

from flask import current_app, request
from flask_babel import get_locale
from flask_babel import get_timezone as user_timezone
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from workflow.platform.i18n import localized
from workflow.processes.registry import registry

KEPT = 4096
_MACROS = "_macros.html"


class Kept:
    """A bounded least-recently-used map, safe across a worker's threads."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = Lock()

    def get(self, key: Hashable, make: Callable[[], Markup]) -> Markup:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        made = make()
        with self._lock:
            self._items[key] = made
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return made

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@dataclass(frozen=True)
class Reader:
    """What a row's text depends on besides the case, the same for every row of a page:
    taken once per table (three context lookups a row cost as much as the row)."""
    locale: str
    zone: str
    script_root: str
    processes: Any  # the request's process registry
    store: Kept


def reader() -> Reader:
    return Reader(str(get_locale()), str(user_timezone()), request.script_root, registry(),
                  kept())


def row_facts(case: Any, show_plain: bool, who: Reader) -> tuple:
    """Everything ``case_row`` reads, as the row's key."""
    unit = case.unit
    return (case.id, case.title, case.state,
            who.processes.get(case.process_name, case.process_version), case.updated_at,
            None if unit is None else unit.name, unit is not None and unit.is_closed,
            show_plain, who.locale, who.zone, who.script_root)


def kept(app: Any = None) -> Kept:
    app = app or current_app
    return app.extensions.setdefault("workflow.fragments", Kept(KEPT))


def _macro(name: str) -> Any:
    return getattr(current_app.jinja_env.get_template(_MACROS).module, name)


def kept_case_row(case: Any, show_plain: bool, who: Reader) -> Markup:
    """The case's row of ``case_table``, rendered at most once per facts."""
    return who.store.get(row_facts(case, show_plain, who),
                         lambda: _macro("case_row")(case, show_plain))


def kept_case_rows(cases: Any, show_plain: bool, who: Reader) -> Markup:
    """Every row of a page of ``case_table``, each kept as :func:`kept_case_row` keeps it,
    joined here rather than in a template loop (issue 14: the loop cost more than the rows)."""
    return Markup("\n").join([kept_case_row(case, show_plain, who) for case in cases])


def kept_diagram(diagram: Any, process: Any, current: str) -> Markup:
    """``process_diagram`` of the process version with ``current`` marked."""
    return kept().get(("diagram", process, current, str(get_locale())),
                      lambda: _macro("process_diagram")(diagram, process, current))


def kept_case_filters(process: Any, state: str | None, units: dict[str, list[tuple[int, str]]],
                      unit_id: int | None) -> Markup:
    """The case list's filters (``case_filters``): the process version's states, the units
    to choose from (as read for this request), what is chosen, the language and the URL
    prefix. A state or unit the filters do not offer selects nothing, as no choice does: the
    key holds only what is offered, so a query of the reader's cannot fill the store."""
    choices = tuple((department, tuple(options)) for department, options in units.items())
    offered_state = state if state in process.definition.states else None
    offered_unit = unit_id if any(unit_id == value for _name, options in choices
                                  for value, _text in options) else None

    def render() -> Markup:
        states = [(spec.name, localized(spec.label))
                  for spec in process.definition.states.values()]
        return _macro("case_filters")(states, offered_state, units, offered_unit)
    return kept().get(("filters", process, offered_state, offered_unit, choices,
                       str(get_locale()), request.script_root), render)


# Entries whose text names people other than their actor, by their current names.
NAMES_OTHERS = frozenset({"merged_in", "reminder", "escalation"})


def kept_history_entry(entry: Any, process: Any, who: Reader) -> Markup:
    """One entry of a case's history (``history_entry``), kept while nothing it shows can
    have changed."""
    def render() -> Markup:
        return _macro("history_entry")(entry, process)
    data = entry.data or {}
    if entry.event in NAMES_OTHERS or "consent" in data:
        return render()
    actor = entry.actor.display_name if entry.actor is not None else None
    return who.store.get(("history", entry.id, entry.case_id, entry.at, entry.event, actor,
                          process, who.locale, who.zone, who.script_root), render)


def kept_menu(roles: Any, portfolio_reader: bool, delegation_reader: bool,
              region_admin: bool) -> Markup:
    """The main menu of base.html for the reader and the page."""
    endpoint = request.endpoint
    in_admin = bool(request.blueprint and request.blueprint.startswith("admin"))
    facts = (frozenset(roles), bool(portfolio_reader), bool(delegation_reader),
             bool(region_admin), endpoint, in_admin)
    return kept().get(("menu", *facts, str(get_locale()), request.script_root),
                      lambda: _macro("main_menu")(*facts))


def kept_with_csrf(key: Hashable, make: Callable[[], Markup]) -> Markup:
    """A piece that holds forms: kept without the request's CSRF token, which is put back
    in (the same token in every form of a page; a new page may have a new one)."""
    token = generate_csrf()
    pieces = kept().get(("with csrf", key), lambda: tuple(make().split(token)))
    return escape(token).join(pieces)

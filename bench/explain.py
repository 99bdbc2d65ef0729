"""The query plans behind the case list, the to-do list and the portfolio funnel (issue 14
item 7): the statements the app really sends, captured while it serves them, then explained
by the database with the same parameters (PostgreSQL ``EXPLAIN (ANALYZE, COSTS OFF)``,
SQLite ``EXPLAIN QUERY PLAN``). Printed after the table and kept in the JSON file."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from flask import Flask
from sqlalchemy import event, select

from workflow.models import User
from workflow.platform.extensions import db
from workflow.portfolio import service as portfolio

from .measures import PAGE_USER, PORTFOLIO_USER, logged_in_client

# Which statements of a page to explain: those that read the cases table for the page's rows.
PAGES = {"case list (/cases?state=council)": "/cases?state=council", "to-do list (/todo)": "/todo"}


@contextmanager
def _recorded(engine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _reads_cases(statement: str) -> bool:
    text = " ".join(statement.split()).lower()
    return text.startswith("select") and (" from cases " in f"{text} "
                                          or "from (select cases." in text)


def _plan(connection, statement: str, parameters: Any) -> list[str]:
    if connection.dialect.name == "postgresql":
        rows = connection.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + statement,
                                          parameters)
        return [row[0] for row in rows]
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
    return [f"{row[-1]}" for row in rows]


def explain(app: Flask) -> dict[str, list[dict[str, Any]]]:
    """``{page: [{"statement": …, "plan": [lines]}]}`` for the pages and the funnel."""
    found: dict[str, list[tuple[str, Any]]] = {}
    client = logged_in_client(app, PAGE_USER)
    with app.app_context():
        engine = db.engine
    for name, url in PAGES.items():
        client.get(url)  # warm: the registry and the user's roles are loaded
        with _recorded(engine) as statements:
            if client.get(url).status_code != 200:
                raise RuntimeError(f"GET {url} failed while explaining")
        found[name] = [s for s in statements if _reads_cases(s[0])]
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == PORTFOLIO_USER))
        with _recorded(engine) as statements:
            portfolio.funnel(user, portfolio.Filters())
        found["portfolio funnel"] = [s for s in statements if _reads_cases(s[0])]
        db.session.remove()
    plans: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as connection:
        for name, statements in found.items():
            plans[name] = [{"statement": " ".join(statement.split()),
                            "plan": _plan(connection, statement, parameters)}
                           for statement, parameters in statements]
    return plans


def render(plans: dict[str, list[dict[str, Any]]]) -> str:
    out = ["Query plans (the statements behind each page, with the app's parameters):"]
    for name, statements in plans.items():
        for number, item in enumerate(statements, 1):
            short = item["statement"]
            short = short if len(short) <= 160 else short[:157] + "..."
            out += ["", f"  {name}, statement {number}: {short}"]
            out += [f"    {line}" for line in item["plan"]]
    return "\n".join(out)

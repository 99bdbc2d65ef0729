"""Python functions that the app's SQL calls on SQLite, which has no ``sha256`` and no JSON
choices of ours: each is registered on every SQLite connection (issue 14: a transition's
history row and its notifications are written by INSERT … SELECT on both databases; what
PostgreSQL computes with its own functions, SQLite computes with the very Python function
the rest of the app uses, so the two cannot disagree on SQLite).

A module registers its function at import (:func:`sqlite_function`); :func:`init_app`
(the app factory) makes every new connection carry them all."""
from __future__ import annotations

import sqlite3
from typing import Any, Callable

from sqlalchemy import event
from sqlalchemy.engine import Engine

FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {}


def sqlite_function(name: str, arity: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as SQL function ``name`` of ``arity`` arguments."""
    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        FUNCTIONS[name] = (arity, function)
        return function
    return register


def init_app() -> None:
    if not event.contains(Engine, "connect", _register):
        event.listen(Engine, "connect", _register)


def _register(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        for name, (arity, function) in FUNCTIONS.items():
            dbapi_connection.create_function(name, arity, function, deterministic=True)

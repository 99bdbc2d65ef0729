"""Reads that may come from a read replica: the portfolio's aggregates (docs/deploy.md,
"Beyond one machine").

With ``PORTFOLIO_DATABASE_URL`` set (a PostgreSQL streaming replica of ``DATABASE_URL``), the
statements run inside :func:`replica_reads` go to that database; everything else, and any
flush of changes, stays on the primary. Without it, nothing changes. A replica lags the
primary by a moment, which figures for a dashboard can afford and a case page cannot: only
the portfolio reads from it. This is SQLAlchemy's documented routing-session pattern
(``Session.get_bind``), on Flask-SQLAlchemy's own session class.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, Callable, Iterator, TypeVar

from flask_sqlalchemy.session import Session

BIND_KEY = "portfolio_replica"
_reading: ContextVar[bool] = ContextVar("workflow_replica_reads", default=False)
F = TypeVar("F", bound=Callable[..., Any])


class RoutingSession(Session):
    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None,
                 **kwargs: Any) -> Any:
        if bind is None and _reading.get() and not self._flushing:
            replica = self._db.engines.get(BIND_KEY)
            if replica is not None:
                return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@contextmanager
def reading() -> Iterator[None]:
    """Statements run inside go to the replica, when one is configured."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def replica_reads(function: F) -> F:
    """:func:`reading` around a function that only reads."""
    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with reading():
            return function(*args, **kwargs)
    return wrapper  # type: ignore[return-value]

"""The scheduler process: ``flask --app workflow scheduler``.

Web processes never run jobs; this command does, as a process of its own (SIGTERM or SIGINT
stop it cleanly). Several of them may run, on several hosts, for availability, but exactly one
leads and fires the jobs:

* on PostgreSQL the leader holds a session-level advisory lock (``pg_try_advisory_lock``) on a
  dedicated connection; when that connection is lost, so is the lock and the leadership;
* on other databases (SQLite) the leader holds a lease row in ``scheduler_leases``, taken when
  it is free or expired, renewed at every poll and deleted on shutdown.

A standby polls every ``poll_seconds`` (default 10) and takes over once the leader is gone: on
PostgreSQL at its next poll, with a lease within ``lease_seconds + poll_seconds`` (default
45 + 10). Only the leader has a running APScheduler, whose jobs live in the application's own
database (table ``apscheduler_jobs``); on losing leadership it shuts APScheduler down first.

The jobs are ``workflow.ops.jobs.SCHEDULE``. Each runs once when a scheduler becomes
leader (catching up with whatever fell due while no one led) and then every ``every_minutes``.
The jobs work out from the database what is due and are idempotent, so an extra run is harmless.
"""
from __future__ import annotations

import hashlib
import logging
import os
import signal
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, Protocol

import click
from flask import Flask
from flask.logging import has_level_handler
from sqlalchemy import create_engine, delete, insert, or_, select, text, update
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from workflow.models import SchedulerLease, utcnow
from workflow.ops import jobs
from workflow.platform.extensions import db

if TYPE_CHECKING:  # APScheduler is imported by the scheduler process, not by web workers
    from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger("workflow.scheduler")

Clock = Callable[[], datetime]

DEFAULT_POLL_SECONDS = 10.0
DEFAULT_LEASE_SECONDS = 45.0
DEFAULT_LOCK_NAME = "workflow-scheduler"
JOB_TABLE = "apscheduler_jobs"
# A textual reference, so that the persistent job store can pickle the job.
JOB_FUNC = "workflow.ops.scheduling:execute_job"
MIN_MISFIRE_GRACE_SECONDS = 300


def _log(level: int, event: str, message: str, *, exc_info: bool = False,
         **fields: Any) -> None:
    """One structured line: ``<message> event=<event> key=value ...``; the fields are also
    attached to the record (``record.event``, ``record.fields``) for JSON formatters."""
    pairs = "".join(f" {key}={value}" for key, value in fields.items())
    log.log(level, "%s event=%s%s", message, event, pairs, exc_info=exc_info,
            extra={"event": event, "fields": fields})


def holder_id() -> str:
    """Who holds the leadership: host, process and a random part (pids repeat)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# --- leadership ------------------------------------------------------------------------------


class Leadership(Protocol):
    """Who may fire jobs. ``acquire`` is tried by standbys, ``renew`` by the leader at every
    poll (False: leadership is lost), ``release`` on shutdown."""

    kind: str
    holder: str

    def acquire(self) -> bool: ...

    def renew(self) -> bool: ...

    def release(self) -> None: ...


class LeaseLeadership:
    """A lease row in ``scheduler_leases``: taken when free or expired, extended by ``renew``,
    deleted by ``release``. Every decision compares ``expires_at`` with ``clock()``, and each is
    a single conditional statement, so two contenders can never both hold a valid lease."""

    kind = "lease"

    def __init__(self, engine: Engine, *, name: str = DEFAULT_LOCK_NAME,
                 holder: str | None = None, lease_seconds: float = DEFAULT_LEASE_SECONDS,
                 clock: Clock = utcnow) -> None:
        self.engine = engine
        self.name = name
        self.holder = holder or holder_id()
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock
        self.expires_at: datetime | None = None

    def acquire(self) -> bool:
        now = self.clock()
        expires_at = now + self.lease
        table = SchedulerLease.__table__
        try:
            with self.engine.begin() as connection:
                taken = connection.execute(
                    update(table)
                    .where(table.c.name == self.name,
                           or_(table.c.holder == self.holder, table.c.expires_at <= now))
                    .values(holder=self.holder, expires_at=expires_at)).rowcount == 1
                if not taken:
                    if connection.execute(select(table.c.name)
                                          .where(table.c.name == self.name)).first():
                        return False  # someone else holds a valid lease
                    connection.execute(insert(table).values(
                        name=self.name, holder=self.holder, expires_at=expires_at))
        except IntegrityError:  # another contender inserted the row first
            return False
        self.expires_at = expires_at
        return True

    def renew(self) -> bool:
        expires_at = self.clock() + self.lease
        table = SchedulerLease.__table__
        with self.engine.begin() as connection:
            renewed = connection.execute(
                update(table).where(table.c.name == self.name, table.c.holder == self.holder)
                .values(expires_at=expires_at)).rowcount == 1
        self.expires_at = expires_at if renewed else None
        return renewed

    def release(self) -> None:
        table = SchedulerLease.__table__
        with self.engine.begin() as connection:
            connection.execute(delete(table).where(table.c.name == self.name,
                                                   table.c.holder == self.holder))
        self.expires_at = None


def advisory_key(name: str) -> int:
    """The signed 64-bit key of ``pg_try_advisory_lock`` for a lock name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class AdvisoryLockLeadership:
    """A PostgreSQL session-level advisory lock held on a dedicated connection (its own engine,
    without a pool) for as long as this process leads. If the connection breaks, the server
    ends the session and frees the lock; ``renew`` then reports the leadership lost. TCP
    keepalives on both ends make a vanished host's session end within about half a minute."""

    kind = "advisory-lock"
    # libpq's side: notice a dead server or network, also while a query waits for an answer.
    KEEPALIVES = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 5,
                  "keepalives_count": 3, "tcp_user_timeout": 20_000}
    # The server's side: end the session (freeing the lock) of a client that vanished.
    SERVER_SETTINGS = ("SET tcp_keepalives_idle = 5", "SET tcp_keepalives_interval = 5",
                       "SET tcp_keepalives_count = 3")

    def __init__(self, url: Any, *, name: str = DEFAULT_LOCK_NAME,
                 holder: str | None = None) -> None:
        self.engine = create_engine(url, poolclass=NullPool, connect_args=self.KEEPALIVES)
        self.name = name
        self.key = advisory_key(name)
        self.holder = holder or holder_id()
        self.connection: Connection | None = None

    def acquire(self) -> bool:
        if self.connection is not None:
            return self.renew()
        connection = self.engine.connect()
        try:
            for statement in self.SERVER_SETTINGS:
                connection.execute(text(statement))
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                     {"key": self.key}).scalar_one()
            connection.commit()  # end the transaction; the session-level lock stays
        except BaseException:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self.connection = connection
        return True

    def renew(self) -> bool:
        if self.connection is None:
            return False
        try:
            self.connection.execute(text("SELECT 1"))
            self.connection.commit()
            return True
        except Exception:  # the session, and with it the lock, is gone
            self._drop()
            return False

    def release(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self.connection.commit()
        except Exception:  # closing the session frees the lock anyway
            log.debug("advisory unlock failed; closing the session instead", exc_info=True)
        self._drop()

    def _drop(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:
                connection.invalidate()

    def dispose(self) -> None:
        self.release()
        self.engine.dispose()


def make_leadership(app: Flask, *, lease_seconds: float | None = None,
                    clock: Clock = utcnow, holder: str | None = None) -> Leadership:
    """The advisory lock on PostgreSQL, the lease row elsewhere."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    name = app.config.get("SCHEDULER_LOCK_NAME", DEFAULT_LOCK_NAME)
    if url.get_backend_name() == "postgresql":
        return AdvisoryLockLeadership(url, name=name, holder=holder)
    if lease_seconds is None:
        lease_seconds = float(app.config.get("SCHEDULER_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))
    with app.app_context():
        engine = db.engine
    return LeaseLeadership(engine, name=name, holder=holder, lease_seconds=lease_seconds,
                           clock=clock)


# --- the jobs --------------------------------------------------------------------------------

_app: Flask | None = None


def bind_app(app: Flask | None) -> None:
    """The app whose context ``execute_job`` runs in (the scheduler process's own app)."""
    global _app
    _app = app


def execute_job(name: str) -> None:
    """Run one job of ``jobs.SCHEDULE`` (APScheduler calls this by its textual reference).
    Logs the outcome; an error is logged and rolled back, never raised into the scheduler."""
    app = _app
    if app is None:  # not bound, e.g. run from a fresh process: build the app
        from workflow import create_app
        app = create_app()
        bind_app(app)
    started = time.monotonic()
    with app.app_context():
        try:
            count = jobs.run_job(name, now=utcnow())
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            _log(logging.ERROR, "job_failed", "job failed", exc_info=True, job=name,
                 error=type(exc).__name__, seconds=f"{time.monotonic() - started:.3f}")
            return
    _log(logging.INFO, "job_ran", "job ran", job=name, count=count,
         seconds=f"{time.monotonic() - started:.3f}")


def add_jobs(scheduler: BackgroundScheduler, schedule: dict[str, jobs.JobSpec],
             now: datetime) -> None:
    """Put every job of ``schedule`` into the (started, paused) scheduler's store, first run
    at ``now``, and drop stored jobs that are no longer in the schedule."""
    from apscheduler.triggers.interval import IntervalTrigger

    for name, spec in schedule.items():
        interval = timedelta(minutes=spec.every_minutes)
        scheduler.add_job(
            JOB_FUNC, trigger=IntervalTrigger(minutes=spec.every_minutes, timezone=timezone.utc),
            args=[name], id=name, name=name, replace_existing=True,
            coalesce=True, max_instances=1,
            misfire_grace_time=max(MIN_MISFIRE_GRACE_SECONDS, int(interval.total_seconds())),
            next_run_time=now)
    for job in scheduler.get_jobs():
        if job.id not in schedule:
            scheduler.remove_job(job.id)


# --- the process -----------------------------------------------------------------------------


class SchedulerProcess:
    """The leadership loop. ``step`` is one poll: a standby tries to acquire, the leader
    renews (and on failure shuts APScheduler down before anything else). ``run`` polls until
    ``stop`` is set, then shuts APScheduler down (letting running jobs finish) and releases."""

    def __init__(self, app: Flask, leadership: Leadership, *,
                 poll_seconds: float = DEFAULT_POLL_SECONDS, clock: Clock = utcnow,
                 schedule: dict[str, jobs.JobSpec] | None = None) -> None:
        self.app = app
        self.leadership = leadership
        self.poll_seconds = poll_seconds
        self.clock = clock
        self.schedule = schedule
        self.scheduler: BackgroundScheduler | None = None
        self._standing_by = False

    @property
    def is_leader(self) -> bool:
        return self.scheduler is not None

    def step(self) -> bool:
        if self.is_leader:
            try:
                still = self.leadership.renew()
                reason = "renewal refused"
            except Exception as exc:
                still, reason = False, f"renewal failed: {type(exc).__name__}"
            if not still:
                self._stop_apscheduler(wait=False)
                _log(logging.WARNING, "lost_leadership", "lost leadership", reason=reason,
                     **self._who())
            return self.is_leader
        try:
            got = self.leadership.acquire()
        except Exception as exc:
            got = False
            _log(logging.WARNING, "leadership_check_failed", "could not check leadership",
                 error=type(exc).__name__, **self._who())
        if got:
            try:
                self._start_apscheduler()
            except Exception:
                log.exception("could not start APScheduler; giving up leadership")
                self._stop_apscheduler(wait=False)
                self._release()
                return False
            self._standing_by = False
            _log(logging.INFO, "became_leader", "became leader",
                 jobs=",".join(sorted(self._schedule())) or "-", **self._who())
        elif not self._standing_by:
            self._standing_by = True
            _log(logging.INFO, "standing_by", "standing by", **self._who())
        return self.is_leader

    def run(self, stop: threading.Event) -> None:
        _log(logging.INFO, "started", "scheduler started", poll_seconds=self.poll_seconds,
             **self._who())
        try:
            while not stop.is_set():
                self.step()
                stop.wait(self.poll_seconds)
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        was_leader = self.is_leader
        self._stop_apscheduler(wait=True)
        self._release()
        dispose = getattr(self.leadership, "dispose", None)
        if dispose is not None:
            dispose()
        _log(logging.INFO, "stopped", "scheduler stopped", was_leader=was_leader,
             **self._who())

    def _schedule(self) -> dict[str, jobs.JobSpec]:
        return jobs.SCHEDULE if self.schedule is None else self.schedule

    def _who(self) -> dict[str, str]:
        return {"holder": self.leadership.holder, "via": self.leadership.kind}

    def _start_apscheduler(self) -> None:
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        bind_app(self.app)
        with self.app.app_context():
            engine = db.engine
        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)},
            timezone=timezone.utc)
        self.scheduler = scheduler
        scheduler.start(paused=True)
        add_jobs(scheduler, self._schedule(), self.clock())
        scheduler.resume()

    def _stop_apscheduler(self, *, wait: bool) -> None:
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.pause()  # no new submissions while the executor shuts down
            scheduler.shutdown(wait=wait)

    def _release(self) -> None:
        try:
            self.leadership.release()
        except Exception as exc:
            _log(logging.WARNING, "release_failed", "could not release leadership",
                 error=type(exc).__name__, **self._who())


# --- command line ----------------------------------------------------------------------------


def _configure_logging() -> None:
    log.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if not has_level_handler(log):
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")


def run_scheduler(app: Flask, *, poll_seconds: float, lease_seconds: float,
                  stop: threading.Event | None = None, clock: Clock = utcnow) -> None:
    """Run the scheduler process until SIGTERM/SIGINT (or ``stop``) arrives."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    leadership = make_leadership(app, lease_seconds=lease_seconds, clock=clock)
    SchedulerProcess(app, leadership, poll_seconds=poll_seconds, clock=clock).run(stop)


def register_cli(app: Flask) -> None:
    """Add ``flask --app workflow scheduler`` to the app's command line."""

    @app.cli.command("scheduler")
    @click.option("--poll-seconds", type=click.FloatRange(min=0, min_open=True),
                  help="How often a standby tries to take over and the leader renews "
                       f"[default: SCHEDULER_POLL_SECONDS or {DEFAULT_POLL_SECONDS:g}].")
    @click.option("--lease-seconds", type=click.FloatRange(min=0, min_open=True),
                  help="How long a lease lasts unrenewed, on databases without advisory locks "
                       f"[default: SCHEDULER_LEASE_SECONDS or {DEFAULT_LEASE_SECONDS:g}].")
    def scheduler_command(poll_seconds: float | None, lease_seconds: float | None) -> None:
        """Run the job scheduler (blocking; stop with SIGTERM or Ctrl-C). Run it on several
        hosts for availability: exactly one of them runs the jobs."""
        config = app.config
        if poll_seconds is None:
            poll_seconds = float(config.get("SCHEDULER_POLL_SECONDS", DEFAULT_POLL_SECONDS))
        if lease_seconds is None:
            lease_seconds = float(config.get("SCHEDULER_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))
        if lease_seconds < 2 * poll_seconds:
            raise click.UsageError("the lease must last at least twice the poll interval")
        _configure_logging()
        run_scheduler(app, poll_seconds=poll_seconds, lease_seconds=lease_seconds)

"""The scheduler process: exactly one leader fires the jobs (advisory lock on PostgreSQL, lease
row elsewhere), a standby takes over when the leader dies, and a job's failure never kills the
scheduler. The lease logic runs on an injected clock; the failover test runs real processes."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from scheduler_support import JOB_NAME, RUNS_FILE_VARIABLE
from sqlalchemy import create_engine, select, text

from workflow.models import SchedulerLease
from workflow.ops import jobs, scheduling
from workflow.ops.scheduling import (
    JOB_FUNC,
    AdvisoryLockLeadership,
    LeaseLeadership,
    SchedulerProcess,
    execute_job,
    make_leadership,
    register_cli,
)
from workflow.platform.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def is_postgres(uri: str) -> bool:
    return uri.startswith("postgresql")


@pytest.fixture
def engine(database_uri):
    engine = create_engine(database_uri)
    yield engine
    engine.dispose()


@pytest.fixture
def records(caplog, monkeypatch):
    """The scheduler's log records. (Alembic's fileConfig in the migration fixtures disables
    loggers that already exist, this one among them.)"""
    monkeypatch.setattr(scheduling.log, "disabled", False)
    caplog.set_level(logging.INFO, logger="workflow.scheduler")
    return lambda: [r for r in caplog.records if r.name == "workflow.scheduler"]


@pytest.fixture
def schedule(monkeypatch):
    """An empty SCHEDULE for the test to fill; the real jobs stay out of it."""
    table: dict[str, jobs.JobSpec] = {}
    monkeypatch.setattr(jobs, "SCHEDULE", table)
    yield table
    scheduling.bind_app(None)


def lease_row(engine, name: str):
    with engine.connect() as connection:
        table = SchedulerLease.__table__
        return connection.execute(select(table).where(table.c.name == name)).first()


# --- leadership ------------------------------------------------------------------------------


def test_lease_is_taken_refused_taken_over_renewed_and_released(engine):
    clock = FakeClock()
    first = LeaseLeadership(engine, name="test-lease", holder="a", lease_seconds=45, clock=clock)
    second = LeaseLeadership(engine, name="test-lease", holder="b", lease_seconds=45,
                             clock=clock)

    assert first.acquire()
    assert not second.acquire()
    assert lease_row(engine, "test-lease").holder == "a"
    assert lease_row(engine, "test-lease").expires_at == T0 + timedelta(seconds=45)

    clock.advance(40)
    assert not second.acquire()
    assert first.renew()  # now valid until T0 + 85 s
    assert lease_row(engine, "test-lease").expires_at == T0 + timedelta(seconds=85)
    clock.advance(40)
    assert not second.acquire()

    clock.advance(5)  # T0 + 85 s: expired
    assert second.acquire()
    assert lease_row(engine, "test-lease").holder == "b"
    assert not first.renew()
    assert not first.acquire()

    second.release()
    assert lease_row(engine, "test-lease") is None
    assert first.acquire()
    assert first.acquire()  # the holder may take its own lease again
    assert not second.acquire()


def test_lease_release_leaves_someone_elses_lease_alone(engine):
    clock = FakeClock()
    first = LeaseLeadership(engine, name="test-lease", holder="a", lease_seconds=10, clock=clock)
    second = LeaseLeadership(engine, name="test-lease", holder="b", lease_seconds=10,
                             clock=clock)
    assert first.acquire()
    clock.advance(11)
    assert second.acquire()
    first.release()
    assert lease_row(engine, "test-lease").holder == "b"


def test_advisory_lock_has_one_holder_and_passes_on_when_its_connection_goes(postgres_uri):
    database_uri = postgres_uri
    first = AdvisoryLockLeadership(database_uri, name="test-advisory", holder="a")
    second = AdvisoryLockLeadership(database_uri, name="test-advisory", holder="b")
    other = create_engine(database_uri)
    try:
        assert first.acquire()
        assert not second.acquire()
        assert first.renew()

        first.connection.close()  # the leader's connection is lost
        assert not first.renew()
        wait_for(second.acquire, 5, "the standby to take the lock")
        assert not first.acquire()

        # The server ending the leader's session (a dropped connection) ends its leadership.
        with other.begin() as connection:
            pid = second.connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            second.connection.commit()
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert not second.renew()
        wait_for(first.acquire, 5, "the lock to be free again")

        first.release()
        assert second.acquire()
    finally:
        first.dispose()
        second.dispose()
        other.dispose()


def test_make_leadership_chooses_by_database(make_app, database_uri):
    leadership = make_leadership(make_app(SCHEDULER_LEASE_SECONDS=7))
    try:
        if is_postgres(database_uri):
            assert isinstance(leadership, AdvisoryLockLeadership)
        else:
            assert isinstance(leadership, LeaseLeadership)
            assert leadership.lease == timedelta(seconds=7)
    finally:
        getattr(leadership, "dispose", lambda: None)()


# --- the process in-process ------------------------------------------------------------------


def test_only_the_leader_runs_apscheduler_and_a_lost_lease_stops_it(make_app, engine, schedule,
                                                                    records):
    runs: list[datetime] = []
    schedule["tick"] = jobs.JobSpec("tick", lambda now: runs.append(now) or 2, every_minutes=5)
    app, clock = make_app(), FakeClock(datetime.now(timezone.utc))
    first = SchedulerProcess(app, LeaseLeadership(engine, holder="a", lease_seconds=3,
                                                  clock=clock), clock=clock)
    second = SchedulerProcess(app, LeaseLeadership(engine, holder="b", lease_seconds=3,
                                                   clock=clock), clock=clock)
    try:
        assert first.step() and first.scheduler.running
        assert not second.step() and second.scheduler is None
        assert [r.event for r in records() if r.event != "job_ran"] == ["became_leader",
                                                                        "standing_by"]

        job = first.scheduler.get_job("tick")
        assert (job.func_ref, tuple(job.args), job.coalesce, job.max_instances) == (
            JOB_FUNC, ("tick",), True, 1)
        assert job.misfire_grace_time >= 300
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval == timedelta(minutes=5)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id FROM apscheduler_jobs")).scalars().all() \
                == ["tick"]

        wait_for(lambda: runs, 5, "the job's first run on becoming leader")
        assert runs[0].tzinfo is not None
        wait_for(lambda: any(r.event == "job_ran" for r in records()), 5, "its log line")
        ran = next(r for r in records() if r.event == "job_ran")
        assert "job=tick count=2 seconds=" in ran.getMessage()

        clock.advance(2)
        assert first.step()  # renewed
        clock.advance(2)
        assert not second.step()  # still valid thanks to the renewal
        clock.advance(2)
        assert second.step()  # expired: the standby takes over
        old = first.scheduler
        assert not first.step()
        assert first.scheduler is None and not old.running
        lost = [r for r in records() if r.event == "lost_leadership"]
        assert len(lost) == 1 and "holder=a" in lost[0].getMessage()
    finally:
        first.shutdown()
        second.shutdown()
    assert lease_row(engine, scheduling.DEFAULT_LOCK_NAME) is None


def test_becoming_leader_drops_jobs_no_longer_scheduled(make_app, engine, schedule):
    app = make_app()
    schedule["kept"] = jobs.JobSpec("kept", lambda now: 0, every_minutes=60)
    schedule["gone"] = jobs.JobSpec("gone", lambda now: 0, every_minutes=60)
    process = SchedulerProcess(app, LeaseLeadership(engine, holder="a"))
    assert process.step()
    process.shutdown()

    del schedule["gone"]
    schedule["kept"] = jobs.JobSpec("kept", lambda now: 0, every_minutes=30)
    process = SchedulerProcess(app, LeaseLeadership(engine, holder="a"))
    try:
        assert process.step()
        assert [job.id for job in process.scheduler.get_jobs()] == ["kept"]
        assert process.scheduler.get_job("kept").trigger.interval == timedelta(minutes=30)
    finally:
        process.shutdown()


def test_a_failing_job_is_logged_and_rolled_back_and_never_raises(make_app, engine, schedule,
                                                                   records):

    def write(name: str):
        def job(now: datetime) -> int:
            db.session.add(SchedulerLease(name=name, holder="job", expires_at=now))
            if name == "boom":
                raise RuntimeError("broken")
            return 1
        return job

    schedule["boom"] = jobs.JobSpec("boom", write("boom"), every_minutes=1)
    schedule["fine"] = jobs.JobSpec("fine", write("fine"), every_minutes=1)
    scheduling.bind_app(make_app())

    execute_job("boom")
    execute_job("fine")

    assert lease_row(engine, "boom") is None
    assert lease_row(engine, "fine").holder == "job"
    failed, ran = records()
    assert failed.event == "job_failed" and failed.levelno == logging.ERROR
    assert "job=boom error=RuntimeError" in failed.getMessage() and failed.exc_info
    assert ran.event == "job_ran" and "job=fine count=1" in ran.getMessage()


# --- command line ----------------------------------------------------------------------------


def test_flask_command_is_registered(make_app):
    assert "scheduler" in make_app().cli.commands


def test_lease_must_outlast_two_polls(make_app):
    app = make_app()
    if "scheduler" not in app.cli.commands:
        register_cli(app)
    result = app.test_cli_runner().invoke(
        args=["scheduler", "--poll-seconds", "10", "--lease-seconds", "15"])
    assert result.exit_code == 2
    assert "twice the poll interval" in result.output


# --- two real processes ----------------------------------------------------------------------


def test_two_processes_one_leader_and_the_standby_takes_over(database_uri, tmp_path):
    runs_file = tmp_path / "runs.txt"
    runs_file.touch()
    env = {**os.environ, "DATABASE_URL": database_uri, "INSTANCE_PATH": str(tmp_path),
           "SECRET_KEY": "test", RUNS_FILE_VARIABLE: str(runs_file),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT / "tests"),
                                                       os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "flask", "--app", "scheduler_support:create_app",
               "scheduler", "--poll-seconds", "0.5", "--lease-seconds", "3"]
    processes: list[tuple[subprocess.Popen, Path]] = []

    def log(process: subprocess.Popen) -> str:
        return dict((p.pid, path) for p, path in processes)[process.pid].read_text()

    def runners() -> list[int]:
        return [int(line.split()[0]) for line in runs_file.read_text().splitlines()]

    try:
        for number in (1, 2):
            path = tmp_path / f"scheduler{number}.log"
            with path.open("w") as output:
                processes.append((subprocess.Popen(command, env=env, cwd=PROJECT_ROOT,
                                                   stdout=output, stderr=subprocess.STDOUT),
                                  path))
        procs = [p for p, _ in processes]

        def elected():
            leaders = [p for p in procs if "event=became_leader" in log(p)]
            standbys = [p for p in procs if "event=standing_by" in log(p)]
            # The job records its run before the scheduler logs it: wait for both.
            ran = runners() and any(f"job={JOB_NAME} count=1" in log(p) for p in leaders)
            return (leaders, standbys) if leaders and standbys and ran else None

        leaders, standbys = wait_for(elected, 20, "one leader, one standby and a job run")
        assert len(leaders) == 1 and standbys != leaders, [log(p) for p in procs]
        leader, standby = leaders[0], standbys[0]
        assert set(runners()) == {leader.pid}
        assert f"job={JOB_NAME} count=1" in log(leader)
        assert JOB_NAME not in log(standby)

        leader.send_signal(signal.SIGKILL)
        leader.wait(5)
        wait_for(lambda: "event=became_leader" in log(standby) and standby.pid in runners(),
                 60, "the standby to take over and run the job")
        assert log(leader).count("event=became_leader") == 1
        assert "event=lost_leadership" not in log(leader)

        standby.send_signal(signal.SIGTERM)
        assert standby.wait(10) == 0, log(standby)
        assert "event=stopped" in log(standby)
        if not is_postgres(database_uri):
            engine = create_engine(database_uri)
            try:
                assert lease_row(engine, scheduling.DEFAULT_LOCK_NAME) is None
            finally:
                engine.dispose()
    finally:
        for process, _ in processes:
            if process.poll() is None:
                process.kill()
                process.wait(5)

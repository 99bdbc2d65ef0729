"""Several instances: two real gunicorn processes (two workers each) on one PostgreSQL
database, with clients racing each other through both. Every conflict has exactly one winner
(200, the others 409), the case history holds exactly the winning transitions, and no update
is lost.

Needs PostgreSQL (TEST_DATABASE_URL; CI always sets it). The test creates, migrates, seeds and
finally drops a scratch database of its own beside the one in TEST_DATABASE_URL."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests
from flask_migrate import upgrade
from process_support import free_port, wait_for
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine, make_url

from helpers import case_in
from workflow import create_app
from workflow.models import Case, CaseEvent
from workflow.ops import migrations
from workflow.ops.seeding import seed_demo
from workflow.platform.extensions import db
from workflow.platform.settings import PROJECT_ROOT

PG_URL = os.environ.get("TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: TEST_DATABASE_URL is "
                                                   "not set (CI always sets it)")

GUNICORN = Path(sys.executable).parent / "gunicorn"
START_UP_SECONDS = 90  # a deadline, not a pause: two cores shared with other test runs
CASES_PER_RACE = 3


@dataclass
class Instance:
    name: str
    base: str
    process: subprocess.Popen
    log: Path

    def post(self, path: str, token: str, body: dict) -> requests.Response:
        return requests.post(f"{self.base}{path}", json=body, timeout=60,
                             headers={"Authorization": f"Bearer {token}"})

    def patch(self, path: str, token: str, body: dict) -> requests.Response:
        return requests.patch(f"{self.base}{path}", json=body, timeout=60,
                              headers={"Authorization": f"Bearer {token}"})

    def healthy(self) -> bool:
        assert self.process.poll() is None, f"{self.name} exited:\n{self.log.read_text()}"
        try:
            return requests.get(f"{self.base}/healthz", timeout=5).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            return False


@dataclass
class Cluster:
    app: object  # the test's own app on the scratch database, for setup and checks
    engine: Engine
    a: Instance
    b: Instance
    tokens: dict[str, str]


def _scratch_urls() -> tuple[str, str]:
    """(the scratch database's SQLAlchemy URL, a libpq URL of the server's own database)."""
    server = make_url(PG_URL).set(drivername="postgresql")
    name = f"{server.database}_instances"
    return (server.set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False),
            server.render_as_string(hide_password=False))


def _admin(statement: str) -> None:
    with psycopg.connect(_scratch_urls()[1], autocommit=True) as connection:
        connection.execute(statement)


def _start(name: str, url: str, folder: Path) -> Instance:
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in {"LOG_FORMAT", "TRUSTED_PROXIES"}}
    env.update(DATABASE_URL=url, PORT=str(port), HOST="127.0.0.1", WEB_CONCURRENCY="2",
               SECRET_KEY="instances-test", MAIL_BACKEND="none", INSTANCE_PATH=str(folder))
    log = folder / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen([str(GUNICORN), "--config", "config/gunicorn.conf.py"],
                                   cwd=PROJECT_ROOT, env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
    return Instance(name, f"http://127.0.0.1:{port}", process, log)


def _stop(instance: Instance) -> int:
    if instance.process.poll() is None:
        instance.process.send_signal(signal.SIGTERM)  # graceful: workers finish requests
        try:
            instance.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            instance.process.kill()
            instance.process.wait()
    return instance.process.returncode


def _token(instance: Instance, username: str) -> str:
    response = requests.post(f"{instance.base}/api/v1/tokens", timeout=60,
                             json={"username": username, "password": "demo"})
    assert response.status_code == 201, response.text
    return response.json()["token"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    url, _server = _scratch_urls()
    database = make_url(url).database
    _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{database}"')
    folder = tmp_path_factory.mktemp("instances")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "instances-test",
                      "MAIL_BACKEND": "none"})
    app.instance_path = str(folder)
    migrations.enable(app)
    instances: list[Instance] = []
    engine = create_engine(url)
    try:
        with app.app_context():
            upgrade()
            seed_demo(with_cases=False)  # the demo organisation and its accounts
        instances += [_start("a", url, folder), _start("b", url, folder)]
        for instance in instances:
            wait_for(instance.healthy, START_UP_SECONDS, f"instance {instance.name}")
        a, b = instances
        # Tokens live in the database: each works on either instance.
        tokens = {"chef": _token(a, "chef"), "medarbetare": _token(b, "medarbetare")}
        yield Cluster(app, engine, a, b, tokens)
    finally:
        codes = {instance.name: _stop(instance) for instance in instances}
        engine.dispose()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    assert all(code == 0 for code in codes.values()), codes  # a clean shutdown


def _cases_in(cluster: Cluster, state: str) -> list[tuple[int, int]]:
    """New cases in ``state``: (id, version)."""
    with cluster.app.app_context():
        made = [case_in(state) for _ in range(CASES_PER_RACE)]
        return [(case.id, case.version) for case in made]


def _race(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Run the calls at the same moment, each in its own thread."""
    barrier = threading.Barrier(len(calls))
    results: list[requests.Response | BaseException | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], requests.Response]) -> None:
        barrier.wait(timeout=60)
        try:
            results[index] = call()
        except BaseException as error:  # reported below, not lost in the thread
            results[index] = error

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(r, requests.Response) for r in results), results
    return results  # type: ignore[return-value]


def _history(cluster: Cluster, case_id: int) -> list:
    table = CaseEvent.__table__
    with cluster.engine.connect() as connection:
        return connection.execute(select(table).where(table.c.case_id == case_id)
                                  .order_by(table.c.id)).all()


def _case(cluster: Cluster, case_id: int):
    table = Case.__table__
    with cluster.engine.connect() as connection:
        return connection.execute(select(table).where(table.c.id == case_id)).one()


def _one_winner(responses: list[requests.Response]) -> int:
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (len(responses) - 1), [
        (r.status_code, r.text[:200]) for r in responses]
    for loser in (r for r in responses if r.status_code == 409):
        assert loser.json()["error"]
    return next(i for i, r in enumerate(responses) if r.status_code == 200)


def test_conflicting_events_through_both_instances(cluster):
    """The manager takes the idea up through one instance while its author withdraws it
    through the other, both from the version they saw: one wins, on every case at once."""
    cases = _cases_in(cluster, "submitted")
    before = {case_id: len(_history(cluster, case_id)) for case_id, _version in cases}
    calls, plan = [], []
    for case_id, version in cases:
        for instance, user, event, target in ((cluster.a, "chef", "take_up", "apt"),
                                              (cluster.b, "medarbetare", "withdraw",
                                               "withdrawn")):
            body = {"event": event, "version": version}
            if event == "withdraw":
                body["comment"] = "Ångrar mig"
            calls.append(lambda i=instance, c=case_id, t=cluster.tokens[user], b=body:
                         i.post(f"/api/v1/cases/{c}/events", t, b))
            plan.append((case_id, version, event, target))
    responses = _race(calls)
    for start in range(0, len(calls), 2):
        pair = responses[start:start + 2]
        case_id, version, event, target = plan[start + _one_winner(pair)]
        case = _case(cluster, case_id)
        new_rows = _history(cluster, case_id)[before[case_id]:]
        assert (case.state, case.version) == (target, version + 1)
        assert [(r.event, r.to_state) for r in new_rows] == [(event, target)]


def test_the_same_event_twice_fires_once(cluster):
    """Two clicks on "forward" at once, one through each instance, no version sent: the
    state check (or the version counter, when they truly overlap) stops the second."""
    cases = _cases_in(cluster, "apt")
    before = {case_id: len(_history(cluster, case_id)) for case_id, _version in cases}
    token = cluster.tokens["chef"]
    calls = [lambda i=instance, c=case_id, n=note:
             i.post(f"/api/v1/cases/{c}/events", token, {"event": "forward", "note": n})
             for case_id, _version in cases
             for instance, note in ((cluster.a, "Via A"), (cluster.b, "Via B"))]
    responses = _race(calls)
    for index, (case_id, version) in enumerate(cases):
        winner = _one_winner(responses[2 * index:2 * index + 2])
        new_rows = _history(cluster, case_id)[before[case_id]:]
        assert [(r.event, r.comment) for r in new_rows] == [
            ("forward", ("Via A", "Via B")[winner])]
        assert (_case(cluster, case_id).state, _case(cluster, case_id).version) == (
            "refinement", version + 1)


def test_concurrent_edits_lose_no_update(cluster):
    """Two edits of one draft from the version both saw: one is saved, the other is told
    the case changed, never silently overwritten."""
    cases = _cases_in(cluster, "draft")
    before = {case_id: len(_history(cluster, case_id)) for case_id, _version in cases}
    token = cluster.tokens["medarbetare"]
    calls = [lambda i=instance, c=case_id, v=version, t=title:
             i.patch(f"/api/v1/cases/{c}", token, {"title": t, "version": v})
             for case_id, version in cases
             for instance, title in ((cluster.a, "Rubrik från A"), (cluster.b, "Rubrik från B"))]
    responses = _race(calls)
    for index, (case_id, version) in enumerate(cases):
        pair = responses[2 * index:2 * index + 2]
        title = ("Rubrik från A", "Rubrik från B")[_one_winner(pair)]
        case = _case(cluster, case_id)
        assert (case.title, case.version) == (title, version + 1)
        [edit] = _history(cluster, case_id)[before[case_id]:]
        assert edit.event == "edit" and edit.data["changes"]["title"]["after"] == title

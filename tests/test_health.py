"""/healthz: 200 only when the database answers and the schema is at the newest migration."""
from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager

import pytest
import requests
from alembic.script import ScriptDirectory
from process_support import development_server
from sqlalchemy import text
from werkzeug.serving import WSGIRequestHandler

from helpers import IDEA, api_headers, unit
from workflow import create_app
from workflow.ops import migrations
from workflow.platform.extensions import db
from workflow.platform.settings import PROJECT_ROOT
from workflow.views.health import MIGRATIONS_DIR, MIGRATIONS_KEY, Migrations

SCRIPTS = ScriptDirectory(str(MIGRATIONS_DIR))
HEAD = SCRIPTS.get_current_head()
PREVIOUS = SCRIPTS.get_revision(HEAD).down_revision


@contextmanager
def recorded_revision(app, revision: str | None):
    """Pretend the database is at ``revision`` (None: never migrated), then put it back:
    alembic_version is not among the tables the fixtures empty between tests."""
    with app.app_context():
        db.session.execute(text("DELETE FROM alembic_version"))
        if revision is not None:
            db.session.execute(text("INSERT INTO alembic_version (version_num) VALUES (:r)"),
                               {"r": revision})
        db.session.commit()
    try:
        yield
    finally:
        with app.app_context():
            db.session.execute(text("DELETE FROM alembic_version"))
            db.session.execute(text("INSERT INTO alembic_version (version_num) VALUES (:r)"),
                               {"r": HEAD})
            db.session.commit()


def test_healthy_database_at_head(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "migrations": "current",
                                   "revision": HEAD, "head": HEAD}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers  # no session for a probe


@pytest.mark.parametrize("revision, state", [(PREVIOUS, "behind"), ("ffff_from_the_future", "ahead"),
                                             (None, "missing")])
def test_schema_not_at_head_is_unhealthy(app, revision, state):
    with recorded_revision(app, revision):
        response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "ok", "migrations": state,
                                   "revision": revision, "head": HEAD}


def test_unreachable_database_is_unhealthy(tmp_path):
    missing = tmp_path / "no-such-folder" / "workflow.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}", "TESTING": True,
                      "SECRET_KEY": "test"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error",
                                   "migrations": "unknown", "revision": None, "head": HEAD}


def test_needs_no_login_even_where_everything_else_does(client):
    assert client.get("/cases").status_code == 302  # the rest of the app sends you to log in
    assert client.get("/healthz").status_code == 200


def test_production_settings_tell_strangers_no_revision_nor_versions(make_app, monkeypatch):
    """Neither DEBUG nor TESTING: /healthz leaves out the revision and the head, and the
    development server's Server header names neither werkzeug nor Python. (Failed before:
    both were shown.) EXPOSE_SERVER_DETAILS=1 shows the revision again."""
    for name in ("server_version", "sys_version"):  # put back after the test
        monkeypatch.setattr(WSGIRequestHandler, name, WSGIRequestHandler.__dict__.get(
            name, getattr(WSGIRequestHandler, name)))
    app = make_app(TESTING=False)
    with development_server(app) as base:
        response = requests.get(f"{base}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "migrations": "current"}
    server = response.headers.get("Server", "")
    assert "Werkzeug" not in server and "Python" not in server and not server.strip()

    shown = make_app(TESTING=False, EXPOSE_SERVER_DETAILS="1").test_client().get("/healthz")
    assert shown.get_json()["revision"] == HEAD


def test_head_is_read_from_the_scripts_at_start_up(app):
    migrations = app.extensions[MIGRATIONS_KEY]  # read once, when the blueprint was registered
    assert migrations == Migrations.from_directory(MIGRATIONS_DIR)
    assert migrations.heads == {HEAD}
    assert {HEAD, PREVIOUS} <= migrations.known
    assert migrations.compare(frozenset({HEAD})) == "current"
    assert migrations.compare(frozenset({PREVIOUS})) == "behind"
    assert migrations.compare(frozenset({"unknown"})) == "ahead"
    assert migrations.compare(frozenset()) == "missing"



def test_the_scripts_text_gives_what_alembic_reads_from_them(tmp_path):
    """ops/migrations.revisions reads the revisions without running the scripts; Alembic's
    ScriptDirectory runs them. Both on the project's folder and on a branched, merged one."""
    ours = migrations.revisions(MIGRATIONS_DIR)
    assert ours.heads == set(SCRIPTS.get_heads())
    assert ours.known == {script.revision for script in SCRIPTS.walk_revisions()}
    versions = tmp_path / "versions"
    versions.mkdir()
    (tmp_path / "script.py.mako").write_text("")
    for name, revision, down in (("a", "a1", None), ("b", "b1", "a1"), ("c", "c1", "a1"),
                                 ("m", "m1", ("b1", "c1")), ("d", "d1", "a1")):
        (versions / f"{name}.py").write_text(
            f'"""{name}"""\nfrom alembic import op\n\nrevision = {revision!r}\n'
            f"down_revision: str | None = {down!r}\n\n\ndef upgrade():\n    pass\n")
    branched = migrations.revisions(tmp_path)
    scripts = ScriptDirectory(str(tmp_path))
    assert branched.heads == set(scripts.get_heads()) == {"m1", "d1"}
    assert branched.known == {s.revision for s in scripts.walk_revisions()}
    (versions / "stray.py").write_text("VALUE = 1\n")  # Alembic refuses it, and so do we
    migrations.revisions.cache_clear()
    with pytest.raises(ValueError, match="stray.py"):
        migrations.revisions(tmp_path)


def test_flask_db_runs_flask_migrate(app, client):
    """`flask db …` is a stand-in until it runs; then Flask-Migrate's own group, options and
    all, answers (ops/migrations.py)."""
    runner = app.test_cli_runner()
    assert "upgrade" in runner.invoke(args=["db", "--help"]).output
    with recorded_revision(app, HEAD):
        stamped = runner.invoke(args=["db", "stamp", PREVIOUS])
        assert stamped.exit_code == 0, stamped.output
        assert client.get("/healthz").get_json()["migrations"] == "behind"
        stamped = runner.invoke(args=["db", "-d", str(MIGRATIONS_DIR), "stamp", "head"])
        assert stamped.exit_code == 0, stamped.output
        assert client.get("/healthz").get_json()["migrations"] == "current"


def test_a_web_worker_imports_no_alembic_nor_apscheduler(tmp_path):
    """Starting the app and answering /healthz leaves Alembic and Flask-Migrate (about 34 MiB
    a worker, issue 14) and APScheduler (the scheduler process's) unimported."""
    program = (
        "import sys\n"
        "from workflow import create_app\n"
        f"app = create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/x.sqlite3',"
        " 'SECRET_KEY': 'x', 'MAIL_BACKEND': 'none'})\n"
        "app.test_client().get('/healthz')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('alembic', 'flask_migrate', 'mako', 'apscheduler')))\n")
    answer = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, env={**os.environ, "INSTANCE_PATH": str(tmp_path)},
                            timeout=120)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == "[]"


# --- behind a reverse proxy (TRUSTED_PROXIES) ------------------------------------------------


@pytest.mark.parametrize("hops, expected", [(0, "http://localhost/status/"),
                                            (1, "https://ideer.example.se/status/")])
def test_forwarded_headers_count_only_with_trusted_proxies(make_demo_app, hops, expected):
    app = make_demo_app(TRUSTED_PROXIES=hops)
    with app.app_context():
        unit_id = unit().id
    client = app.test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ideer.example.se",
                 "X-Forwarded-For": "203.0.113.5", **api_headers(client, "medarbetare")}
    response = client.post("/api/v1/cases", headers=forwarded,
                           json={**IDEA, "unit_id": unit_id, "anonymous": True})
    assert response.status_code == 202  # held until the nightly batch
    assert response.get_json()["status_url"].startswith(expected)

"""The throwaway baseline app: bare Flask routes with plain SQL and minimal templates, no login,
no ORM, no services. What our pages cost on top of this is the price of the app's layers.

Also served by gunicorn for the throughput baseline: ``bench.baseline_app:create_app()``
reads the database URL from BENCH_BASELINE_DATABASE_URL.
"""
from __future__ import annotations

import os

from flask import Flask, abort, render_template_string, request
from sqlalchemy import create_engine, text

LIST_SQL = text("""
    SELECT c.id, c.title, c.state, u.name AS unit, c.updated_at
    FROM cases c JOIN units u ON u.id = c.unit_id
    WHERE c.state = :state AND u.department_id = :department_id
    ORDER BY c.updated_at DESC, c.id DESC LIMIT 50""")
CASE_SQL = text("""
    SELECT c.id, c.title, c.need, c.effect, c.state, u.name AS unit, c.updated_at
    FROM cases c JOIN units u ON u.id = c.unit_id WHERE c.id = :id""")
HISTORY_SQL = text("""
    SELECT h.event, h.to_state, h.at, h.comment, us.display_name AS actor
    FROM case_history h LEFT JOIN users us ON us.id = h.actor_id
    WHERE h.case_id = :id ORDER BY h.id""")
COMMENTS_SQL = text("""
    SELECT cm.body, cm.created_at, us.display_name AS author
    FROM comments cm JOIN users us ON us.id = cm.author_id
    WHERE cm.case_id = :id ORDER BY cm.id""")

LIST_TEMPLATE = """<!doctype html><title>Ärenden</title>
<table><tr><th>Nr</th><th>Rubrik</th><th>Läge</th><th>Enhet</th><th>Senast ändrad</th></tr>
{% for r in rows %}<tr><td>{{ r.id }}</td><td><a href="/cases/{{ r.id }}">{{ r.title }}</a></td>
<td>{{ r.state }}</td><td>{{ r.unit }}</td><td>{{ r.updated_at }}</td></tr>{% endfor %}
</table>"""
CASE_TEMPLATE = """<!doctype html><title>{{ case.title }}</title>
<h1>{{ case.id }}: {{ case.title }}</h1><p>{{ case.state }} · {{ case.unit }}</p>
<p>{{ case.need }}</p><p>{{ case.effect }}</p>
<ol>{% for h in history %}<li>{{ h.at }} {{ h.event }} → {{ h.to_state }}
{{ h.actor or '' }} {{ h.comment or '' }}</li>{% endfor %}</ol>
<ul>{% for c in comments %}<li>{{ c.author }}: {{ c.body }}</li>{% endfor %}</ul>"""


def create_app(database_url: str | None = None) -> Flask:
    url = database_url or os.environ["BENCH_BASELINE_DATABASE_URL"]
    engine = create_engine(url)
    app = Flask(__name__)

    @app.get("/healthz")
    def healthz():
        return "ok", 200, {"Content-Type": "text/plain"}

    @app.get("/cases")
    def case_list():
        with engine.connect() as connection:
            rows = connection.execute(LIST_SQL, {
                "state": request.args.get("state", "council"),
                "department_id": request.args.get("department_id", type=int)}).all()
        return render_template_string(LIST_TEMPLATE, rows=rows)

    @app.get("/cases/<int:case_id>")
    def case_page(case_id: int):
        with engine.connect() as connection:
            case = connection.execute(CASE_SQL, {"id": case_id}).first()
            if case is None:
                abort(404)
            history = connection.execute(HISTORY_SQL, {"id": case_id}).all()
            comments = connection.execute(COMMENTS_SQL, {"id": case_id}).all()
        return render_template_string(CASE_TEMPLATE, case=case, history=history,
                                      comments=comments)

    return app

"""Webhooks (issue 15 item 6, docs/webhooks.md): case events delivered as signed JSON to a
receiver this test starts on loopback, retried with back-off, recorded; anonymous cases carry
no author; a refused event enqueues nothing; the admin pages and their API twins."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import insert, select
from sqlalchemy import text as sqlalchemy_text

from helpers import admin_log_actions, api_headers, login, new_direct_case, new_draft, unit, user
from workflow.cases import service as cases
from workflow.models import Department, Webhook, WebhookDelivery
from workflow.ops import jobs
from workflow.platform.errors import InvalidState, PermissionDenied, ValidationFailed
from workflow.platform.extensions import db
from workflow.webhooks import service as webhooks

SECRET = "en-hemlighet-for-test-0123456789"
NOW = datetime(2026, 12, 14, 9, 0, tzinfo=timezone.utc)


class Receiver:
    """An HTTP server on 127.0.0.1 that records each request and answers with the next of
    ``statuses`` (the last one once they run out)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses = [200]
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body})
                status = (receiver.statuses.pop(0) if len(receiver.statuses) > 1
                          else receiver.statuses[0])
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def payloads(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def receiver():
    started = Receiver()
    yield started
    started.close()


def norr_department() -> Department:
    return unit().department


def register(url: str, department: Department | None = None, secret: str = SECRET) -> Webhook:
    hook, _ = webhooks.register(user("admin"), {
        "department_id": (department or norr_department()).id, "url": url, "secret": secret})
    return hook


def deliveries() -> list[WebhookDelivery]:
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def verified(request: dict, secret: str = SECRET) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request["headers"]["X-Idefloedet-Signature"])


# ---------------------------------------------------------------- delivering

def test_each_case_event_is_delivered_signed_to_the_receiver(ctx, receiver):
    register(receiver.url)
    case = new_draft()
    cases.fire(case, "submit", user("medarbetare"), {})
    pending = deliveries()
    assert [(d.event, d.status, d.case_id) for d in pending] == [
        ("create", "pending", case.id), ("submit", "pending", case.id)]

    assert jobs.run_job("deliver_webhooks", NOW) == 2
    assert len(receiver.requests) == 2
    for request in receiver.requests:
        assert verified(request)
        assert not verified(request, "en-annan-hemlighet-0123456789")
        assert request["headers"]["Content-Type"].startswith("application/json")
    submit = receiver.requests[1]
    body = json.loads(submit["body"])
    assert submit["headers"]["X-Idefloedet-Event"] == "submit"
    assert submit["headers"]["X-Idefloedet-Delivery"] == str(body["delivery_id"])
    assert body["event"] == "submit" and body["from"] == "draft" and body["to"] == "submitted"
    assert body["case"]["id"] == case.id and body["case"]["title"] == case.title
    assert body["case"]["state"] == "submitted" and body["case"]["state_label"]
    assert body["case"]["department"] == {"id": case.department_id,
                                          "name": case.department.name}
    assert body["case"]["unit"]["name"] == unit().name
    assert body["case"]["author"] == user("medarbetare").display_name
    assert body["case"]["anonymous"] is False and body["case"]["diarienummer"] is None
    assert body["event_id"] == case.history[-1].id
    assert datetime.fromisoformat(body["at"])

    db.session.expire_all()
    assert [(d.status, d.attempts, d.last_status_code) for d in deliveries()] == [
        ("delivered", 1, 200), ("delivered", 1, 200)]
    assert jobs.run_job("deliver_webhooks", NOW + timedelta(minutes=5)) == 0  # nothing twice
    assert len(receiver.requests) == 2


def test_an_anonymous_case_is_delivered_without_author_actor_or_comment(ctx, receiver):
    register(receiver.url)
    case = new_direct_case()
    assert case.anonymous
    jobs.run_job("deliver_webhooks", NOW)
    assert receiver.requests and all(verified(r) for r in receiver.requests)
    for body in receiver.payloads():
        assert body["case"]["anonymous"] is True
        assert "author" not in body["case"] and "actor" not in body and "comment" not in body
        assert user("medarbetare").display_name not in json.dumps(body, ensure_ascii=False)


def test_a_failing_receiver_is_retried_with_back_off_until_it_answers(ctx, receiver):
    register(receiver.url)
    new_draft()
    receiver.statuses = [500, 503, 200]
    assert jobs.run_job("deliver_webhooks", NOW) == 0
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at == NOW + timedelta(minutes=1)
    assert delivery.last_error == "HTTP 500"

    assert jobs.run_job("deliver_webhooks", NOW + timedelta(seconds=30)) == 0  # not yet due
    assert len(receiver.requests) == 1
    jobs.run_job("deliver_webhooks", NOW + timedelta(minutes=1))
    db.session.expire_all()
    [delivery] = deliveries()
    assert (delivery.attempts, delivery.last_status_code) == (2, 503)
    assert delivery.next_attempt_at == NOW + timedelta(minutes=1 + 2)

    assert jobs.run_job("deliver_webhooks", NOW + timedelta(minutes=3)) == 1
    db.session.expire_all()
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)
    assert delivery.delivered_at == NOW + timedelta(minutes=3) and delivery.last_error is None
    assert len(receiver.requests) == 3
    assert len({r["body"] for r in receiver.requests}) == 1  # the same signed body each time


def test_a_delivery_fails_for_good_after_the_last_attempt(ctx, receiver):
    register(receiver.url)
    new_draft()
    receiver.statuses = [500]
    moment = NOW
    for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
        jobs.run_job("deliver_webhooks", moment)
        db.session.expire_all()
        [delivery] = deliveries()
        assert delivery.attempts == attempt
        if attempt < webhooks.MAX_ATTEMPTS:
            assert delivery.next_attempt_at == moment + timedelta(minutes=2 ** (attempt - 1))
            moment = delivery.next_attempt_at
    assert delivery.status == "failed"
    jobs.run_job("deliver_webhooks", moment + timedelta(days=1))
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS


def test_an_unreachable_receiver_is_recorded_without_its_address(ctx, receiver):
    url = receiver.url
    receiver.close()  # nobody listens there any more
    register(url)
    new_draft()
    jobs.run_job("deliver_webhooks", NOW)
    [delivery] = deliveries()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_status_code is None
    assert delivery.last_error and "127.0.0.1" not in delivery.last_error


def test_a_refused_or_rolled_back_event_enqueues_nothing(ctx, receiver):
    register(receiver.url)
    case = new_draft()
    before = len(deliveries())
    with pytest.raises(InvalidState):
        cases.fire(case, "take_up", user("chef"), {})  # a draft is not taken up
    with pytest.raises(PermissionDenied):
        cases.fire(case, "submit", user("vu"), {})  # only the author submits

    def fail() -> None:
        raise RuntimeError("something after the history row failed")

    with pytest.raises(RuntimeError):
        cases.fire(case, "submit", user("medarbetare"), {}, also=fail)
    db.session.expire_all()
    assert len(deliveries()) == before
    assert case.state == "draft"


def test_only_the_cases_forvaltning_and_only_active_webhooks_get_events(ctx, receiver):
    other = db.session.scalar(select(Department).where(Department.id != norr_department().id,
                                                       Department.region_id ==
                                                       norr_department().region_id))
    register(receiver.url, other)
    stopped = register(receiver.url)
    webhooks.deactivate(user("admin"), stopped)
    new_draft()
    assert deliveries() == []
    jobs.run_job("deliver_webhooks", NOW)
    assert receiver.requests == []


def test_a_case_loaded_as_a_request_loads_it_knows_whether_its_forvaltning_has_webhooks(
        ctx, receiver):
    """Issue 14 (firing): the förvaltning's "has an active webhook" is read with the case, so
    an event where there is none asks nothing more; a webhook registered after the case was
    loaded still gets the next event, and one with a plain-SQL INSERT too."""
    case = cases.fire(new_draft(), "submit", user("medarbetare"), {})
    db.session.expire_all()  # as a new request finds it
    asked = []

    def note(conn, cursor, statement, *rest):
        asked.append(statement)
    sqlalchemy_event.listen(db.engine, "before_cursor_execute", note)
    try:
        loaded = cases.get_case(user("chef"), case.id)
        cases.fire(loaded, "take_up", user("chef"), {})
    finally:
        sqlalchemy_event.remove(db.engine, "before_cursor_execute", note)
    assert not [s for s in asked if s.lstrip().startswith("SELECT webhooks.")]
    assert deliveries() == []
    register(receiver.url)  # commits: what was loaded with the case is read again
    cases.fire(loaded, "forward", user("chef"), {"note": "Vidare till utvecklaren."})
    assert [d.event for d in deliveries()] == ["forward"]
    db.session.execute(sqlalchemy_text(
        "UPDATE webhooks SET active = :no"), {"no": False})
    db.session.commit()
    other = cases.fire(new_draft(), "submit", user("medarbetare"), {})
    assert [d.event for d in deliveries()] == ["forward"]
    db.session.execute(insert(Webhook).values(
        department_id=norr_department().id, url=receiver.url, secret=SECRET, active=True,
        created_at=NOW))
    db.session.commit()
    cases.fire(cases.get_case(user("chef"), other.id), "take_up", user("chef"), {})
    assert [d.event for d in deliveries()] == ["forward", "take_up"]


def test_deactivating_fails_what_is_still_pending(ctx, receiver):
    hook = register(receiver.url)
    new_draft()
    webhooks.deactivate(user("admin"), hook)
    [delivery] = deliveries()
    assert delivery.status == "failed" and delivery.last_error == "webhook deactivated"
    assert admin_log_actions()[-2:] == ["webhook.create", "webhook.deactivate"]


@pytest.mark.parametrize("url", [
    "", "ftp://example.org/hook", "http://example.org/hook", "http://10.0.0.1/hook",
    "https://", "https://user:pass@example.org/hook", "https://example.org/a b",
    "https://example.org:port/", "https://" + "a" * 500 + ".se/"])
def test_a_bad_address_is_refused(ctx, url):
    with pytest.raises(ValidationFailed) as refused:
        webhooks.register(user("admin"), {"department_id": norr_department().id, "url": url})
    assert "url" in refused.value.field_errors


@pytest.mark.parametrize("url", ["https://example.org/hook", "http://127.0.0.1:8080/hook",
                                 "http://localhost/hook", "http://[::1]:9000/"])
def test_https_anywhere_and_http_to_loopback_are_accepted(ctx, url):
    hook, secret = webhooks.register(user("admin"), {"department_id": norr_department().id,
                                                     "url": url})
    assert hook.active and len(secret) >= webhooks.SECRET_MIN and hook.secret == secret


# ---------------------------------------------------------------- the admin pages

def test_the_admin_registers_sees_the_secret_once_and_deactivates(app, receiver):
    client = login(app.test_client(), "admin")
    page = client.get("/admin/webhooks/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for field in ("department_id", "url", "secret"):
        assert f'<label for="{field}"' in html
    assert client.get("/admin/").get_data(as_text=True).count("/admin/webhooks/") >= 1
    with app.app_context():
        department_id = norr_department().id

    refused = client.post("/admin/webhooks/", data={"department_id": department_id,
                                                    "url": "http://example.org/hook"})
    assert refused.status_code == 422
    assert "Adressen måste börja med https://" in refused.get_data(as_text=True)

    created = client.post("/admin/webhooks/", data={"department_id": department_id,
                                                    "url": receiver.url, "secret": SECRET})
    assert created.status_code == 200 and SECRET in created.get_data(as_text=True)
    assert created.headers["Cache-Control"] == "no-store"
    with app.app_context():
        hook = db.session.scalar(select(Webhook))
        hook_id = hook.id
        assert admin_log_actions() == ["webhook.create"]
        assert hook.secret == SECRET  # kept to sign with
    listing = client.get("/admin/webhooks/").get_data(as_text=True)
    assert receiver.url in listing and SECRET not in listing

    with app.app_context():
        new_draft()
    detail = client.get(f"/admin/webhooks/{hook_id}").get_data(as_text=True)
    assert "create" in detail and "Väntar" in detail and SECRET not in detail
    done = client.post(f"/admin/webhooks/{hook_id}/deactivate")
    assert done.status_code == 302
    with app.app_context():
        assert admin_log_actions() == ["webhook.create", "webhook.deactivate"]
        assert db.session.get(Webhook, hook_id).active is False
    assert "Misslyckad" in client.get(f"/admin/webhooks/{hook_id}").get_data(as_text=True)


def test_the_admin_log_never_holds_the_secret(ctx):
    from workflow.models import AdminLogEntry
    register("https://example.org/hook")
    entry = db.session.scalar(select(AdminLogEntry))
    assert SECRET not in json.dumps([entry.before, entry.after, entry.target_label])


def test_only_region_admins_reach_the_pages(app):
    for username in ("chef", "vu", "fchef"):
        client = login(app.test_client(), username)
        assert client.get("/admin/webhooks/").status_code == 403
        assert client.post("/admin/webhooks/", data={"url": "https://x.se"}).status_code == 403
    assert app.test_client().get("/admin/webhooks/").status_code in (302, 401)


# ---------------------------------------------------------------- the API twins

def test_the_api_twins(app, receiver):
    client = app.test_client()
    with app.app_context():
        department_id = norr_department().id
    assert client.get("/api/v1/admin/webhooks").status_code == 401
    assert client.get("/api/v1/admin/webhooks",
                      headers=api_headers(client, "vu")).status_code == 403
    headers = api_headers(client, "admin")

    bad = client.post("/api/v1/admin/webhooks", headers=headers,
                      json={"department_id": department_id, "url": "http://example.org/"})
    assert bad.status_code == 422 and "url" in bad.get_json()["fields"]
    unknown = client.post("/api/v1/admin/webhooks", headers=headers,
                          json={"department_id": department_id, "url": receiver.url, "x": 1})
    assert unknown.status_code == 422 and "x" in unknown.get_json()["fields"]

    created = client.post("/api/v1/admin/webhooks", headers=headers,
                          json={"department_id": department_id, "url": receiver.url})
    assert created.status_code == 201
    hook = created.get_json()
    secret = hook["secret"]
    assert hook["active"] is True and hook["department"]["id"] == department_id
    listed = client.get("/api/v1/admin/webhooks", headers=headers).get_json()["items"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    assert "secret" not in client.get(f"/api/v1/admin/webhooks/{hook['id']}",
                                      headers=headers).get_json()

    with app.app_context():
        case_id = new_draft().id
        jobs.run_job("deliver_webhooks", datetime.now(timezone.utc))
    assert verified(receiver.requests[0], secret)
    got = client.get(f"/api/v1/admin/webhooks/{hook['id']}/deliveries", headers=headers)
    [delivery] = got.get_json()["items"]
    assert delivery["status"] == "delivered" and delivery["case_id"] == case_id
    assert delivery["last_status_code"] == 200 and delivery["attempts"] == 1

    off = client.post(f"/api/v1/admin/webhooks/{hook['id']}/deactivate", headers=headers)
    assert off.status_code == 200 and off.get_json()["active"] is False
    assert client.get("/api/v1/admin/webhooks/999999", headers=headers).status_code == 404
    assert client.get(f"/api/v1/admin/webhooks/{hook['id']}/deliveries",
                      headers=api_headers(client, "vu")).status_code == 403


def test_the_openapi_document_describes_the_webhooks(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert {"/admin/webhooks", "/admin/webhooks/{webhook_id}",
            "/admin/webhooks/{webhook_id}/deactivate",
            "/admin/webhooks/{webhook_id}/deliveries"} <= set(document["paths"])
    assert {"WebhookInput", "WebhookCreated", "WebhookDeliveryList"} <= set(
        document["components"]["schemas"])


def test_the_list_filters_by_forvaltning_and_refuses_a_bad_one(app):
    client = app.test_client()
    headers = api_headers(client, "admin")
    with app.app_context():
        norr = register("https://example.org/norr")
        department_id, hook_id = norr.department_id, norr.id
    listed = client.get(f"/api/v1/admin/webhooks?department_id={department_id}",
                        headers=headers).get_json()["items"]
    assert [h["id"] for h in listed] == [hook_id]
    assert client.get(f"/api/v1/admin/webhooks?department_id={department_id + 1000}",
                      headers=headers).get_json()["items"] == []
    bad = client.get("/api/v1/admin/webhooks?department_id=x", headers=headers)
    assert bad.status_code == 422 and "department_id" in bad.get_json()["fields"]


def test_erasing_a_person_scrubs_their_name_from_the_webhook_payloads(ctx, receiver):
    """GDPR erasure (workflow/ops/gdpr.py) leaves no name in a stored payload."""
    from workflow.ops import gdpr
    register(receiver.url)
    sender = user("medarbetare")
    name = sender.display_name
    case = new_draft()
    cases.fire(case, "submit", sender, {})
    assert jobs.run_job("deliver_webhooks", NOW) == 2
    gdpr.erase(sender)
    db.session.expire_all()
    stored = json.dumps([d.payload for d in deliveries()], ensure_ascii=False)
    assert name not in stored and gdpr.ERASED_NAME in stored

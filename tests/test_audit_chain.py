"""The case history's hash chain: every writer gets it, audit-verify finds tampering by someone
with direct database access (an edited row, a deleted row), and the migration's backfill gives
the same hashes as writing does."""
from __future__ import annotations

import hashlib
import json
import threading
from datetime import timezone
from itertools import pairwise
from types import SimpleNamespace

import pytest
from conftest import BACKENDS
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from helpers import case_in, drive, new_draft, statements_run, user
from workflow.cases import merging
from workflow.cases import service as cases
from workflow.models import Case, CaseEvent, User, utcnow
from workflow.ops import migrations
from workflow.platform.audit import GENESIS
from workflow.platform.errors import Conflict
from workflow.platform.extensions import db
from workflow.platform.uow import record, unit_of_work

TRIGGERS = {
    "sqlite": {
        "drop": ["DROP TRIGGER IF EXISTS case_history_no_update",
                 "DROP TRIGGER IF EXISTS case_history_no_delete"],
        "create": ["CREATE TRIGGER case_history_no_update BEFORE UPDATE ON case_history "
                   "BEGIN SELECT RAISE(ABORT, 'case_history is append-only'); END",
                   "CREATE TRIGGER case_history_no_delete BEFORE DELETE ON case_history "
                   "BEGIN SELECT RAISE(ABORT, 'case_history is append-only'); END"]},
    "postgresql": {
        "drop": ["DROP TRIGGER IF EXISTS case_history_append_only ON case_history"],
        "create": ["CREATE TRIGGER case_history_append_only BEFORE UPDATE OR DELETE ON "
                   "case_history FOR EACH ROW EXECUTE FUNCTION case_history_append_only()"]},
}


def expected_hash(prev_hash: str, row) -> str:
    """The chain as the issue specifies it, written out independently of workflow/platform/audit.py."""
    content = json.dumps({
        "case_id": row.case_id, "event": row.event, "from_state": row.from_state,
        "to_state": row.to_state, "actor_id": row.actor_id,
        "at": row.at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
        "comment": row.comment, "data": row.data}, sort_keys=True, separators=(",", ":"),
        ensure_ascii=False)
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def history_rows(case_id: int | None = None) -> list:
    query = select(CaseEvent.__table__).order_by(CaseEvent.case_id, CaseEvent.id)
    if case_id is not None:
        query = query.where(CaseEvent.case_id == case_id)
    return list(db.session.execute(query))


def audit_verify(app):
    return app.test_cli_runner().invoke(args=["audit-verify"])


def as_attacker(app, *statements: str) -> None:
    """Change the history behind the application's back, as someone with database access:
    drop the append-only triggers, run the statements, commit."""
    db.session.remove()
    with db.engine.begin() as connection:
        for statement in TRIGGERS[connection.dialect.name]["drop"]:
            connection.execute(text(statement))
        for statement in statements:
            connection.execute(text(statement))


@pytest.fixture
def restore_triggers(app):
    """PostgreSQL's test schema lives for the whole session: put the triggers back."""
    yield
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            triggers = TRIGGERS[connection.dialect.name]
            for statement in triggers["drop"] + triggers["create"]:
                connection.execute(text(statement))


def some_history() -> tuple[Case, Case]:
    """A case that went a long way (with its dossier), an anonymous one, and a merge that
    writes rows to two cases in one transaction."""
    long_way = case_in("council")
    anonymous = case_in("direct")
    duplicate = case_in("submitted")
    drive(duplicate, [("take_up", "chef", {}),
                      ("merge", "chef", {"target_case": long_way.id, "comment": "Samma idé"})])
    # The council owns the target and accepts the proposed merge (consent-based merge).
    merging.accept(user("rad"), merging.pending_from(duplicate))
    cases.add_comment(user("vu"), long_way, "Kommentarer hör inte till historiken.")
    return long_way, anonymous


def test_every_row_is_chained_as_specified(ctx):
    long_way, anonymous = some_history()
    rows = history_rows()
    assert len({r.case_id for r in rows}) == 3 and len(rows) > 10
    previous = {}
    for row in rows:
        prev_hash = previous.get(row.case_id, GENESIS)
        assert row.prev_hash == prev_hash, row.id
        assert row.hash == expected_hash(prev_hash, row), row.id
        previous[row.case_id] = row.hash
    merged_in = [r for r in history_rows(long_way.id) if r.event == "merged_in"]
    assert len(merged_in) == 1
    assert history_rows(anonymous.id)[0].actor_id is None


def test_a_clean_chain_verifies(app):
    with app.app_context():
        some_history()
        count = len(history_rows())
    result = audit_verify(app)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"OK: 3 cases, {count} rows"


def test_an_empty_history_verifies(app):
    result = audit_verify(app)
    assert result.exit_code == 0 and result.output.strip() == "OK: 0 cases, 0 rows"


def test_a_writer_that_skips_the_service_is_chained_too(ctx):
    case = case_in("submitted")
    db.session.add(CaseEvent(case=case, event="note", from_state=case.state,
                             to_state=case.state, actor=user("chef"), comment="Direkt"))
    db.session.commit()
    rows = history_rows(case.id)
    assert rows[-1].prev_hash == rows[-2].hash
    assert rows[-1].hash == expected_hash(rows[-2].hash, rows[-1])


def test_an_insert_without_the_orm_cannot_leave_the_hash_out(ctx):
    case = case_in("submitted")
    with pytest.raises(IntegrityError):
        db.session.execute(text(
            "INSERT INTO case_history (case_id, event, from_state, to_state, at, data) "
            "VALUES (:case, 'note', 'submitted', 'submitted', '2026-01-01 00:00:00+00', '{}')"),
            {"case": case.id})
    db.session.rollback()


def test_an_altered_comment_is_found(app, restore_triggers):
    with app.app_context():
        case = case_in("refinement")
        forward = next(r for r in history_rows(case.id) if r.event == "forward")
        as_attacker(app, f"UPDATE case_history SET comment = 'Inget stöd' WHERE id = {forward.id}")
    result = audit_verify(app)
    assert result.exit_code == 1
    broken = [line for line in result.output.splitlines() if line.startswith("BROKEN")]
    assert broken == [f"BROKEN: case {case.id}, row {forward.id}: the stored hash does not "
                      "match the row's content (event, states, actor, time, comment or data): "
                      "the row was changed"]


def test_a_row_rewritten_with_a_fitting_hash_breaks_the_next_link(app, restore_triggers):
    """Rewriting one row's hash to fit its new content breaks the next row's link instead."""
    with app.app_context():
        case = case_in("refinement")
        rows = history_rows(case.id)
        take_up, forward = rows[2], rows[3]
        forged = expected_hash(take_up.prev_hash,
                               SimpleNamespace(**{**take_up._asdict(), "actor_id": user("vu").id}))
        as_attacker(app, f"UPDATE case_history SET actor_id = {user('vu').id}, "
                         f"hash = '{forged}' WHERE id = {take_up.id}")
    result = audit_verify(app)
    assert result.exit_code == 1
    assert f"case {case.id}, row {forward.id}: prev_hash does not match" in result.output
    assert f"case {case.id}, row {take_up.id}:" not in result.output


def test_a_deleted_middle_row_is_found(app, restore_triggers):
    with app.app_context():
        untouched_id = case_in("submitted").id
        case = case_in("refinement")
        rows = history_rows(case.id)
        as_attacker(app, f"DELETE FROM case_history WHERE id = {rows[2].id}")
    result = audit_verify(app)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"BROKEN: case {case.id}, row {rows[3].id}: prev_hash does not match the hash of the "
        f"previous row {rows[1].id}: a row between them was deleted or inserted, or the link "
        "was changed")
    assert f"case {untouched_id}," not in result.output


def test_a_deleted_first_row_is_found(app, restore_triggers):
    with app.app_context():
        case = case_in("submitted")
        rows = history_rows(case.id)
        as_attacker(app, f"DELETE FROM case_history WHERE id = {rows[0].id}")
    result = audit_verify(app)
    assert result.exit_code == 1
    assert f"case {case.id}, row {rows[1].id}: prev_hash is not the genesis value" in result.output


def test_the_backfill_gives_the_hashes_writing_gives(app):
    """Downgrade to 0011 (the columns go), upgrade again: the migration computes every hash
    from the rows, and must arrive at what the listener wrote; the triggers are back."""
    migrations.enable(app)
    with app.app_context():
        some_history()
        written = [(r.id, r.prev_hash, r.hash) for r in history_rows()]
        db.session.remove()
        try:
            downgrade(revision="0011")
            columns = {c["name"] for c in inspect(db.engine).get_columns("case_history")}
            assert "hash" not in columns and "prev_hash" not in columns
        finally:
            upgrade()
        assert [(r.id, r.prev_hash, r.hash) for r in history_rows()] == written
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text("UPDATE case_history SET comment = 'x'"))
        db.session.rollback()
    assert audit_verify(app).exit_code == 0


def at_the_same_moment(app, case_id: int, username: str, *writers) -> None:
    """Run each ``writer(case, actor)`` in a thread of its own with its own session, all
    released together; none may fail."""
    barrier = threading.Barrier(len(writers))
    errors: list[BaseException] = []

    def run(writer) -> None:
        with app.app_context():
            try:
                case = db.session.get(Case, case_id)
                actor = user(username)
                barrier.wait(timeout=30)
                writer(case, actor)
            except BaseException as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(writer,)) for writer in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


def note(comment: str):
    def write(case, actor) -> None:
        with unit_of_work():
            record(case, "note", case.state, case.state, actor, utcnow(), comment=comment)
    return write


def test_simultaneous_writers_on_one_case_do_not_fork_the_chain(app):
    """Two rows appended to one case at the same moment, by writers that do not change the
    case itself (so its version lock does not order them): the chain stays one line."""
    with app.app_context():
        case_id = new_draft().id
    at_the_same_moment(app, case_id, "medarbetare", note("A"), note("B"))
    with app.app_context():
        rows = history_rows(case_id)
        assert [r.event for r in rows] == ["create", "note", "note"]
        assert rows[2].prev_hash == rows[1].hash != rows[1].prev_hash
    assert audit_verify(app).exit_code == 0


def test_a_transition_and_a_note_at_the_same_moment_do_not_fork_the_chain(app):
    """A transition writes its row by its own INSERT (platform/uow.py record_transition,
    audit.append) after the UPDATE of the case; a writer that does not change the case
    (the ORM's path) appends at the same moment: the chain stays one line either way."""
    with app.app_context():
        case_id = case_in("submitted").id
    at_the_same_moment(app, case_id, "chef",
                       lambda case, actor: cases.fire(case, "take_up", actor),
                       note("Samtidigt"))
    with app.app_context():
        rows = history_rows(case_id)
        assert sorted(r.event for r in rows[-2:]) == ["note", "take_up"]
        for before, after in pairwise(rows):
            assert after.prev_hash == before.hash
            assert after.hash == expected_hash(before.hash, after)
    assert audit_verify(app).exit_code == 0


# PostgreSQL only (CI always has it): SQLite has no row locks, a writer waits for the
# database's lock before its snapshot, so the race below cannot happen there.
@pytest.mark.parametrize("database_uri", [b for b in BACKENDS if b == "postgresql"],
                         indirect=True)
def test_a_row_appended_while_a_transition_waits_for_the_lock_comes_before_it(app):
    """PostgreSQL writes a transition as one statement, whose snapshot is taken before its
    UPDATE waits for the case's lock (audit.append). A note appended by a transaction that
    held the lock then is not in that snapshot: the statement must notice (the case's
    history_seq moved) and link the transition's row after the note, not fork the chain."""
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
        case_id = case_in("submitted").id
        holder = db.engine.connect()
        writes = holder.begin()
        with Session(bind=holder) as other:  # a note, its lock held until the commit below
            other.add(CaseEvent(case_id=case_id, event="note", from_state="submitted",
                                to_state="submitted", actor_id=user("chef").id,
                                comment="Först", at=utcnow(), data={}))
            other.flush()
        errors: list[BaseException] = []
        with statements_run(db.engine) as statements:
            def transition() -> None:
                with app.app_context():
                    try:
                        cases.fire(db.session.get(Case, case_id), "take_up",
                                   db.session.get(User, user("chef").id))
                    except BaseException as error:  # reported below
                        errors.append(error)
                    finally:
                        db.session.remove()

            thread = threading.Thread(target=transition)
            thread.start()
            with db.engine.connect() as watcher:  # until the transition waits for the lock
                waiting = text("SELECT count(*) FROM pg_stat_activity WHERE "
                               "wait_event_type = 'Lock' AND datname = current_database()")
                for _ in range(3000):
                    if watcher.execute(waiting).scalar() or not thread.is_alive():
                        break
                    threading.Event().wait(0.01)
            writes.commit()
            holder.close()
            thread.join(timeout=60)
        assert errors == []
        rows = history_rows(case_id)
        assert [r.event for r in rows[-2:]] == ["note", "take_up"]
        for before, after in pairwise(rows):
            assert after.prev_hash == before.hash
            assert after.hash == expected_hash(before.hash, after)
        # the statement found the note's count and appended by the two-step path
        assert any(s.startswith("SELECT case_history.hash") for s in statements)
        assert db.session.get(Case, case_id).state == "apt"
    assert audit_verify(app).exit_code == 0


def test_a_transition_leaves_the_case_as_written_and_its_row_in_the_loaded_history(ctx):
    """Within the unit of work (before its commit expires everything), the case reads as
    written and has nothing left for a flush; its loaded history has the new row."""
    case = case_in("submitted")
    version = case.version
    assert [entry.event for entry in case.history][-1] == "submit"  # loaded before firing
    with unit_of_work():
        cases.fire(case, "take_up", user("chef"))
        assert (case.state, case.version) == ("apt", version + 1)
        assert not db.session.dirty and not db.session.new
        newest = case.history[-1]
        assert (newest.event, newest.case, newest.actor) == ("take_up", case, user("chef"))
        stored = history_rows(case.id)
        assert (stored[-1].id, stored[-1].hash, stored[-1].prev_hash) == (
            newest.id, newest.hash, stored[-2].hash)
    db.session.expire_all()
    assert (db.session.get(Case, case.id).state, db.session.get(Case, case.id).version) == (
        "apt", version + 1)


def test_a_transition_of_a_case_changed_meanwhile_writes_nothing(ctx):
    case = case_in("submitted")
    rows_before = len(history_rows(case.id))
    with db.engine.begin() as connection:  # another request got there first
        connection.execute(text("UPDATE cases SET version = version + 1 WHERE id = :id"),
                           {"id": case.id})
    with pytest.raises(Conflict):
        cases.fire(case, "take_up", user("chef"))
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "submitted"
    assert len(history_rows(case.id)) == rows_before


def test_a_transition_row_hashed_by_the_database_matches_the_chain_as_specified(ctx):
    """On PostgreSQL the transition's INSERT hashes its row with the database's sha256
    (audit.append); the digest must be the specified one for any text: Swedish letters,
    an emoji, quotes, a backslash and a line break."""
    case = case_in("apt")
    comment = 'Åtgärd för "Överförmyndaren" \\ nästa steg 🚀\nrad två'
    cases.fire(case, "forward", user("chef"), {"note": comment})
    rows = history_rows(case.id)
    assert rows[-1].event == "forward" and rows[-1].comment == comment
    assert rows[-1].prev_hash == rows[-2].hash
    assert rows[-1].hash == expected_hash(rows[-2].hash, rows[-1])
    assert case.history[-1].hash == rows[-1].hash  # the object carries what was stored

"""audit hash chain

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 17:05:00

Adds prev_hash and hash to case_history and computes them for the rows already there, case by
case in id order (see workflow/platform/audit.py). The append-only triggers refuse the UPDATEs the
backfill needs, so they are dropped for its duration and created again at the end; on SQLite
making the columns NOT NULL rebuilds the table, which drops its triggers anyway.
"""
from alembic import op
import sqlalchemy as sa

from workflow.platform.audit import GENESIS, row_hash
from workflow.models import UTCDateTime


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# As created in 0001_initial_schema.
APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER case_history_no_update BEFORE UPDATE ON case_history "
    "BEGIN SELECT RAISE(ABORT, 'case_history is append-only'); END",
    "CREATE TRIGGER case_history_no_delete BEFORE DELETE ON case_history "
    "BEGIN SELECT RAISE(ABORT, 'case_history is append-only'); END",
]
DROP_SQLITE = [
    "DROP TRIGGER IF EXISTS case_history_no_update",
    "DROP TRIGGER IF EXISTS case_history_no_delete",
]
# The trigger function case_history_append_only() stays; only the trigger is dropped.
APPEND_ONLY_POSTGRESQL = [
    "CREATE TRIGGER case_history_append_only BEFORE UPDATE OR DELETE ON case_history "
    "FOR EACH ROW EXECUTE FUNCTION case_history_append_only()",
]
DROP_POSTGRESQL = ["DROP TRIGGER IF EXISTS case_history_append_only ON case_history"]

history = sa.table(
    'case_history',
    sa.column('id', sa.Integer()), sa.column('case_id', sa.Integer()),
    sa.column('event', sa.String()), sa.column('from_state', sa.String()),
    sa.column('to_state', sa.String()), sa.column('actor_id', sa.Integer()),
    sa.column('at', UTCDateTime()), sa.column('comment', sa.Text()),
    sa.column('data', sa.JSON()), sa.column('prev_hash', sa.String()),
    sa.column('hash', sa.String()),
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _drop_triggers() -> None:
    for statement in DROP_POSTGRESQL if _postgresql() else DROP_SQLITE:
        op.execute(statement)


def _create_triggers() -> None:
    for statement in APPEND_ONLY_POSTGRESQL if _postgresql() else APPEND_ONLY_SQLITE:
        op.execute(statement)


def _backfill() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(history.c.id, history.c.case_id, history.c.event, history.c.from_state,
                  history.c.to_state, history.c.actor_id, history.c.at, history.c.comment,
                  history.c.data)
        .order_by(history.c.case_id, history.c.id)).all()
    case_id, prev_hash = None, GENESIS
    for row in rows:
        if row.case_id != case_id:
            case_id, prev_hash = row.case_id, GENESIS
        digest = row_hash(prev_hash, row)
        connection.execute(history.update().where(history.c.id == row.id)
                           .values(prev_hash=prev_hash, hash=digest))
        prev_hash = digest


def upgrade():
    _drop_triggers()
    with op.batch_alter_table('case_history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    _backfill()
    # No server default: a row inserted without its hash (bypassing workflow/platform/audit.py) fails.
    with op.batch_alter_table('case_history', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
    _create_triggers()


def downgrade():
    _drop_triggers()
    with op.batch_alter_table('case_history', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
    _create_triggers()

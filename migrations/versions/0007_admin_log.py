"""admin log

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 17:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Like the case history, the admin log is append-only in the database itself.
APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER admin_log_no_update BEFORE UPDATE ON admin_log "
    "BEGIN SELECT RAISE(ABORT, 'admin_log is append-only'); END",
    "CREATE TRIGGER admin_log_no_delete BEFORE DELETE ON admin_log "
    "BEGIN SELECT RAISE(ABORT, 'admin_log is append-only'); END",
]
APPEND_ONLY_POSTGRESQL = [
    "CREATE FUNCTION admin_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'admin_log is append-only'; END $$",
    "CREATE TRIGGER admin_log_append_only BEFORE UPDATE OR DELETE ON admin_log "
    "FOR EACH ROW EXECUTE FUNCTION admin_log_append_only()",
]


def upgrade():
    op.create_table(
        'admin_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('region_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_name', sa.String(length=200), nullable=False),
        sa.Column('action', sa.String(length=60), nullable=False),
        sa.Column('target_type', sa.String(length=40), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=True),
        sa.Column('target_label', sa.String(length=300), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_admin_log_actor_id_users')),
        sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_admin_log_region_id_regions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_log')),
    )
    with op.batch_alter_table('admin_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_log_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_log_action'), ['action'], unique=False)
    statements = (APPEND_ONLY_POSTGRESQL if op.get_bind().dialect.name == "postgresql"
                  else APPEND_ONLY_SQLITE)
    for statement in statements:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS admin_log_append_only ON admin_log")
        op.execute("DROP FUNCTION IF EXISTS admin_log_append_only()")
    op.drop_table('admin_log')

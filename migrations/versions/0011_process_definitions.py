"""process definitions in the database

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 17:05:00

Versions loaded by an administrator (/admin/processes, the API or `flask load-process`) are
stored as their YAML text and merged with the files in config/processes/. Running cases
depend on their version, so the database refuses to change or delete a row, like the case
history and the admin log.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

UNIQUE = 'uq_process_definitions_name_version'

UNCHANGEABLE_SQLITE = [
    "CREATE TRIGGER process_definitions_no_update BEFORE UPDATE ON process_definitions "
    "BEGIN SELECT RAISE(ABORT, 'process_definitions rows are never changed'); END",
    "CREATE TRIGGER process_definitions_no_delete BEFORE DELETE ON process_definitions "
    "BEGIN SELECT RAISE(ABORT, 'process_definitions rows are never changed'); END",
]
UNCHANGEABLE_POSTGRESQL = [
    "CREATE FUNCTION process_definitions_unchangeable() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'process_definitions rows are never changed'; END $$",
    "CREATE TRIGGER process_definitions_unchangeable BEFORE UPDATE OR DELETE "
    "ON process_definitions FOR EACH ROW EXECUTE FUNCTION process_definitions_unchangeable()",
]


def upgrade():
    op.create_table(
        'process_definitions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('loaded_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['loaded_by_id'], ['users.id'],
                                name=op.f('fk_process_definitions_loaded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_process_definitions')),
        sa.UniqueConstraint('name', 'version', name=op.f(UNIQUE)),
    )
    statements = (UNCHANGEABLE_POSTGRESQL if op.get_bind().dialect.name == "postgresql"
                  else UNCHANGEABLE_SQLITE)
    for statement in statements:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS process_definitions_unchangeable "
                   "ON process_definitions")
        op.execute("DROP FUNCTION IF EXISTS process_definitions_unchangeable()")
    op.drop_table('process_definitions')

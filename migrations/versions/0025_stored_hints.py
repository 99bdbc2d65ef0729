"""the case page's duplicate hints are stored: case_hints and case_hint_runs

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 03:00:00

Issue 14 (scale): asking the text index for a case page's hints took 17 of its 28 ms at
10 000 cases. A case's hints are now worked out when it is written (created, its title or
need changed) and stored; the case page reads them in one query (workflow/similar/service.py,
docs/similar-ideas.md).

* ``case_hints``: one row per pair, the case and a case like it, with the score. A case's
  page shows its own rows and the rows of the cases that found it (a new idea like an old
  one shows on the old one's page at once).
* ``case_hint_runs``: the cases whose hints have been worked out (nothing else: no time,
  so an anonymous case gets no timestamp here, docs/threat-model.md). A case without a row
  has its hints worked out at its page's first view.
* A trigger forgets a case's hints when its title or need changes, however it was written
  (the ORM, plain SQL, a restore): its rows, in both directions, and its run. Deleting a case
  deletes its rows (ON DELETE CASCADE).
"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

FORGET = ("DELETE FROM case_hints WHERE case_id = {row}.id OR similar_id = {row}.id; "
          "DELETE FROM case_hint_runs WHERE case_id = {row}.id;")
SQLITE_TRIGGER = f"""
    CREATE TRIGGER cases_hints_forget AFTER UPDATE OF title, need ON cases
    WHEN old.title IS NOT new.title OR old.need IS NOT new.need
    BEGIN {FORGET.format(row='new')} END"""
PG_FUNCTION = f"""
    CREATE FUNCTION cases_hints_forget() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {FORGET.format(row='NEW')} RETURN NULL; END $$"""
PG_TRIGGER = """
    CREATE TRIGGER cases_hints_forget AFTER UPDATE OF title, need ON cases FOR EACH ROW
    WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.need IS DISTINCT FROM NEW.need)
    EXECUTE FUNCTION cases_hints_forget()"""


def upgrade():
    op.create_table(
        'case_hints',
        sa.Column('case_id', sa.Integer(),
                  sa.ForeignKey('cases.id', ondelete='CASCADE'), nullable=False),
        sa.Column('similar_id', sa.Integer(),
                  sa.ForeignKey('cases.id', ondelete='CASCADE'), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('case_id', 'similar_id'),
    )
    op.create_index('ix_case_hints_similar_id', 'case_hints', ['similar_id'])
    op.create_table(
        'case_hint_runs',
        sa.Column('case_id', sa.Integer(),
                  sa.ForeignKey('cases.id', ondelete='CASCADE'), nullable=False),
        sa.PrimaryKeyConstraint('case_id'),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    elif dialect == "sqlite":
        op.execute(SQLITE_TRIGGER)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS cases_hints_forget ON cases")
        op.execute("DROP FUNCTION IF EXISTS cases_hints_forget()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS cases_hints_forget")
    op.drop_table('case_hint_runs')
    op.drop_index('ix_case_hints_similar_id', table_name='case_hints')
    op.drop_table('case_hints')

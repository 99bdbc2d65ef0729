"""a person's own cases: the author index also holds the state and the list order

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 08:00:00

Issue 14 (scale): a list read in parts (cases/access.py ``ordered_parts``) has one part for
the person's own cases, in one state when the list is filtered by state. With an index on
``author_id`` alone, SQLite read that part through ``(state, updated_at, id)`` instead, every
case in the state newest first, looking each up for its author (the council's list at 10 000
cases: 834 cases read for none found). ``(author_id, state, updated_at, id)`` reads just the
person's cases in the state, in list order; ``author_id`` alone is its prefix and goes.
"""
from alembic import op


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_cases_author_state_updated', 'cases',
                    ['author_id', 'state', 'updated_at', 'id'])
    op.drop_index('ix_cases_author_id', table_name='cases')


def downgrade():
    op.create_index('ix_cases_author_id', 'cases', ['author_id'])
    op.drop_index('ix_cases_author_state_updated', table_name='cases')

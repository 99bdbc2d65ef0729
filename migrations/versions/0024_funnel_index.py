"""an index on cases (state, department_id) for counting per state within the förvaltningar

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 02:00:00

Issue 14 (scale): the portfolio's funnel counts the cases a reader may see per state. It now
counts each term of the visibility rule apart (cases/access.py ``disjoint_terms``); the
term "these states in these förvaltningar" is read from this index alone, without looking up
a row. Without it SQLite read that term through ``(state, updated_at, id)`` and looked up
every row for its förvaltning (14 ms at 10 000 cases); with it the funnel takes 1.1 ms
against 0.8 ms for the bare count, where the OR took 3 ms.
"""
from alembic import op


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_cases_state_department', 'cases', ['state', 'department_id'])


def downgrade():
    op.drop_index('ix_cases_state_department', table_name='cases')

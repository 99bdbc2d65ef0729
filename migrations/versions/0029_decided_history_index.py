"""the history rows into the decided state have an index of their own

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 21:00:00

Issue 14 (scale): the portfolio's benefits line and the follow-up read each case's decision
moment, the newest history row into ``approved`` (follow_up/service.py ``decision_moment``).
Through ``(case_id, id)`` that read every history row of the case (8 on average, 15 for a
case in follow-up) to find the one: 15 of the line's 26 ms on PostgreSQL at 10 000 cases.
A partial index holds only the rows into ``approved`` (about one per decided case), so each
case's moment is one index entry, and a transition into any other state does not touch it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

DECIDED = sa.text("to_state = 'approved'")


def upgrade():
    op.create_index('ix_case_history_decided', 'case_history', ['case_id', 'at'],
                    postgresql_where=DECIDED, sqlite_where=DECIDED)


def downgrade():
    op.drop_index('ix_case_history_decided', table_name='case_history')

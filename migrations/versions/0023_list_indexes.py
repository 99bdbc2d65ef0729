"""indexes for the case lists, merged cases and a case's newest history row; the hint fingerprint's index goes

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-16 09:00:00

Issue 14 (scale):

* ``ix_cases_state_updated`` on ``cases (state, updated_at, id)``: a case list filtered by
  state is shown newest first, 25–50 rows a page; with this index the database reads the
  page's rows in order and stops, instead of sorting every case in the state.
* ``ix_cases_merged_into_id``: the case page lists the ideas merged into the case; without
  an index that was a scan of every case (2 ms at 10 000 cases on SQLite).
* ``ix_case_history_case_id_id`` on ``case_history (case_id, id)`` replaces the index on
  ``case_id`` alone: firing an event reads the case's newest row to link the new one to
  (the history hash chain, platform/audit.py); PostgreSQL could only find it by walking the
  primary key backwards from the newest row of all cases (8.6 ms at 10 000 cases, against
  0.06 ms now). The case page reads the history in this order too.
* ``ix_cases_unit_state_version`` (migration 0013) served the per-worker duplicate-hint
  index's freshness check, which migration 0021 replaced by the database's text search;
  nothing reads it any more, and every write to a case paid for it.
"""
from alembic import op


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_cases_state_updated', 'cases', ['state', 'updated_at', 'id'])
    op.create_index('ix_cases_merged_into_id', 'cases', ['merged_into_id'])
    op.drop_index('ix_cases_unit_state_version', table_name='cases')
    op.create_index('ix_case_history_case_id_id', 'case_history', ['case_id', 'id'])
    op.drop_index('ix_case_history_case_id', table_name='case_history')


def downgrade():
    op.create_index('ix_case_history_case_id', 'case_history', ['case_id'])
    op.drop_index('ix_case_history_case_id_id', table_name='case_history')
    op.create_index('ix_cases_unit_state_version', 'cases',
                    ['unit_id', 'state', 'version', 'id'])
    op.drop_index('ix_cases_merged_into_id', table_name='cases')
    op.drop_index('ix_cases_state_updated', table_name='cases')

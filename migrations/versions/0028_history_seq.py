"""a case counts the history rows appended to it without a change of its own

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 17:20:00

Issue 14 (scale): on PostgreSQL a transition writes the case's UPDATE, its history row and
its notifications in one statement (workflow/platform/audit.py ``append``). One statement
has one snapshot, taken before the UPDATE waits for the case's lock, so a row another
transaction appended meanwhile would not be seen as the chain's newest. Rows appended without
changing the case (a note, a dossier section saved) lock the case by counting up
``history_seq`` instead of by SELECT … FOR UPDATE, so the statement can tell: the count it
updated differs from the one its snapshot saw, and it appends by the two-step path instead.
The count is compared, never shown; existing cases start at 0.
"""
from alembic import op
import sqlalchemy as sa


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases') as batch_op:
        batch_op.add_column(sa.Column('history_seq', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade():
    with op.batch_alter_table('cases') as batch_op:
        batch_op.drop_column('history_seq')

"""session generation and growing login locks

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 10:00:00

``users.session_generation``: stored in the session cookie at login and compared on every
request; logging out (or a new password) raises it, so every copy of an older cookie stops
working. ``login_throttles.locks``: how often a key has been locked lately, so that each
further lock lasts twice as long (workflow/people/login_guard.py).
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locks', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.drop_column('locks')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')

"""the language a person chose, stored on their user

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-15 10:00:00

``users.language``: the interface language the person last picked in the header ("sv", "en"),
or empty if they never picked one. It follows them to a new session at login, and their
emails (notifications and the weekly digest) are written in it (issue 15).
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')

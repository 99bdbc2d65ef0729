"""notifications keep a message key and parameters

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-10 10:00:00

A notification's subject is stored as its Swedish msgid (``subject_key``) with JSON
parameters (``subject_params``), its body as a JSON list of lines (``body_parts``), so that
each reader sees it in their own language (workflow/notifications/messages.py, issue 13
item 6). The columns are nullable: rows written before keep only their Swedish ``subject``
and ``body``, which are shown as they are.
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_key', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('subject_params', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('body_parts', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('body_parts')
        batch_op.drop_column('subject_params')
        batch_op.drop_column('subject_key')

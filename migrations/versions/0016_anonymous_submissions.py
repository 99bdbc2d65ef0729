"""anonymous submissions held until the nightly batch

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 20:00:00

``anonymous_submissions``: an anonymous idea is held here, without a case row, until the
scheduler turns each day's batch into cases at one fixed time in random order
(workflow/ops/jobs.py ``register_anonymous_ideas``). It holds the idea's fields, the unit
the sender chose, the calendar day and the status link's digest: nothing about the sender and
no time finer than the day (docs/threat-model.md).
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'anonymous_submissions',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('submitted_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_anonymous_submissions_unit_id_units')),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_anonymous_submissions')),
    )
    with op.batch_alter_table('anonymous_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_anonymous_submissions_submitted_on'),
                              ['submitted_on'], unique=False)


def downgrade():
    with op.batch_alter_table('anonymous_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_anonymous_submissions_submitted_on'))
    op.drop_table('anonymous_submissions')

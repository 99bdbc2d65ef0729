"""index for the duplicate-hint freshness check

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 18:00:00

"""
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_unit_state_version',
                              ['unit_id', 'state', 'version', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_unit_state_version')

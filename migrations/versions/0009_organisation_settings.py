"""organisation settings per förvaltning

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 17:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

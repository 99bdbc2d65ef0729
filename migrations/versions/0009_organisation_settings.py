"""organisation settings per förvaltning

Forum names, per-förvaltning overrides of the configuration files' defaults (capacity,
nyttokalkyl hourly cost and discount rate, target direction balance) and closing of
förvaltningar and units.

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

CHECKS = {
    'yearly_budget_not_negative': 'yearly_budget_sek IS NULL OR yearly_budget_sek >= 0',
    'yearly_hours_not_negative': 'yearly_hours IS NULL OR yearly_hours >= 0',
    'hourly_cost_not_negative': 'hourly_cost_sek IS NULL OR hourly_cost_sek >= 0',
    'discount_rate_range': 'discount_rate_bp IS NULL OR discount_rate_bp BETWEEN 0 AND 2000',
}


def upgrade():
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('council_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('management_group_name', sa.String(length=200),
                                      nullable=True))
        batch_op.add_column(sa.Column('yearly_budget_sek', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('yearly_hours', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('hourly_cost_sek', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('discount_rate_bp', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('target_balance', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        for name, condition in CHECKS.items():
            batch_op.create_check_constraint(op.f(f'ck_departments_{name}'), condition)
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
    with op.batch_alter_table('departments', schema=None) as batch_op:
        for name in CHECKS:
            batch_op.drop_constraint(op.f(f'ck_departments_{name}'), type_='check')
        for column in ('closed_at', 'target_balance', 'discount_rate_bp', 'hourly_cost_sek',
                       'yearly_hours', 'yearly_budget_sek', 'management_group_name',
                       'council_name'):
            batch_op.drop_column(column)

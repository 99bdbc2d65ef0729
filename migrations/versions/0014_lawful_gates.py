"""lawful gates: delegation order, prisbasbelopp, diarienummer

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 18:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'delegation_orders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('adopted_by', sa.String(length=300), nullable=False),
        sa.Column('points', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                                name=op.f('fk_delegation_orders_department_id_departments')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_delegation_orders_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_delegation_orders')),
        sa.UniqueConstraint('department_id', 'version',
                            name=op.f('uq_delegation_orders_department_id')),
    )
    op.create_index(op.f('ix_delegation_orders_department_id'), 'delegation_orders',
                    ['department_id'], unique=False)
    op.create_table(
        'price_base_amounts',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('amount_sek', sa.BigInteger(), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_price_base_amounts_created_by_id_users')),
        sa.PrimaryKeyConstraint('year', name=op.f('pk_price_base_amounts')),
    )
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('diarienummer_pattern', sa.String(length=200),
                                      nullable=True))
        batch_op.add_column(sa.Column('diarienummer_example', sa.String(length=60),
                                      nullable=True))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('diarienummer', sa.String(length=60), nullable=True))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('diarienummer')
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_column('diarienummer_example')
        batch_op.drop_column('diarienummer_pattern')
    op.drop_table('price_base_amounts')
    op.drop_index(op.f('ix_delegation_orders_department_id'), table_name='delegation_orders')
    op.drop_table('delegation_orders')

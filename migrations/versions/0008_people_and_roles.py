"""people and roles (dated role assignments, deactivation)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 17:05:00

A role assignment may be dated (valid_from/valid_to, inclusive, either open): a stand-in is a
dated assignment. The same role in the same scope may then be held in two periods, so the
unique constraint includes the dates.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

UNIQUE = 'uq_role_assignments_user_id'
DATES_IN_ORDER = 'ck_role_assignments_dates_in_order'


def upgrade():
    with op.batch_alter_table('role_assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('valid_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('valid_to', sa.Date(), nullable=True))
        batch_op.drop_constraint(op.f(UNIQUE), type_='unique')
        batch_op.create_unique_constraint(
            op.f(UNIQUE),
            ['user_id', 'role', 'department_id', 'unit_id', 'valid_from', 'valid_to'])
        batch_op.create_check_constraint(
            op.f(DATES_IN_ORDER),
            'valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to')


def downgrade():
    # Before 0008 a role was held once per scope and had no dates: keep what is valid today,
    # one row per user, role and scope.
    op.execute("DELETE FROM role_assignments"
               " WHERE (valid_to IS NOT NULL AND valid_to < CURRENT_DATE)"
               " OR (valid_from IS NOT NULL AND valid_from > CURRENT_DATE)")
    op.execute("DELETE FROM role_assignments WHERE id NOT IN"
               " (SELECT MIN(id) FROM role_assignments"
               " GROUP BY user_id, role, department_id, unit_id)")
    with op.batch_alter_table('role_assignments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(DATES_IN_ORDER), type_='check')
        batch_op.drop_constraint(op.f(UNIQUE), type_='unique')
        batch_op.create_unique_constraint(op.f(UNIQUE),
                                          ['user_id', 'role', 'department_id', 'unit_id'])
        batch_op.drop_column('valid_to')
        batch_op.drop_column('valid_from')

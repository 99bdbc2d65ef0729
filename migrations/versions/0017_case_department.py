"""a case belongs to a förvaltning; its unit is optional

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 21:00:00

An anonymous idea records only the förvaltning unless the sender actively chooses a unit: in
a small unit the unit alone can name the sender (docs/threat-model.md). ``cases`` gets
``department_id`` (filled from each case's unit) and ``unit_id`` becomes optional; the held
``anonymous_submissions`` likewise.
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def _add_department(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
    op.execute(f"UPDATE {table} SET department_id = (SELECT units.department_id FROM units "
               f"WHERE units.id = {table}.unit_id)")
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column('department_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('unit_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(batch_op.f(f'fk_{table}_department_id_departments'),
                                    'departments', ['department_id'], ['id'])


def upgrade():
    _add_department('cases')
    _add_department('anonymous_submissions')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_department_state', ['department_id', 'state'],
                              unique=False)


def downgrade():
    # A case without a unit has no place in the old schema: refuse rather than invent one.
    orphans = op.get_bind().execute(
        sa.text("SELECT count(*) FROM cases WHERE unit_id IS NULL")).scalar()
    if orphans:
        raise RuntimeError(f"{orphans} cases name no unit; give them one before downgrading.")
    op.execute("DELETE FROM anonymous_submissions WHERE unit_id IS NULL")
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_department_state')
    for table in ('cases', 'anonymous_submissions'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_department_id_departments'),
                                     type_='foreignkey')
            batch_op.alter_column('unit_id', existing_type=sa.Integer(), nullable=False)
            batch_op.drop_column('department_id')

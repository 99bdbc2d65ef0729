"""consent-based merge: proposals to merge a case into another

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 10:00:00

``merge_proposals``: firing ``merge`` into a case the actor does not own stores a proposal
instead of merging; one of the target's owners accepts (the merge then fires) or declines it,
and the proposer may withdraw it (docs/process.md, issue 12 item 6). A partial unique index
allows at most one pending proposal per case (SQLite and PostgreSQL both support it);
``version`` lets a concurrent accept and decline end in one winner.
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'merge_proposals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('proposed_by_id', sa.Integer(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'accepted', 'declined', 'withdrawn')",
                           name=op.f('ck_merge_proposals_status_known')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_merge_proposals_case_id_cases')),
        sa.ForeignKeyConstraint(['target_id'], ['cases.id'],
                                name=op.f('fk_merge_proposals_target_id_cases')),
        sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'],
                                name=op.f('fk_merge_proposals_proposed_by_id_users')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_merge_proposals_decided_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_merge_proposals')),
    )
    with op.batch_alter_table('merge_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_merge_proposals_case_id'), ['case_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_merge_proposals_target_id'), ['target_id'],
                              unique=False)
        batch_op.create_index('uq_merge_proposals_pending_case', ['case_id'], unique=True,
                              sqlite_where=sa.text("status = 'pending'"),
                              postgresql_where=sa.text("status = 'pending'"))


def downgrade():
    with op.batch_alter_table('merge_proposals', schema=None) as batch_op:
        batch_op.drop_index('uq_merge_proposals_pending_case')
        batch_op.drop_index(batch_op.f('ix_merge_proposals_target_id'))
        batch_op.drop_index(batch_op.f('ix_merge_proposals_case_id'))
    op.drop_table('merge_proposals')

"""milestones and indexes for the supervisor's figures (console/metrics)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 20:00:00

New nullable columns (or with a default) on case and reply_copy: plain ADD COLUMN, no table
copy. The milestones are filled from the case history where it says them: who gave the first
reply, the last resolution, how often a case was reopened, when the current escalation and the
satisfaction were recorded. What the history never recorded (the wizard's outcome kind, the
forbidden phrases copied anyway) starts empty.
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import console.models


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    string = sqlmodel.sql.sqltypes.AutoString
    op.add_column('case', sa.Column('first_replied_by', string(length=64), nullable=True))
    op.add_column('case', sa.Column('resolved_at', console.models.UTCDateTime(), nullable=True))
    op.add_column('case', sa.Column('resolved_by', string(length=64), nullable=True))
    op.add_column('case', sa.Column('reopen_count', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('case', sa.Column('outcome_kind', string(length=24), nullable=True))
    op.add_column('case', sa.Column('escalated_at', console.models.UTCDateTime(), nullable=True))
    op.add_column('case', sa.Column('rated_at', console.models.UTCDateTime(), nullable=True))
    op.add_column('reply_copy', sa.Column('forbidden_overridden', sa.Integer(), nullable=False,
                                          server_default='0'))

    # Backfill from the history (one correlated UPDATE each; both backends).
    def last(action: str, what: str, extra: str = "") -> str:
        return (f"(SELECT {what} FROM case_event e WHERE e.case_id = \"case\".id AND e.action = '{action}'"
                f"{extra} ORDER BY e.id DESC LIMIT 1)")

    op.execute(f'UPDATE "case" SET first_replied_by = {last("first_reply", "e.agent")} '
               "WHERE first_replied_at IS NOT NULL")
    resolved = " AND e.after = '已解决'"
    op.execute(f'UPDATE "case" SET resolved_at = {last("status", "e.at", resolved)}, '
               f'resolved_by = {last("status", "e.agent", resolved)}')
    op.execute('UPDATE "case" SET reopen_count = (SELECT count(*) FROM case_event e '
               "WHERE e.case_id = \"case\".id AND e.action = 'reopened')")
    op.execute(f'UPDATE "case" SET escalated_at = {last("escalated", "e.at")} WHERE escalated_to IS NOT NULL')
    op.execute(f'UPDATE "case" SET rated_at = {last("satisfaction", "e.at")} WHERE satisfaction IS NOT NULL')

    # Covering indexes: a month of figures is read from them alone (console/models.py says why).
    op.create_index('ix_case_first_message', 'case', [
        'first_message_at', 'initiated_by', 'channel', 'kind', 'first_replied_at', 'first_replied_by', 'assignee',
        'outcome_kind', 'complaint_status', 'platform_intervened'], unique=False)
    op.create_index('ix_case_resolved', 'case', ['resolved_at', 'status', 'kind', 'resolved_by', 'first_replied_at',
                                                 'reopen_count'], unique=False)
    op.create_index('ix_case_escalated', 'case', ['escalated_at'], unique=False)
    op.create_index('ix_case_rated', 'case', ['rated_at', 'satisfaction', 'assignee', 'kind'], unique=False)
    op.create_index('ix_deadline_started', 'deadline', ['clock', 'started_at', 'kind', 'state', 'due_at', 'ended_at',
                                                        'remaining_s', 'case_id'], unique=False)
    op.create_index('ix_deadline_due', 'deadline', ['clock', 'due_at', 'state', 'ended_at', 'kind', 'case_id'],
                    unique=False)
    op.create_index('ix_reply_copy_figures', 'reply_copy', ['at', 'agent', 'edited', 'forbidden_overridden',
                                                            'reply_ids', 'case_id'], unique=False)
    op.create_index(op.f('ix_handover_created_at'), 'handover', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_handover_created_at'), table_name='handover')
    op.drop_index('ix_reply_copy_figures', table_name='reply_copy')
    op.drop_index('ix_deadline_due', table_name='deadline')
    op.drop_index('ix_deadline_started', table_name='deadline')
    for name in ('ix_case_rated', 'ix_case_escalated', 'ix_case_resolved', 'ix_case_first_message'):
        op.drop_index(name, table_name='case')
    # Plain DROP COLUMN (SQLite 3.35+ has it): a batch table copy of "case" would trip the
    # foreign keys of the tables that point at it.
    op.drop_column('reply_copy', 'forbidden_overridden')
    for name in ('rated_at', 'escalated_at', 'outcome_kind', 'reopen_count', 'resolved_by', 'resolved_at',
                 'first_replied_by'):
        op.drop_column('case', name)

"""what Qianniu's exports say on a case: refund number, return parcel, order state, items, province

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 20:00:00

Plain ADD COLUMNs (no table copy) and one index: runs in place on a million-case file. The
unique index on refund_no is what keeps an import from making two cases of one refund, even
when two consoles import at once (NULLs, the cases typed by hand, never collide).
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_TEXT = (('return_tracking_no', 40), ('return_carrier', 40), ('order_status', 40), ('items', 500),
         ('province', 20))


def upgrade() -> None:
    op.add_column('case', sa.Column('refund_no', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    op.add_column('case', sa.Column('refund_amount', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    for name, length in _TEXT:
        op.add_column('case', sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False,
                                        server_default=''))
    op.create_index('ux_case_refund_no', 'case', ['refund_no'], unique=True)


def downgrade() -> None:
    op.drop_index('ux_case_refund_no', table_name='case')
    # Plain DROP COLUMN (SQLite 3.35+ has it): a batch table copy of "case" would trip the
    # foreign keys of the tables that point at it.
    for name, _ in reversed(_TEXT):
        op.drop_column('case', name)
    op.drop_column('case', 'refund_amount')
    op.drop_column('case', 'refund_no')

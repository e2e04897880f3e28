"""who started a case, product and amounts on the case, where each clock and task came from

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:40:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import console.models


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table copy): runs in place on a million-case SQLite file.
    op.add_column('case', sa.Column('initiated_by', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False,
                                    server_default='buyer'))
    op.add_column('case', sa.Column('product', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                                    server_default=''))
    op.add_column('case', sa.Column('order_amount', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    op.add_column('case', sa.Column('item_value', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    op.add_column('case', sa.Column('agreed_amount', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    op.add_column('deadline', sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False,
                                        server_default=''))
    op.add_column('case_task', sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False,
                                         server_default=''))
    op.add_column('case_task', sa.Column('dropped_at', console.models.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case_task', schema=None) as batch_op:
        batch_op.drop_column('dropped_at')
        batch_op.drop_column('origin')
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_column('origin')
    with op.batch_alter_table('case', schema=None) as batch_op:
        for name in ('agreed_amount', 'item_value', 'order_amount', 'product', 'initiated_by'):
            batch_op.drop_column(name)

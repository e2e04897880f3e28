"""the buyer's name (称呼) on a case, apart from the buyer ID

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN of a nullable column (no table copy): runs in place on a large file.
    op.add_column('case', sa.Column('buyer_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_column('buyer_name')

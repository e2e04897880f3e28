"""reply drafts in the database, not in the program's reply files

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 17:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import console.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table only: nothing existing is copied or rewritten.
    op.create_table('reply_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reply_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('tags', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', console.models.UTCDateTime(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('approved_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('approved_at', console.models.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reply_id')
    )


def downgrade() -> None:
    op.drop_table('reply_draft')

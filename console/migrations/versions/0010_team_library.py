"""the team's library (团队库) in the database: SOP trees, replies, forbidden phrases, deadline rules

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 12:00:00

A new table only, append-only: each row is one version of one file. A database without rows
in it behaves as before (each console reads its shop folder).
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import console.models


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('library_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('removed', sa.Boolean(), nullable=False),
    sa.Column('agent', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', console.models.UTCDateTime(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'name', 'version', name='uq_library_file_version')
    )


def downgrade() -> None:
    op.drop_table('library_file')

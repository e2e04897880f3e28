"""presence: which consoles run, on which screen and case, typing or not; SQLite's change count

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 10:00:00

Two new tables, nothing existing touched. `presence` holds one row per running console,
written every few seconds and removed when the console closes. `change_count` is SQLite's
way to tell a heartbeat (or an autosaved draft) from a change other consoles must reload
for: every such write transaction counts it up (console/db.py). No row is written here, so
a freshly migrated PostgreSQL database stays empty for `db copy`.
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import console.models


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('presence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('console', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('agent', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('screen', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('typing', sa.Boolean(), nullable=False),
    sa.Column('seen_at', console.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('console')
    )
    op.create_table('change_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('change_count')
    op.drop_table('presence')

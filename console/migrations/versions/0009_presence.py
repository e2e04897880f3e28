"""TEMP placeholder for 0009 (presence), written elsewhere: only so that 0010 has its parent here

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 10:00:00
"""


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

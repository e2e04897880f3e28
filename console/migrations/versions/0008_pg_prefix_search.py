"""PostgreSQL: the buyer ID and order number indexes serve prefix search (LIKE 'abc%')

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 10:00:00

The queue's search finds buyer IDs and order numbers that start with what was typed. On
PostgreSQL it asks `LIKE 'prefix%'`, which is right under any collation the server was set
up with, but a plain index serves it only under the C collation; built with
varchar_pattern_ops it does under every one (equality lookups still use it). SQLite: nothing
changes (it searches by a range on the plain index).
"""

from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

PREFIX_INDEXES = {"ix_case_buyer": "buyer_id", "ix_case_order": "order_no"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, column in PREFIX_INDEXES.items():
        op.drop_index(name, table_name="case")
        op.create_index(name, "case", [column], postgresql_ops={column: "varchar_pattern_ops"})


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, column in PREFIX_INDEXES.items():
        op.drop_index(name, table_name="case")
        op.create_index(name, "case", [column])

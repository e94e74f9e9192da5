"""Who may see and change what: every refused read or write is kept (who, when, which organisation, what), and
access records (kind "access") are found by their kind.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "refusals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("who", sa.String(200), nullable=True),  # null: nobody signed in
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("period", sa.String(100), nullable=True),
        sa.Column("kind", sa.String(40), nullable=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("line", sa.String(100), nullable=True),
        sa.Column("message", sa.String(500), nullable=False),
    )
    op.create_index("ix_records_kind", "records", ["kind"])


def downgrade() -> None:
    op.drop_index("ix_records_kind", table_name="records")
    op.drop_table("refusals")

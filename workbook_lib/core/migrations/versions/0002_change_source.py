"""Record how each change arrived (form, import, cli) and index the current-version lookup.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # existing audit rows predate the column: they keep "unknown"
    with op.batch_alter_table("changes") as batch:
        batch.add_column(sa.Column("source", sa.String(20), nullable=False, server_default="unknown"))
    op.create_index("ix_records_lookup", "records", ["period_id", "kind", "key"])


def downgrade() -> None:
    op.drop_index("ix_records_lookup", table_name="records")
    with op.batch_alter_table("changes") as batch:
        batch.drop_column("source")

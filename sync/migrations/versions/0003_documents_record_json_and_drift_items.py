"""documents: decoded inbox record and drift items

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("inbox_message", sa.Column("record_json", sa.Text(), nullable=True))
    op.create_table(
        "drift_item",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("identificatie", sa.String(length=250), nullable=False),
        sa.Column("mylex_sha256", sa.String(length=64), nullable=True),
        sa.Column("mylex_size", sa.BigInteger(), nullable=True),
        sa.Column("archief_sha256", sa.String(length=64), nullable=True),
        sa.Column("archief_size", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("run_ref", sa.String(length=250), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_drift_item_open", "drift_item", ["state", "kind", "identificatie"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_drift_item_open", table_name="drift_item")
    op.drop_table("drift_item")
    op.drop_column("inbox_message", "record_json")

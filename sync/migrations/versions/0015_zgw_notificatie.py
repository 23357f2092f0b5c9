"""ZGW notificaties from the e-Suite: its "changed since" for documents (#18)

The e-Suite's documenten source walked every zaak on every run (ZDS has no "changed since").
The e-Suite publishes a notificatie when a zaak gets a document; Ketenbrug stores each one
here (before answering the sender) and the source reads those after its cursor, so a quiet
night asks the e-Suite nothing.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 09:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zgw_notificatie",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("source_system", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kanaal", sa.String(50), nullable=False),
        sa.Column("resource", sa.String(100), nullable=False),
        sa.Column("actie", sa.String(100), nullable=False),
        sa.Column("hoofd_object", sa.String(1000), nullable=False),
        sa.Column("resource_url", sa.String(1000), nullable=False),
        sa.Column("aanmaakdatum", sa.String(64), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("source_system", "content_hash", name="uq_zgw_notificatie_content"),
    )


def downgrade() -> None:
    op.drop_table("zgw_notificatie")

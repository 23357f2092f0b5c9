"""document_zaak: the zaak of a document, for updates that name the document only

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_zaak",
        sa.Column("source_system", sa.String(length=64), nullable=False),
        sa.Column("identificatie", sa.String(length=250), nullable=False),
        sa.Column("zaak_identificatie", sa.String(length=250), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source_system", "identificatie"),
    )


def downgrade() -> None:
    op.drop_table("document_zaak")

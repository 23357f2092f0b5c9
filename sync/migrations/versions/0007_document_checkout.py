"""document check-out: exclusive editing of a document through geefZaakdocumentbewerken

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 11:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_checkout",
        sa.Column("source_system", sa.String(length=64), primary_key=True),
        sa.Column("identificatie", sa.String(length=250), primary_key=True),
        sa.Column("checked_out_id", sa.String(length=64), nullable=False, unique=True),
        sa.Column("zender_organisatie", sa.String(length=64), nullable=True),
        sa.Column("zender_applicatie", sa.String(length=64), nullable=False),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("zaak_identificatie", sa.String(length=250), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("document_checkout")

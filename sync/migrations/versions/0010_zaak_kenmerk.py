"""zaak_kenmerk: a zaak's zaaktype and start date, for the archives

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zaak_kenmerk",
        sa.Column("zaak_identificatie", sa.String(length=250), primary_key=True),
        sa.Column("zaaktype", sa.String(length=120), nullable=True),
        sa.Column("startdatum", sa.Date(), nullable=True),
        sa.Column("einddatum", sa.Date(), nullable=True),
        sa.Column("bron", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("zaak_kenmerk")

"""bestand_controle: when each archived file's bytes were last read back

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bestand_controle",
        sa.Column("identificatie", sa.String(length=250), primary_key=True),
        sa.Column("locatie", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("gezien_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("gecontroleerd_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("uitkomst", sa.String(length=32), nullable=True),
    )
    op.create_index(
        "ix_bestand_controle_due", "bestand_controle", ["gecontroleerd_at", "identificatie"]
    )


def downgrade() -> None:
    op.drop_index("ix_bestand_controle_due", table_name="bestand_controle")
    op.drop_table("bestand_controle")

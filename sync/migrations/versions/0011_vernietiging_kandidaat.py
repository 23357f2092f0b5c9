"""vernietiging_kandidaat: the vernietigingslijst for beheer to approve

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vernietiging_kandidaat",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("identificatie", sa.String(length=250), nullable=False, unique=True),
        sa.Column("zaak_identificatie", sa.String(length=250), nullable=True),
        sa.Column("zaaktype", sa.String(length=120), nullable=True),
        sa.Column("selectielijst_categorie", sa.String(length=32), nullable=True),
        sa.Column("bewaartermijn", sa.String(length=32), nullable=True),
        sa.Column("einde_bewaartermijn", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("run_ref", sa.String(length=250), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beoordeeld_door", sa.String(length=128), nullable=True),
        sa.Column("beoordeeld_op", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_vernietiging_kandidaat_state", "vernietiging_kandidaat", ["state", "id"])


def downgrade() -> None:
    op.drop_index("ix_vernietiging_kandidaat_state", table_name="vernietiging_kandidaat")
    op.drop_table("vernietiging_kandidaat")

"""claims with an owner and an expiry; superseded counts; the last resend's outcome

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("work_batch") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=160), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("dead_letter") as batch:
        batch.add_column(sa.Column("claim_owner", sa.String(length=160), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resend_note", sa.Text(), nullable=True))
    op.add_column(
        "sync_run", sa.Column("superseded", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("sync_run", "superseded")
    with op.batch_alter_table("dead_letter") as batch:
        batch.drop_column("resend_note")
        batch.drop_column("claimed_until")
        batch.drop_column("claim_owner")
    with op.batch_alter_table("work_batch") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("owner")

"""doelbinding log: who looked at whom in SSD and Suwinet, and why; append-only

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 11:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

REFUSAL = "doelbinding_log is alleen aan te vullen (append-only)"


def upgrade() -> None:
    op.create_table(
        "doelbinding_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dienst", sa.String(length=120), nullable=False),
        sa.Column("doel", sa.String(length=120), nullable=False),
        sa.Column("grondslag", sa.String(length=250), nullable=False),
        sa.Column("bsn_ref", sa.String(length=64), nullable=False),
        sa.Column("zaak", sa.String(length=250), nullable=True),
        sa.Column("flow", sa.String(length=64), nullable=False),
        sa.Column("gebruiker", sa.String(length=128), nullable=False),
        sa.Column("run_ref", sa.String(length=250), nullable=True),
        sa.Column("uitkomst", sa.String(length=120), nullable=False),
    )
    op.create_index("ix_doelbinding_bsn_ref", "doelbinding_log", ["bsn_ref", "at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION doelbinding_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER doelbinding_log_append_only BEFORE UPDATE OR DELETE ON "
            "doelbinding_log FOR EACH ROW EXECUTE FUNCTION doelbinding_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER doelbinding_log_no_truncate BEFORE TRUNCATE ON doelbinding_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION doelbinding_log_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER doelbinding_log_no_{event.lower()} BEFORE {event} ON "
                f"doelbinding_log BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS doelbinding_log_no_truncate ON doelbinding_log")
        op.execute("DROP TRIGGER IF EXISTS doelbinding_log_append_only ON doelbinding_log")
        op.execute("DROP FUNCTION IF EXISTS doelbinding_log_append_only()")
    op.drop_index("ix_doelbinding_bsn_ref", table_name="doelbinding_log")
    op.drop_table("doelbinding_log")

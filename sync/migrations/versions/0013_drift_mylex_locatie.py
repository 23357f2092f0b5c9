"""drift_item.mylex_locatie: where a document only MyLex has lives, for the migration

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 19:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drift_item") as batch:
        batch.add_column(sa.Column("mylex_locatie", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("drift_item") as batch:
        batch.drop_column("mylex_locatie")

"""Indexes so the cost per record stays flat as the ledger and the inbox grow (#18)

Every query of a batch now finds its rows through an index instead of scanning what earlier
runs left behind:

- the ledger rows of a batch by source key (the unique key starts with flow and source system,
  and the engine asks by flow and source key only);
- the newest change per object by ordering key (the old index starts with the target system,
  which the engine does not filter on);
- a batch's messages by batch id (load, acknowledge, the busy zaken of open batches);
- the claim's oldest unclaimed messages of a source (state and batch before the partition,
  which the claim computes and no index can hold), ordered by id;
- the open work batches of a flow (release of stale claims), whatever their partition;
- the undelivered messages of one zaak (the questions' pending documents).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 22:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ledger_source_key", "ledger_entry", ["source_key"])
    op.drop_index("ix_ledger_ordering", table_name="ledger_entry")
    op.create_index("ix_ledger_ordering", "ledger_entry", ["ordering_key", "state"])
    op.create_index("ix_inbox_batch", "inbox_message", ["batch_id", "state"])
    op.drop_index("ix_inbox_pending", table_name="inbox_message")
    op.create_index(
        "ix_inbox_pending", "inbox_message", ["source_system", "state", "batch_id", "id"]
    )
    op.create_index("ix_inbox_zaak", "inbox_message", ["ordering_key", "state"])
    op.drop_index("ix_work_batch_open", table_name="work_batch")
    op.create_index("ix_work_batch_open", "work_batch", ["flow", "source_system", "state"])


def downgrade() -> None:
    op.drop_index("ix_work_batch_open", table_name="work_batch")
    op.create_index(
        "ix_work_batch_open", "work_batch", ["flow", "source_system", "partition", "state"]
    )
    op.drop_index("ix_inbox_zaak", table_name="inbox_message")
    op.drop_index("ix_inbox_pending", table_name="inbox_message")
    op.create_index(
        "ix_inbox_pending", "inbox_message", ["source_system", "partition", "batch_id", "state"]
    )
    op.drop_index("ix_inbox_batch", table_name="inbox_message")
    op.drop_index("ix_ledger_ordering", table_name="ledger_entry")
    op.create_index(
        "ix_ledger_ordering", "ledger_entry", ["target_system", "ordering_key", "state"]
    )
    op.drop_index("ix_ledger_source_key", table_name="ledger_entry")

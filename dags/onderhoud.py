"""Onderhoud: nightly purge of personal data that is no longer needed (AVG).

Delivered inbox messages, the payloads of resolved dead letters and document content nothing
still needs are removed after
``KETENBRUG_RETENTION_DAYS`` (default 30); the ledger keeps keys and hashes only. One DAG
per municipality (``dags/_tenants.py``): each purges its own state store and blobs.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import timedelta

from airflow.sdk import DAG, task

from privacy.masking import install_log_masking
from sync.tenants import Tenant

sys.path.append(os.path.dirname(__file__))  # _tenants.py beside it, for any DagBag
from _tenants import settings, tenant_dag, tenants

install_log_masking()  # every record of a task process is masked (no BSN in a task log)

DOC_MD = """\
### Onderhoud: elke nacht persoonsgegevens opruimen (AVG)

Verwijdert berichtinhouden die al zijn afgeleverd, de inhoud van afgehandelde dead letters en
documentinhouden die niets meer nodig heeft, na `KETENBRUG_RETENTION_DAYS` dagen (standaard 30).
Ook de notificaties van de e-Suite die de documentenbron al heeft gelezen gaan dan weg.
Sleutels en controlegetallen blijven bewaard.

Elke run van de andere Ketenbrug-flows noemt in zijn notitie wanneer deze opschoning het laatst
lukte; staat daar *nog nooit*, dan draait deze DAG niet (gepauzeerd?): zet hem aan.
"""
RETENTION_DAYS = int(os.environ.get("KETENBRUG_RETENTION_DAYS", "30"))


def onderhoud_dag(tenant: Tenant) -> DAG:
    """The tenant's nightly purge of its own state store and blobs."""

    @tenant_dag(
        "onderhoud",
        tenant,
        schedule="30 2 * * *",
        labels=["onderhoud"],
        default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
        doc_md=DOC_MD,
    )
    def ketenbrug_onderhoud() -> None:
        @task
        def purge_payloads() -> dict[str, int]:
            """Ruimt persoonsgegevens op die niet meer nodig zijn; het log noemt de aantallen."""
            from sync.purge import purge_payloads as purge
            from sync.store.db import open_store

            own = settings(tenant)
            result = purge(open_store(own), days=RETENTION_DAYS, blob_root=own.home / "blobs")
            logging.getLogger("ketenbrug.onderhoud").info(
                "opgeschoond (ouder dan %s dagen): %s berichtinhouden, %s bewaarde records, "
                "%s documentinhouden, %s gelezen notificaties",
                RETENTION_DAYS,
                result.inbox_bodies,
                result.dead_letter_records,
                result.blobs,
                result.notificaties,
            )
            return {
                "inbox_bodies": result.inbox_bodies,
                "records": result.dead_letter_records,
                "blobs": result.blobs,
                "notificaties": result.notificaties,
            }

        purge_payloads()

    return ketenbrug_onderhoud()


DAGS = [onderhoud_dag(tenant) for tenant in tenants()]

"""Suwinet-verrijking: each new bijstandsaanvraag gets one document with the applicant's BRP and
UWV data from Suwinet-Inkijk (see docs/flows/suwinet.md).

Runs after each zaken run of its municipality (its ``ketenbrug://zaken`` Asset): the resends
beheer asked for first, then the new zaken. Counts only in the XCom (no keys, no BSNs). Without
a ``ketenbrug_suwinet`` Connection the tasks are skipped (not linked). One DAG per municipality.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from airflow.exceptions import AirflowSkipException
from airflow.sdk import DAG, get_current_context, task
from airflow.sdk.exceptions import AirflowNotFoundException

from adapters import registry
from privacy.masking import install_log_masking
from sync.tenants import Tenant

sys.path.append(os.path.dirname(__file__))  # _tenants.py beside it, for any DagBag
from _tenants import asset, config, settings, tenant_dag, tenants

install_log_masking()  # every record of a task process is masked (no BSN in a task log)

DOC_MD = """\
### Suwinet-verrijking: BRP- en UWV-gegevens bij elke nieuwe bijstandsaanvraag

Draait na elke zaken-run. Voor elke nieuwe zaak van een zaaktype uit
`suwinet_verrijking.csv` vraagt Ketenbrug één keer Suwinet-Inkijk (BRP-persoon en
UWV-inkomsten) en zet het antwoord als PDF bij de zaak. Opnieuw draaien vraagt niets opnieuw;
*opnieuw aanbieden* van een dead letter vraagt één keer opnieuw (en zegt dat in het log).
Elke bevraging staat in het doelbindingslog (`ketenbrug audit --bsn`).
"""


@contextmanager
def _arguments(tenant: Tenant) -> Iterator[dict[str, Any]]:
    """The task's clients and settings from the tenant's Connections; closed afterwards."""
    from adapters.esuite.client import EsuiteClient
    from adapters.esuite.document_target import EsuiteDocumentTarget
    from adapters.ssd.hook import SsdHook
    from adapters.suwinet.client import SuwinetClient
    from adapters.suwinet.hook import SuwinetHook

    hook = SuwinetHook(tenant.conn_id(SuwinetHook.default_conn_name))
    try:
        suwinet_config = hook.get_config()
    except AirflowNotFoundException as missing:
        raise AirflowSkipException("Suwinet-Inkijk niet gekoppeld") from missing
    suwinet = SuwinetClient(suwinet_config)
    esuite = EsuiteClient(config(registry.get("esuite"), tenant))
    try:
        yield {
            "suwinet": suwinet,
            "zaaksysteem": EsuiteDocumentTarget(esuite),
            "lezer": esuite,
            "secret": hook.get_secret(tenant.conn_id(SsdHook.default_conn_name)),
            "maanden": suwinet_config.inkomsten_maanden,
            "settings": settings(tenant),
            "run_ref": str(get_current_context()["run_id"]),
            "certificates": [suwinet_config],
        }
    finally:
        suwinet.close()
        esuite.close()


def suwinet_dag(tenant: Tenant) -> DAG:
    """The tenant's Suwinet-verrijking, on its own zaken Asset."""

    def run(work: Callable[..., dict[str, object]]) -> dict[str, object]:
        with _arguments(tenant) as arguments:
            return work(**arguments)

    @tenant_dag(
        "suwinet",
        tenant,
        schedule=[asset("zaken", tenant)],
        labels=["suwinet"],
        default_args={
            "retries": 3,
            "retry_delay": timedelta(minutes=2),
            "retry_exponential_backoff": True,
        },
        doc_md=DOC_MD,
    )
    def ketenbrug_suwinet() -> None:
        @task(pool="esuite")
        def resend_requested() -> dict[str, object]:
            """Vraagt de zaken waarvan beheer de dead letter opnieuw aanbood nog één keer uit."""
            from sync.suwinet import run_suwinet_resends

            return run(run_suwinet_resends)

        @task(pool="esuite")
        def verrijken() -> dict[str, object]:
            """Vraagt Suwinet uit voor elke nieuwe bijstandsaanvraag (aantallen)."""
            from sync.suwinet import run_suwinet

            return run(run_suwinet)

        resend_requested() >> verrijken()

    return ketenbrug_suwinet()


DAGS = [suwinet_dag(tenant) for tenant in tenants()]

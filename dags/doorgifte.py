"""Doorgifte: new aanvragen of the e-Suite, with their documents, to GWS4all (see
docs/flows/doorgifte.md).

Every 15 minutes: first the resends beheer asked for, then the new aanvragen of the zaaktypes
in ``doorgifte.csv``. Counts only in the XCom (no keys, no BSNs). Without a
``ketenbrug_gws4all_stuf`` Connection the tasks are skipped (not linked). One DAG per
municipality.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
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
from _tenants import config, settings, tenant_dag, tenants

install_log_masking()  # every record of a task process is masked (no BSN in a task log)

DOC_MD = """\
### Doorgifte: aanvragen uit de e-Suite naar GWS4all

Elk kwartier. Nieuwe zaken van de zaaktypen in `doorgifte.csv` (de aanvragen uit MijnLoket)
gaan met hun documenten naar GWS4all, zodat de behandelaar ze daar vindt zonder overtypen.
Elke aanvraag gaat één keer; opnieuw draaien stuurt niets dubbel. Zaken die uit GWS4all
kwamen gaan er nooit terug. Wat GWS4all weigert is een dead letter (Foutafhandeling).
"""


@contextmanager
def _arguments(tenant: Tenant) -> Iterator[dict[str, Any]]:
    """The task's clients and settings from the tenant's Connections; closed afterwards."""
    from adapters.esuite.client import EsuiteClient
    from adapters.gws4all.outbound import Gws4allClient
    from adapters.gws4all.outbound_hook import Gws4allOutboundHook
    from adapters.gws4all.outbound_target import Gws4allTarget

    hook = Gws4allOutboundHook(tenant.conn_id(Gws4allOutboundHook.default_conn_name))
    try:
        gws4all_config = hook.get_config()
    except AirflowNotFoundException as missing:
        raise AirflowSkipException("GWS4all (StUF-endpoint) niet gekoppeld") from missing
    gws4all = Gws4allClient(gws4all_config)
    esuite = EsuiteClient(config(registry.get("esuite"), tenant))
    try:
        yield {
            "esuite": esuite,
            "gws4all": Gws4allTarget(gws4all),
            "settings": settings(tenant),
        }
    finally:
        gws4all.close()
        esuite.close()


def doorgifte_dag(tenant: Tenant) -> DAG:
    """The tenant's doorgifte of aanvragen from its e-Suite to its GWS4all."""

    @tenant_dag(
        "doorgifte",
        tenant,
        schedule=timedelta(minutes=15),
        labels=["doorgifte"],
        default_args={
            "retries": 3,
            "retry_delay": timedelta(minutes=2),
            "retry_exponential_backoff": True,
        },
        doc_md=DOC_MD,
    )
    def ketenbrug_doorgifte() -> None:
        @task(pool="gws4all")
        def resend_requested() -> dict[str, object]:
            """Biedt de aanvragen opnieuw aan waarvan beheer dat vroeg."""
            from sync.doorgifte import run_doorgifte_resends

            with _arguments(tenant) as arguments:
                return run_doorgifte_resends(**arguments)

        @task(pool="gws4all")
        def doorgeven() -> dict[str, object]:
            """Geeft de nieuwe aanvragen met hun documenten door aan GWS4all (aantallen)."""
            from adapters.esuite.zaak_lijst import EsuiteZaakLijst
            from sync.doorgifte import run_doorgifte

            run_ref = str(get_current_context()["run_id"])
            with _arguments(tenant) as arguments:
                lijst = EsuiteZaakLijst(arguments["esuite"].config, arguments["esuite"])
                return run_doorgifte(**arguments, lijst=lijst, run_ref=run_ref)

        resend_requested() >> doorgeven()

    return ketenbrug_doorgifte()


DAGS = [doorgifte_dag(tenant) for tenant in tenants()]

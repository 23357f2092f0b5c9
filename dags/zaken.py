"""Zaken: cases and statuses from the GWS4all inbox and Allegro's exports into the zaaksysteem
(every 5 minutes).

Thin on purpose: the tasks come from the adapter registry (``dags/_flow.py``); the summary
publishes the ``ketenbrug://zaken`` Asset for the flows scheduled on it. One DAG per
municipality (``dags/_tenants.py``): ``ketenbrug_zaken``, or ``ketenbrug_zaken_<code>``.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta

from airflow.sdk import DAG  # also what Airflow's file heuristic looks for

from privacy.masking import install_log_masking

sys.path.append(os.path.dirname(__file__))  # _flow.py and _beheer.py beside it, for any DagBag
from _flow import flow_dag
from _tenants import tenants

install_log_masking()  # every record of a task process is masked (no BSN in a task log)

DOC_MD = """\
### Zaken: GWS4all en Allegro → zaaksysteem (elke 5 minuten)

Zaken en statussen die GWS4all naar de inbox stuurt en die Allegro als exportbestand klaarzet,
gaan naar het zaaksysteem (de e-Suite, of een ZGW-zaaksysteem). Elke zaak en status komt er
precies één keer in.

- **resend_requested**: eerst de dead letters die beheer opnieuw aanbood.
- **deliver_gws4all** (per partitie) en **deliver_allegro**: het nieuwe werk.
- **summarize**: telt alles op; de *notitie* bij de run zegt wat er gebeurde.

Een groene run kan toch **dead letters** hebben: die staan in de notitie bij de run en in
*Ketenbrug beheer* → Foutafhandeling. Een rode taak is na drie pogingen niet gelukt
(bijvoorbeeld het zaaksysteem onbereikbaar); de volgende run pakt het werk weer op.
Technische uitleg: docs/flows/zaken.md.
"""

DAGS: list[DAG] = [
    flow_dag(
        "zaken",
        tenant=tenant,
        schedule=timedelta(minutes=5),
        partitions=int(os.environ.get("KETENBRUG_PARTITIONS", "4")),
        doc_md=DOC_MD,
    )
    for tenant in tenants()
]

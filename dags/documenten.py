"""Documenten: every document into Xtendis, the new archive (the zaaksysteem) and MyLex, once.

Runs after each zaken run (Asset ``ketenbrug://zaken``): a document needs its zaak in the
zaaksysteem first. Thin on purpose: the tasks come from the adapter registry
(``dags/_flow.py``): resends first (and the schema migration), then one mapped task per inbox
partition for GWS4all's documents, one task for Allegro's exports and one for the documents
added in the e-Suite, then a summary that publishes ``ketenbrug://documenten``. One DAG per
municipality (``dags/_tenants.py``), scheduled on that municipality's own zaken Asset.
"""

from __future__ import annotations

import os
import sys

from airflow.sdk import DAG  # also what Airflow's file heuristic looks for

from privacy.masking import install_log_masking

sys.path.append(os.path.dirname(__file__))  # _flow.py and _beheer.py beside it, for any DagBag
from _flow import flow_dag
from _tenants import asset, tenants

install_log_masking()  # every record of a task process is masked (no BSN in a task log)

DOC_MD = """\
### Documenten: naar Xtendis, het nieuwe archief (e-Suite) en MyLex

Draait na elke zaken-run: een document heeft eerst zijn zaak in de e-Suite nodig. Documenten
van GWS4all (inbox), van Allegro (exportbestanden) en documenten die een consulent in de
e-Suite toevoegde, gaan elk precies één keer naar elk doelsysteem.

- **resend_requested**: eerst de documenten die beheer opnieuw aanbood.
- **deliver_gws4all**, **deliver_allegro**, **deliver_esuite**: het nieuwe werk.
- **summarize**: telt alles op; de *notitie* bij de run zegt wat er gebeurde.

Dead letters (bijvoorbeeld een onveilige bestandsnaam) staan in de notitie bij de run en in
*Ketenbrug beheer* → Foutafhandeling. Technische uitleg: docs/flows/documenten.md.
"""

DAGS: list[DAG] = [
    flow_dag(
        "documenten",
        tenant=tenant,
        schedule=[asset("zaken", tenant)],  # after this municipality's zaken, no other's
        partitions=int(os.environ.get("KETENBRUG_PARTITIONS", "4")),
        doc_md=DOC_MD,
    )
    for tenant in tenants()
]

"""Documenten: every document into Xtendis, the new archive (the zaaksysteem) and MyLex, once.

Runs after each zaken run (Asset ``ketenbrug://zaken``): a document needs its zaak in the
zaaksysteem first. Thin on purpose: the tasks come from the adapter registry
(``dags/_flow.py``): resends first (and the schema migration), then one mapped task per inbox
partition for GWS4all's documents, one task for Allegro's exports and one for the documents
added in the e-Suite, then a summary that publishes ``ketenbrug://documenten``.
"""

from __future__ import annotations

import os
import sys

from airflow.sdk import Asset

from privacy.masking import install_log_masking

sys.path.append(os.path.dirname(__file__))  # _flow.py and _beheer.py beside it, for any DagBag
from _flow import flow_dag

install_log_masking()  # every record of a task process is masked (no BSN in a task log)

ZAKEN_ASSET = Asset("ketenbrug://zaken")
DOCUMENTEN_ASSET = Asset("ketenbrug://documenten")
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

ketenbrug_documenten = flow_dag(
    "documenten",
    schedule=[ZAKEN_ASSET],
    outlet=DOCUMENTEN_ASSET,
    partitions=int(os.environ.get("KETENBRUG_PARTITIONS", "4")),
    doc_md=DOC_MD,
)

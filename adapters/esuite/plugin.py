"""The e-Suite's registry entry: zaaksysteem and DMS, StUF-ZKN ZDS 1.2 (``adapters.registry``).

The e-Suite is a target of both flows, the source of the documents added in it, and the system
of record for a zaak's client: Xtendis files a document under the BSN read here
(``adapters.dossier.DossierBsn``, kept in memory for one task only).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from typing import TYPE_CHECKING

from adapters.dossier import DossierBsn
from adapters.registry import AdapterRegistration, BuiltTarget, Pool, SourceSpec, TargetContext
from adapters.roles import ZAAKSYSTEEM

if TYPE_CHECKING:  # the registry is read while DAG files are parsed: import lazily
    from adapters.esuite.client import EsuiteClient
    from adapters.esuite.config import EsuiteConfig

SYSTEM = "esuite"

__all__ = ["REGISTRATION"]


def _initiator_bsn(client: EsuiteClient) -> Callable[[str], str | None]:
    def read(zaak_identificatie: str) -> str | None:
        answer = client.geef_zaakdetails(zaak_identificatie)
        return answer.zaak.initiator_bsn if answer is not None and answer.zaak else None

    return read


def zaken_target(config: EsuiteConfig, _context: TargetContext) -> BuiltTarget:
    from adapters.esuite.client import EsuiteClient
    from adapters.esuite.target import EsuiteTarget

    client = EsuiteClient(config)
    return BuiltTarget(EsuiteTarget(client), [client.close])


def document_target(config: EsuiteConfig, _context: TargetContext) -> BuiltTarget:
    from adapters.esuite.client import EsuiteClient
    from adapters.esuite.document_target import EsuiteDocumentTarget

    client = EsuiteClient(config)
    return BuiltTarget(EsuiteDocumentTarget(client), [client.close])


def dossier_bsn(config: EsuiteConfig) -> tuple[Callable[[str | None], str], Callable[[], None]]:
    from adapters.esuite.client import EsuiteClient

    client = EsuiteClient(config)
    return DossierBsn(_initiator_bsn(client), "de e-Suite"), client.close


def probe(config: EsuiteConfig) -> None:
    """One geefZaakdetails of a zaak that does not exist: reaches the service, changes nothing."""
    from adapters.esuite.client import EsuiteClient

    with closing(EsuiteClient(config)) as client:
        client.geef_zaakdetails("KETENBRUG-VERBINDINGSTEST")


REGISTRATION = AdapterRegistration(
    system=SYSTEM,
    roles=(ZAAKSYSTEEM,),
    title="e-Suite (StUF-ZKN ZDS 1.2)",
    pool=Pool(SYSTEM, 4, "e-Suite ZDS 1.2: parallelle aanroepen"),
    hook="adapters.esuite.hook:EsuiteHook",
    conn_id="ketenbrug_esuite",
    sources=(
        # Ketenbrug's own walk over the zaken (identity map, blob store, the notificaties the
        # e-Suite sent): lives in sync/. The cursor says where the ronde or the notificaties are.
        SourceSpec(
            "documenten",
            factory="sync.tasks.documenten:esuite_document_source",
            keeps_cursor=True,
            runs_last=True,
        ),
    ),
    targets={
        "zaken": "adapters.esuite.plugin:zaken_target",
        "documenten": "adapters.esuite.plugin:document_target",
    },
    mapping_tables=("esuite_statustypen.csv", "zaaktypen.csv", "statussen.csv"),
    probe="adapters.esuite.plugin:probe",
    bsn_lookup="adapters.esuite.plugin:dossier_bsn",
    simulator="simulators.esuite:make_esuite_server",
    contract="tests.contract.harnesses:EsuiteHarness",
    ui_behaviour={
        "hidden_fields": ["login", "password"],
        "relabeling": {"schema": "Protocol (http/https)"},
        "placeholders": {
            "host": "esuite.gemeente.local",
            "extra": '{"path": "/zds", "zender": {"organisatie": "0153", "applicatie": '
            '"KETENBRUG"}, "timeout_s": 30}',
        },
    },
)

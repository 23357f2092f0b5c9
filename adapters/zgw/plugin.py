"""The ZGW zaaksysteem's registry entry (``adapters.registry``): the one place Ketenbrug
learns of it.

It can play the zaaksysteem part (``roles``); a deployment chooses it with
``KETENBRUG_ROL_ZAAKSYSTEEM=zgw`` and Connection ``ketenbrug_zgw``, and the flows then plan
their zaak and zaakdocument writes for it instead of the e-Suite. It also holds the BSN of a
zaak's client (the initiator's Rol), which the dossier (Xtendis) needs.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from typing import TYPE_CHECKING

from adapters.dossier import DossierBsn
from adapters.registry import AdapterRegistration, BuiltTarget, Pool, TargetContext
from adapters.roles import ZAAKSYSTEEM

if TYPE_CHECKING:  # the registry is read while DAG files are parsed: import lazily
    from adapters.zgw.config import ZgwConfig
    from adapters.zgw.zaken import ZgwZaken

SYSTEM = "zgw"

__all__ = ["REGISTRATION"]


def _initiator_bsn(zaken: ZgwZaken) -> Callable[[str], str | None]:
    def read(zaak_identificatie: str) -> str | None:
        zaak = zaken.require(zaak_identificatie, "rollen")
        return zaken.initiator_bsn(str(zaak["url"]))

    return read


def target(config: ZgwConfig, _context: TargetContext) -> BuiltTarget:
    from adapters.zgw.target import ZgwTarget

    built = ZgwTarget(config)
    return BuiltTarget(built, [built.close])


def dossier_bsn(config: ZgwConfig) -> tuple[Callable[[str | None], str], Callable[[], None]]:
    from adapters.zgw.target import ZgwTarget

    reader = ZgwTarget(config)
    return DossierBsn(_initiator_bsn(reader.zaken), "de Zaken API"), reader.close


def probe(config: ZgwConfig) -> None:
    """One authenticated GET that changes nothing: a zaak that does not exist."""
    from adapters.zgw.target import ZgwTarget

    with closing(ZgwTarget(config)) as reader:
        reader.zaken.find("KETENBRUG-VERBINDINGSTEST", "verbindingstest")


REGISTRATION = AdapterRegistration(
    system=SYSTEM,
    roles=(ZAAKSYSTEEM,),
    title="ZGW-zaaksysteem (Zaken/Documenten/Catalogi API)",
    pool=Pool(SYSTEM, 4, "ZGW API's: parallelle aanroepen"),
    hook="adapters.zgw.hook:ZgwHook",
    conn_id="ketenbrug_zgw",
    targets={
        "zaken": "adapters.zgw.plugin:target",
        "documenten": "adapters.zgw.plugin:target",
    },
    mapping_tables=("zaaktypen.csv", "esuite_statustypen.csv", "statussen.csv"),
    probe="adapters.zgw.plugin:probe",
    bsn_lookup="adapters.zgw.plugin:dossier_bsn",
    simulator="simulators.zgw:make_zgw_server",
    contract="tests.adapters_zgw.harness:ZgwHarness",
    ui_behaviour={
        "hidden_fields": [],
        "relabeling": {
            "schema": "Protocol (http/https)",
            "login": "client_id",
            "password": "secret",
        },
        "placeholders": {
            "host": "zaken.gemeente.local",
            "login": "ketenbrug",
            "extra": '{"zaken_api": "/zaken/api/v1", "documenten_api": "/documenten/api/v1", '
            '"catalogi_api": "/catalogi/api/v1", "bronorganisatie": "001005650", '
            '"verantwoordelijke_organisatie": "001005650", "timeout_s": 30}',
        },
    },
)

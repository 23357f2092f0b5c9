"""The parts a system plays in a flow, and the zaak operations a zaaksysteem understands.

Why: the flows plan writes for a *part* ("the zaaksysteem", "the client dossier", "the
archive"), not for a named product, so a municipality can put another system in a part (a ZGW
API zaaksysteem instead of the e-Suite) without a change in ``sync/``. A registration says
which parts its system can play (``AdapterRegistration.roles``); the registry says which
system plays each part in this deployment (``adapters.registry.role_system``).

A zaaksysteem target understands the operations below (and the zaakdocument operations of
:mod:`adapters.document`), with ``Operation.data`` as the zaken flow builds it::

    creeer_zaak:            {"identificatie", "zaaktype_code", "zaaktype_omschrijving",
                             "omschrijving", "startdatum", "einddatum", "initiator_bsn", ...}
    update_zaak:            {"identificatie", "was": {...zaak}, "wordt": {...zaak}}
    actualiseer_zaakstatus: {"zaak_identificatie", "zaaktype_code", "statustype_code",
                             "volgnummer", "statustype_omschrijving", "datum_status_gezet",
                             "toelichting"}
"""

from __future__ import annotations

__all__ = [
    "ACTUALISEER_ZAAKSTATUS",
    "ARCHIEF",
    "CREEER_ZAAK",
    "DOSSIER",
    "UPDATE_ZAAK",
    "ZAAKSYSTEEM",
]

#: Holds zaken, their statuses and the documents attached to them (the e-Suite, a ZGW API).
ZAAKSYSTEEM = "zaaksysteem"
#: The client dossier a document is dropped into (Xtendis).
DOSSIER = "dossier"
#: The old archive that keeps every document with its MDTO metadata (MyLex).
ARCHIEF = "archief"

CREEER_ZAAK = "creeer_zaak"
UPDATE_ZAAK = "update_zaak"
ACTUALISEER_ZAAKSTATUS = "actualiseer_zaakstatus"

"""The ZGW zaaksysteem as a sync target: the zaak and zaakdocument operations in, REST out.

One Target for both flows (``zaken`` and ``documenten``): it accepts exactly the operations the
e-Suite accepts (:mod:`adapters.roles`, :mod:`adapters.document`), so the flows need not know
which zaaksysteem plays the part. The work is in :mod:`adapters.zgw.zaken` and
:mod:`adapters.zgw.documents`; the Catalogi look-ups are cached for the target's life (a task).
"""

from __future__ import annotations

from adapters.base import Operation
from adapters.document import UPDATE_ZAAKDOCUMENT, VOEG_ZAAKDOCUMENT_TOE
from adapters.errors import PermanentError
from adapters.roles import ACTUALISEER_ZAAKSTATUS, CREEER_ZAAK, UPDATE_ZAAK
from adapters.zgw.catalogi import Catalogus
from adapters.zgw.client import SYSTEM, ZgwClient
from adapters.zgw.config import ZgwConfig
from adapters.zgw.documents import ZgwDocuments
from adapters.zgw.zaken import ZgwZaken

__all__ = ["SYSTEM", "ZgwTarget"]

_ZAAK_OPERATIONS = (CREEER_ZAAK, UPDATE_ZAAK, ACTUALISEER_ZAAKSTATUS)
_DOCUMENT_OPERATIONS = (VOEG_ZAAKDOCUMENT_TOE, UPDATE_ZAAKDOCUMENT)


class ZgwTarget:
    """Target adapter for a ZGW API zaaksysteem."""

    system = SYSTEM

    def __init__(self, config: ZgwConfig, client: ZgwClient | None = None) -> None:
        self.config = config
        self.client = client if client is not None else ZgwClient(config)
        self.catalogus = Catalogus(self.client)
        self.zaken = ZgwZaken(self.client, self.catalogus)
        self.documents = ZgwDocuments(self.client, self.catalogus, self.zaken)

    def close(self) -> None:
        self.client.close()

    def apply(self, operation: Operation) -> None:
        name, data = operation.name, operation.data
        if name == CREEER_ZAAK:
            self.zaken.creeer_zaak(data)
        elif name == UPDATE_ZAAK:
            self.zaken.update_zaak(data)
        elif name == ACTUALISEER_ZAAKSTATUS:
            self.zaken.actualiseer_zaakstatus(data)
        elif name == VOEG_ZAAKDOCUMENT_TOE:
            self.documents.voeg_toe(data)
        elif name == UPDATE_ZAAKDOCUMENT:
            self.documents.update(data)
        else:
            raise PermanentError(f"onbekende operatie {name!r}", system=SYSTEM)

    def is_applied(self, operation: Operation) -> bool:
        if operation.name in _ZAAK_OPERATIONS:
            return self.zaken.is_applied(operation)
        if operation.name in _DOCUMENT_OPERATIONS:
            return self.documents.is_applied(operation)
        return False

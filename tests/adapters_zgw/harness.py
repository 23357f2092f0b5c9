"""The ZGW zaaksysteem's contract harness: its simulator, its Connection, its faults."""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

from adapters.base import Operation, Target
from tests.contract.harnesses import BSN, Fault, Harness, free_port, http_fault

ZAAK = "0153-ZGW-CONTRACT-0001"


def connection(port: int, *, secret: str | None = None) -> dict[str, Any]:
    """The Connection ``ketenbrug_zgw`` for a simulator on ``port``."""
    from simulators.zgw import BRONORGANISATIE, CLIENT_ID, SECRET

    return {
        "conn_type": "http",
        "host": "127.0.0.1",
        "port": port,
        "schema": "http",
        "login": CLIENT_ID,
        "password": SECRET if secret is None else secret,
        "extra": {"bronorganisatie": BRONORGANISATIE, "timeout_s": 2},
    }


class ZgwHarness(Harness):
    """One creeer_zaak (with the initiator's BSN) per operation; faults on writes only."""

    apply_is_idempotent: ClassVar[bool] = False  # a create is checked, not repeated

    def start(self) -> None:
        from simulators.zgw import make_zgw_server

        self.server = make_zgw_server(port=0)
        self.server.writes_only = True  # the catalogus look-ups pass, the write fails
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def connection(self) -> dict[str, Any]:
        return connection(self.server.port)

    def unreachable_connection(self) -> dict[str, Any]:
        return connection(free_port())

    def target(self, config: Any) -> Target:
        from adapters.zgw.target import ZgwTarget

        target = ZgwTarget(config)
        self.request.addfinalizer(target.close)
        return target

    def operation(self) -> Operation:
        from adapters.roles import CREEER_ZAAK

        return Operation(
            target_system="zgw",
            name=CREEER_ZAAK,
            ledger_key=f"contract:{ZAAK}",
            target_key=ZAAK,
            data={
                "identificatie": ZAAK,
                "zaaktype_code": "B1026",
                "zaaktype_omschrijving": "Aanvraag levensonderhoud Participatiewet",
                "omschrijving": "Aanvraag levensonderhoud",
                "toelichting": f"aanvraag van cliënt {BSN}",
                "startdatum": "2025-03-03",
                "einddatum": None,
                "initiator_bsn": BSN,
            },
        )

    def effects(self, operation: Operation) -> int:
        """Zaken with the identificatie, each counted once with its initiator's Rol."""
        store = self.server.store
        with store.lock:
            zaken = [
                key
                for key, zaak in store.zaken.items()
                if zaak["identificatie"] == operation.data["identificatie"]
            ]
            rollen = [r for r in store.rollen.values() if r["zaak"] in zaken]
        assert len(rollen) in (0, len(zaken)) or len(zaken) > 1, "a zaak without its initiator"
        return len(zaken)

    def fault(self, kind: Fault) -> contextlib.AbstractContextManager[dict[str, Any] | None]:
        return http_fault(self.server, kind, permanent_variant="rejected")

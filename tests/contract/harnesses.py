"""Contract harnesses: each adapter's simulator on loopback, driven the way the kit needs it.

A harness is the test-side half of an adapter's registration (``contract=`` names it): it
starts the simulator, writes the Airflow Connection that points at it, builds the adapter's
Target or Source, and injects faults through the simulator's own fault knobs. The kit
(:mod:`tests.contract.kit`) asks the same questions of every harness.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import re
import socket
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest

from adapters.base import Operation, Source, Target

__all__ = [
    "BSN",
    "AllegroHarness",
    "EsuiteHarness",
    "Gws4allBackofficeHarness",
    "Harness",
    "MyLexHarness",
    "XtendisHarness",
]

#: Synthetic (passes the elfproef); every harness puts it where an adapter could leak it.
BSN = "123456782"
Fault = Literal["transient", "permanent", "lost_response"]


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Harness:
    """What the contract kit needs from an adapter's test side. Subclasses fill in the rest.

    ``apply_is_idempotent``: a second ``apply`` of the same operation leaves one effect (or
    raises AlreadyExistsError). When False the engine relies on ``is_applied`` instead, and the
    kit checks the guarded write (``is_applied`` first) leaves one effect.
    """

    apply_is_idempotent: ClassVar[bool] = True

    def __init__(self, request: pytest.FixtureRequest, tmp_path: Path) -> None:
        self.request = request
        self.tmp_path = tmp_path

    # -- lifecycle and Connection
    def start(self) -> None:
        raise NotImplementedError("start the simulator on 127.0.0.1")

    def stop(self) -> None:
        """Stop what ``start`` started."""

    def connection(self) -> dict[str, Any]:
        """The Airflow Connection (JSON form) that points at the running simulator."""
        raise NotImplementedError("the Connection that points at the simulator")

    def unreachable_connection(self) -> dict[str, Any]:
        """The same Connection on a port nothing listens on."""
        raise NotImplementedError("the Connection on a dead port")

    # -- target side
    def target(self, config: Any) -> Target:
        raise NotImplementedError("the adapter's Target for this config")

    def operation(self) -> Operation:
        """One write whose data carries :data:`BSN` where the adapter could leak it."""
        raise NotImplementedError("a sample operation")

    def effects(self, operation: Operation) -> int:
        """How many times the operation's effect is in the simulator (0, 1, 2 ...)."""
        raise NotImplementedError("count the effect in the simulator")

    def fault(self, kind: Fault) -> contextlib.AbstractContextManager[dict[str, Any] | None]:
        """While open, the simulator fails writes of ``kind``.

        Yields a Connection to build the adapter from while the fault lasts (a proxy that cuts
        the line), or None for the usual one. ``operation()`` may differ while it lasts (a
        blob that does not match its checksum).
        """
        raise NotImplementedError(f"inject a {kind} fault through the simulator")

    # -- source side
    def source(self, config: Any) -> Source:
        raise NotImplementedError("the adapter's Source for this config")

    def produce(self, records: int) -> None:
        """The simulator offers about ``records`` new records to the source."""
        raise NotImplementedError("let the simulator produce records")

    def cursor_order(self, cursor: str) -> Any:
        """A sortable form of a cursor (the kit checks they never go back)."""
        return cursor

    def source_fault(self, kind: Fault) -> contextlib.AbstractContextManager[dict[str, Any] | None]:
        raise NotImplementedError(f"inject a {kind} fault into what the source reads")


@contextlib.contextmanager
def http_fault(server: Any, kind: Fault, *, permanent_variant: str) -> Iterator[None]:
    """While open, an HTTP simulator fails every call with ``kind`` (its own fault knobs)."""
    from simulators.faults import FaultConfig

    if kind == "permanent":
        config = FaultConfig(permanent_rate=1.0, permanent_variants=(permanent_variant,))
    else:
        variant = "lost_response" if kind == "lost_response" else "http_503"
        config = FaultConfig(transient_rate=1.0, transient_variants=(variant,))
    server.faults.configure(config)
    try:
        yield None
    finally:
        server.faults.configure(FaultConfig())


# --------------------------------------------------------------------------- e-Suite
class EsuiteHarness(Harness):
    """The e-Suite simulator (ZDS 1.2 over HTTP); one actualiseerZaakstatus per operation."""

    apply_is_idempotent = False  # a second actualiseerZaakstatus adds the status twice
    ZAAK = "0153CONTRACT0000001"

    def start(self) -> None:
        from simulators.esuite import make_esuite_server
        from stuf import Zaak

        self.server = make_esuite_server(port=0)
        self.server.start()
        day = date(2025, 3, 3)
        self.server.app.store.create_zaak(
            Zaak(self.ZAAK, "PW-LO-AANV", startdatum=day, registratiedatum=day, initiator_bsn=BSN)
        )

    def stop(self) -> None:
        self.server.stop()

    def _connection(self, port: int) -> dict[str, Any]:
        return {
            "conn_type": "http",
            "host": "127.0.0.1",
            "port": port,
            "schema": "http",
            "extra": {
                "path": "/zds",
                "zender": {"organisatie": "0153", "applicatie": "KETENBRUG"},
                "ontvanger": {"organisatie": "0153", "applicatie": "ESUITE"},
                "timeout_s": 2,
            },
        }

    def connection(self) -> dict[str, Any]:
        return self._connection(int(self.server.url.rsplit(":", 1)[1].split("/")[0]))

    def unreachable_connection(self) -> dict[str, Any]:
        return self._connection(free_port())

    def target(self, config: Any) -> Target:
        from adapters.esuite.client import EsuiteClient
        from adapters.esuite.target import EsuiteTarget

        client = EsuiteClient(config)
        self.request.addfinalizer(client.close)
        return EsuiteTarget(client)

    def operation(self) -> Operation:
        from adapters.roles import ACTUALISEER_ZAAKSTATUS

        return Operation(
            target_system="esuite",
            name=ACTUALISEER_ZAAKSTATUS,
            ledger_key=f"contract:{self.ZAAK}:1",
            target_key=self.ZAAK,
            data={
                "zaak_identificatie": self.ZAAK,
                "statustype_code": "ST-ONTV",
                "volgnummer": 1,
                "datum_status_gezet": "2025-03-04T10:00:00+01:00",
                "toelichting": f"aanvraag van cliënt {BSN} ontvangen",
            },
            ordering_key=self.ZAAK,
        )

    def effects(self, operation: Operation) -> int:
        _zaak, statussen = self.server.app.store.get(self.ZAAK)
        code = operation.data["statustype_code"]
        return sum(1 for status in statussen if status.statustype_code == code)

    def fault(self, kind: Fault) -> contextlib.AbstractContextManager[dict[str, Any] | None]:
        return http_fault(self.server, kind, permanent_variant="fo03")


# --------------------------------------------------------------------------- GWS4all
class Gws4allBackofficeHarness(Harness):
    """GWS4all as the doorgifte's target: its backoffice simulator (ZDS 1.1 over HTTP), one
    creeerZaak per operation, faults through the simulator's own commands."""

    # A second creeerZaak is sent again: the simulator answers Fo03 "bestaat al", a GWS4all
    # that does not check would hold the zaak twice. The engine relies on is_applied.
    apply_is_idempotent = False
    ZAAK = "1900CONTRACT0000001"

    def start(self) -> None:
        from simulators.gws4all_backoffice import make_gws4all_backoffice_server

        self.server = make_gws4all_backoffice_server(port=0)
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def _connection(self, port: int) -> dict[str, Any]:
        return {
            "conn_type": "http",
            "host": "127.0.0.1",
            "port": port,
            "schema": "http",
            "extra": {"path": "/stuf/zkn", "gemeentecode": "1900", "timeout_s": 2},
        }

    def connection(self) -> dict[str, Any]:
        return self._connection(self.server.port)

    def unreachable_connection(self) -> dict[str, Any]:
        return self._connection(free_port())

    def target(self, config: Any) -> Target:
        from adapters.gws4all.outbound import Gws4allClient
        from adapters.gws4all.outbound_target import Gws4allTarget

        client = Gws4allClient(config)
        self.request.addfinalizer(client.close)
        return Gws4allTarget(client)

    def operation(self) -> Operation:
        from adapters.gws4all.outbound_target import zaak_operation
        from stuf import Zaak

        day = date(2026, 11, 30)
        zaak = Zaak(
            identificatie=self.ZAAK,
            zaaktype_code="PW-LO-AANV",
            omschrijving="Aanvraag levensonderhoud",
            toelichting=f"aanvraag van cliënt {BSN} via MijnLoket",
            startdatum=day,
            registratiedatum=day,
            initiator_bsn=BSN,
        )
        return zaak_operation(zaak, ledger_key=f"contract:{self.ZAAK}:gws4all")

    def effects(self, operation: Operation) -> int:
        """How many creeerZaaks of the zaak reached GWS4all, once it holds it (0 while it
        does not: a refused or unprocessed request left nothing)."""
        held = self.server.snapshot()["zaken"].get(operation.target_key)
        return int(held["received"]) if held is not None else 0

    @contextlib.contextmanager
    def fault(self, kind: Fault) -> Iterator[dict[str, Any] | None]:
        if kind == "permanent":  # a business rule refuses the zaak: Fo03, nothing stored
            self.server.refuse(
                "StUF058", "Zaaktype niet toegestaan voor deze ontvanger", operations=["creeerZaak"]
            )
        elif kind == "lost_response":  # stored, then the connection is reset without answer
            self.server.lose_responses(1)
        else:  # HTTP 503 for every request, not processed
            self.server.unavailable(1.0)
        try:
            yield None
        finally:
            self.server.clear_commands()


# --------------------------------------------------------------------------- SFTP systems
class _SftpHarness(Harness):
    """The real sshd of the SFTP simulators, with a folder of its own per test."""

    conn_extra: ClassVar[dict[str, Any]] = {}

    def start(self) -> None:
        self.server = self.request.getfixturevalue("sshd_server")
        self.area = self.request.getfixturevalue("sftp_area")

    def _connection(self, port: int) -> dict[str, Any]:
        from simulators.sftp.client import pinned_line

        return {
            "conn_type": "sftp",
            "host": self.server.host,
            "port": port,
            "login": self.server.username,
            "extra": {
                "private_key_path": str(self.server.client_key_path),
                "known_hosts_line": pinned_line(self.server, port),
                "timeout_s": 3,
                **self.extra(),
            },
        }

    def extra(self) -> dict[str, Any]:
        return {}

    def connection(self) -> dict[str, Any]:
        return self._connection(self.server.port)

    def unreachable_connection(self) -> dict[str, Any]:
        return self._connection(free_port())

    def blob(self, size: int = 20_000, *, corrupt: bool = False) -> dict[str, Any]:
        """A document's content in this test's folder; ``corrupt``: not what its hash says."""
        data = b"%PDF-1.4\n" + random.Random(size).randbytes(size)
        path = self.tmp_path / f"blob-{size}.bin"
        path.write_bytes(data[:-1] + b"X" if corrupt else data)
        return {"path": str(path), "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    def document(self) -> dict[str, Any]:
        return {
            "identificatie": "1900-2024-00000004-D01",
            "titel": "Beschikking levensonderhoud",
            "zaak_identificatie": "1900-2024-00000004",
            "documenttype": "Beschikking",
            "bestandsnaam": "brief-001.pdf",
            "formaat": "application/pdf",
            "creatiedatum": "2024-03-01",
            "vertrouwelijkheid": "VERTROUWELIJK",
            "auteur": None,
            "taal": "nl",
        }

    @contextlib.contextmanager
    def cut_line(self, direction: str, after_bytes: int) -> Iterator[dict[str, Any]]:
        """A Connection through a proxy that cuts the line ``after_bytes`` into ``direction``."""
        proxy = self.request.getfixturevalue("tcp_proxy")
        proxy.cut_direction = direction
        proxy.cut_after_bytes = after_bytes
        try:
            yield self._connection(int(proxy.port))
        finally:
            proxy.cut_after_bytes = None


class XtendisHarness(_SftpHarness):
    """Xtendis' hot folder; the import side (receipts) runs while the harness is started."""

    def start(self) -> None:
        from simulators.xtendis import XtendisHotFolder

        super().start()
        self.hotfolder = XtendisHotFolder(self.area.local, poll_interval=0.05, incomplete_after=1.0)
        self.hotfolder.start()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.hotfolder.stop()

    def extra(self) -> dict[str, Any]:
        return {
            "hotfolder_dir": f"{self.area.remote}/hotfolder",
            "receipts_dir": f"{self.area.remote}/receipts",
        }

    def target(self, config: Any) -> Target:
        from adapters.xtendis.target import XtendisTarget

        target = XtendisTarget(
            config,
            dossier_bsn=lambda _zaak: self.bsn,
            receipt_timeout_s=self.receipt_timeout_s,
            poll_s=0.02,
        )
        self.request.addfinalizer(target.close)
        return target

    bsn = BSN
    receipt_timeout_s = 5.0

    def operation(self) -> Operation:
        from adapters.xtendis.target import DROP_DOCUMENT

        document = self.document()
        return Operation(
            target_system="xtendis",
            name=DROP_DOCUMENT,
            ledger_key=f"contract:{document['identificatie']}:xtendis",
            target_key=document["identificatie"],
            data={
                "document": document,
                "content": self.blob(),
                "archief": "WERK_INKOMEN",
                "drop_name": "D01-contract",
            },
        )

    def effects(self, operation: Operation) -> int:
        return len(self.hotfolder.documents())

    @contextlib.contextmanager
    def fault(self, kind: Fault) -> Iterator[dict[str, Any] | None]:
        if kind == "permanent":  # the importer refuses the drop: a BSN failing the elfproef
            self.bsn = "123456789"
            try:
                yield None
            finally:
                self.bsn = BSN
        elif kind == "lost_response":  # the drop lands, its receipt does not come in time
            self.hotfolder.stop()
            self.receipt_timeout_s = 0.3
            try:
                yield None
            finally:
                self.receipt_timeout_s = 5.0
                self.hotfolder.start()
        else:  # the line drops a little way into the upload
            with self.cut_line("up", 8_000) as connection:
                yield connection


class MyLexHarness(_SftpHarness):
    """MyLex' archive folder (MDTO metadata beside each document)."""

    def start(self) -> None:
        from simulators.mylex import MyLexArchive

        super().start()
        self.archive = MyLexArchive(self.area.local, seed=1)

    def extra(self) -> dict[str, Any]:
        return {"root_dir": self.area.remote}

    def target(self, config: Any) -> Target:
        from adapters.mylex.target import MyLexTarget

        target = MyLexTarget(config)
        self.request.addfinalizer(target.close)
        return target

    def operation(self) -> Operation:
        from adapters.mylex.target import ARCHIVEER_DOCUMENT

        document = {**self.document(), "titel": f"Beschikking cliënt {BSN}"}
        return Operation(
            target_system="mylex",
            name=ARCHIVEER_DOCUMENT,
            ledger_key=f"contract:{document['identificatie']}:mylex",
            target_key=document["identificatie"],
            data={
                "document": document,
                "content": self.blob(200_000, corrupt=self.corrupt),
                "jaar": None,
                "waardering": None,
            },
        )

    corrupt = False

    @contextlib.contextmanager
    def fault(self, kind: Fault) -> Iterator[dict[str, Any] | None]:
        if kind == "permanent":  # content that never matches its checksum
            self.corrupt = True
            try:
                yield None
            finally:
                self.corrupt = False
        elif kind == "lost_response":  # the server's answers stop once the upload is under way
            with self.cut_line("down", 3_500) as connection:
                yield connection
        else:  # the line drops a little way into the upload
            with self.cut_line("up", 60_000) as connection:
                yield connection

    def effects(self, operation: Operation) -> int:
        ident = operation.data["document"]["identificatie"]
        return sum(
            1
            for path in self.area.local.rglob(f"{ident}*")
            if path.is_file() and path.name.endswith(".MDTO.xml") and ".bestand." not in path.name
        )


class AllegroHarness(_SftpHarness):
    """Allegro's export folder (zaken exports, one file per batch), a source only."""

    def start(self) -> None:
        from simulators.allegro import AllegroExporter

        super().start()
        self.exporter = AllegroExporter(self.area.local, seed=7)
        self.files = 0

    def extra(self) -> dict[str, Any]:
        return {
            "export_dir": f"{self.area.remote}/export",
            "return_dir": f"{self.area.remote}/return",
        }

    def source(self, config: Any) -> Source:
        from adapters.allegro.client import AllegroClient
        from adapters.allegro.source import AllegroZakenSource

        client = AllegroClient(config)
        self.request.addfinalizer(client.close)
        return AllegroZakenSource(client)

    def produce(self, records: int) -> None:
        self.exporter.write_batch(records)

    def cursor_order(self, cursor: str) -> Any:
        match = re.fullmatch(r"(.+?)#(\d+)@(\d+)", cursor)
        return (
            (match.group(1), int(match.group(2)), int(match.group(3)))
            if match
            else (cursor, -1, -1)
        )

    @contextlib.contextmanager
    def source_fault(self, kind: Fault) -> Iterator[dict[str, Any] | None]:
        from simulators.allegro import AllegroExporter
        from simulators.faults import FaultConfig

        if kind == "permanent":  # the next export arrives truncated
            faults = FaultConfig(permanent_rate=1.0, permanent_variants=("truncated",), seed=1)
            AllegroExporter(self.area.local, seed=9, faults=faults).write_batch(20)
            yield None
        else:  # the line drops while the export is read
            self.produce(400)
            with self.cut_line("down", 30_000) as connection:
                yield connection

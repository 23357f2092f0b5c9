"""The archiefvormer in MyLex' MDTO comes from the MyLex Connection: each municipality of a
shared deployment writes its own name into its own archive (issue #12, several municipalities)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest

from adapters.errors import ConfigError
from adapters.mylex import MdtoMetadata, MyLexClient, MyLexConfig, mdto_errors
from adapters.mylex.config import DEFAULT_ARCHIEFVORMER, Archiefvormer
from simulators.mylex import MyLexArchive, validate_mdto
from simulators.synthetic import SyntheticData
from stuf.xml import parse_xml

MDTO = "{https://www.nationaalarchief.nl/mdto}"
DEVENTER = Archiefvormer("Gemeente Deventer", "gm0150")
LINE = (
    "[127.0.0.1]:2222 ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
)


def _archiefvormer(xml: bytes) -> tuple[str, str, str]:
    (element,) = parse_xml(xml).iter(f"{MDTO}archiefvormer")
    return (
        element.findtext(f"{MDTO}verwijzingNaam") or "",
        element.findtext(f"{MDTO}verwijzingIdentificatie/{MDTO}identificatieKenmerk") or "",
        element.findtext(f"{MDTO}verwijzingIdentificatie/{MDTO}identificatieBron") or "",
    )


def test_the_mdto_written_names_the_configured_archiefvormer_and_validates(
    make_config: Callable[..., MyLexConfig], archive: MyLexArchive
) -> None:
    zaak = next(iter(SyntheticData(5, document_scale=0.05).zaken(1)))
    doc = zaak.documenten[0]
    meta = MdtoMetadata(doc.titel, doc.zaak_identificatie, doc.creatiedatum, doc.auteur)
    client = MyLexClient(make_config(archiefvormer=DEVENTER))
    try:
        client.put_document(doc.identificatie, io.BytesIO(doc.read_bytes()), meta, doc.sha256)
    finally:
        client.close()
    (informatieobject,) = archive.archief.rglob(f"{doc.identificatie}.MDTO.xml")
    xml = informatieobject.read_bytes()
    assert _archiefvormer(xml) == ("Gemeente Deventer", "gm0150", "TOOI")
    assert mdto_errors(xml) == [] == validate_mdto(informatieobject)
    assert archive.validate_all() == {}


def _connection(monkeypatch: pytest.MonkeyPatch, conn_id: str, **extra: object) -> None:
    connection = {
        "conn_type": "sftp",
        "host": "127.0.0.1",
        "port": 2222,
        "login": "ketenbrug",
        "extra": {"private_key_path": "/k", "known_hosts_line": LINE, **extra},
    }
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(connection))


def test_a_tenants_connection_names_its_own_municipality(monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters.mylex.hook import MyLexHook

    _connection(monkeypatch, "ketenbrug_mylex")
    _connection(
        monkeypatch,
        "ketenbrug_mylex_deventer",
        archiefvormer={"naam": "Gemeente Deventer", "code": "gm0150"},
    )
    assert MyLexHook("ketenbrug_mylex_deventer").get_config().archiefvormer == DEVENTER
    assert MyLexHook().get_config().archiefvormer == DEFAULT_ARCHIEFVORMER  # nothing changes


def test_an_archiefvormer_without_code_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters.mylex.hook import MyLexHook

    _connection(monkeypatch, "ketenbrug_mylex", archiefvormer={"naam": "Gemeente Raalte"})
    with pytest.raises(ConfigError, match="archiefvormer"):
        MyLexHook().get_config()

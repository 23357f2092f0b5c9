"""The new archive's listing (ZGW Documenten API of the e-Suite) for nightly reconciliation."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from adapters.errors import ConfigError, KetenbrugError, PermanentError, TransientError
from adapters.esuite.archive import ArchiveListingEntry, EsuiteArchive, zgw_base_url
from simulators.esuite import make_esuite_server
from simulators.faults import FaultConfig
from simulators.testing import SimulatorHandle
from stuf import Document, Zaak
from tests.adapters_esuite.conftest import ZAAK_ID, make_config


def _add(esuite: SimulatorHandle, number: int) -> tuple[str, str, int]:
    identificatie = f"0153ESUITED{number:07d}"
    content = f"document {number}".encode() * (number % 7 + 1)
    document = Document(
        identificatie=identificatie,
        titel=f"Document {number}",
        zaak_identificatie=ZAAK_ID,
        creatiedatum=date(2025, 3, 4),
        formaat="application/pdf",
        inhoud=content,
    )
    esuite.store.add_document(document)
    return identificatie, hashlib.sha256(content).hexdigest(), len(content)


def test_listing_pages_through_250_documents_each_once(
    esuite: SimulatorHandle, zaak: str, archive: EsuiteArchive
) -> None:
    # added out of order: the listing is not the order of adding
    expected = {
        ident: (sha, size)
        for ident, sha, size in (_add(esuite, n) for n in reversed(range(1, 251)))
    }
    entries = list(archive.iter_documents())
    assert len(entries) == 250
    assert {e.identificatie: (e.sha256, e.size) for e in entries} == expected
    assert esuite.fault_counts()["calls"] == 3  # three pages of (at most) 100
    assert all(e.url.startswith(f"{esuite.url}/documenten/api/v1/") for e in entries)


def test_listing_is_lazy_one_page_at_a_time(
    esuite: SimulatorHandle, zaak: str, archive: EsuiteArchive
) -> None:
    for number in range(1, 151):
        _add(esuite, number)
    iterator = archive.iter_documents()
    next(iterator)
    assert esuite.fault_counts()["calls"] == 1
    assert len(list(iterator)) == 149


def test_document_added_while_paging_does_not_repeat_one(
    esuite: SimulatorHandle, zaak: str, archive: EsuiteArchive
) -> None:
    """A document added before the current position shifts the pages by one: the document at
    the end of page 1 comes again at the start of page 2, and is yielded once."""
    for number in range(100, 300):
        _add(esuite, number)
    seen: list[str] = []
    for entry in archive.iter_documents():
        seen.append(entry.identificatie)
        if len(seen) == 100:
            _add(esuite, 1)  # sorts first
    assert len(seen) == len(set(seen)) == 200


def test_empty_archive(archive: EsuiteArchive) -> None:
    assert list(archive.iter_documents()) == []


def test_document_by_identificatie(
    esuite: SimulatorHandle, zaak: str, archive: EsuiteArchive
) -> None:
    ident, sha, size = _add(esuite, 42)
    _add(esuite, 43)
    entry = archive.document(ident)
    assert entry is not None and (entry.identificatie, entry.sha256, entry.size) == (
        ident,
        sha,
        size,
    )
    assert archive.document("0153ESUITED9999999") is None
    assert esuite.fault_counts()["calls"] == 2  # one filtered request each


def test_entry_without_sha256_integriteit_has_none() -> None:
    from adapters.esuite.archive import _entry

    md5 = {"identificatie": "X", "bestandsomvang": 3, "integriteit": {"algoritme": "md5"}}
    assert _entry(md5) == ArchiveListingEntry("X", None, 3)
    upper = {"identificatie": "X", "integriteit": {"algoritme": "sha_256", "waarde": "AB" * 32}}
    assert _entry(upper).sha256 == "ab" * 32
    assert _entry({"identificatie": "X", "integriteit": None}).size is None


@pytest.mark.parametrize(
    ("variant", "kind", "error"),
    [
        ("http_503", "transient", TransientError),
        ("reset", "transient", TransientError),
        ("fo02", "transient", TransientError),  # ZGW: HTTP 500
        ("schema_invalid", "permanent", TransientError),  # cut-off JSON
        ("fo03", "permanent", PermanentError),  # ZGW: HTTP 400
    ],
)
def test_faults_classify(
    esuite: SimulatorHandle,
    zaak: str,
    archive: EsuiteArchive,
    variant: str,
    kind: str,
    error: type[KetenbrugError],
) -> None:
    _add(esuite, 1)
    esuite.server.faults.configure(
        FaultConfig.from_dict({f"{kind}_rate": 1.0, f"{kind}_variants": (variant,)})
    )
    with pytest.raises(error):
        list(archive.iter_documents())
    with pytest.raises(error):
        archive.document("0153ESUITED0000001")


def test_wrong_zgw_path_is_a_configuration_error(esuite: SimulatorHandle) -> None:
    archive = EsuiteArchive(make_config(esuite, zgw_path="/zgw/documenten/api/v1"))
    with pytest.raises(ConfigError, match="zgw_path"):
        list(archive.iter_documents())


def test_page_gone_while_paging_is_transient() -> None:
    """The listing shrank between two pages (a page number past the end: 404): retry later."""
    with make_esuite_server(zgw_page_size=2) as server:
        handle = SimulatorHandle(server)
        day = date(2025, 3, 3)
        handle.store.create_zaak(Zaak(ZAAK_ID, "PW", startdatum=day, registratiedatum=day))
        for number in range(1, 6):
            _add(handle, number)
        archive = EsuiteArchive(make_config(handle), page_wait_s=0.0)
        iterator = archive.iter_documents()
        assert len([next(iterator) for _ in range(4)]) == 4
        handle.store.reset()
        with pytest.raises(TransientError, match="pagina 3"):
            next(iterator)


def test_zgw_base_url(esuite: SimulatorHandle) -> None:
    assert zgw_base_url(make_config(esuite)) == f"{esuite.url}/documenten/api/v1"
    other = make_config(esuite, zgw_path="https://zgw.example.test/documenten/api/v1/")
    assert zgw_base_url(other) == "https://zgw.example.test/documenten/api/v1"
    with pytest.raises(ValueError, match="zgw_path"):
        make_config(esuite, zgw_path="documenten")


def test_a_passing_fault_on_a_page_is_retried_not_fatal(
    esuite: SimulatorHandle, zaak: str, archive: EsuiteArchive
) -> None:
    """One 503 in a nightly walk of many pages must not fail the walk: the page is asked again."""
    for number in range(1, 4):
        _add(esuite, number)
    esuite.server.faults.configure(
        FaultConfig.from_dict(
            {"transient_rate": 0.5, "transient_variants": ("http_503",), "seed": 3}
        )
    )
    listed = [entry.identificatie for entry in archive.iter_documents()]
    assert len(listed) == 3
    assert esuite.server.faults.counts().get("transient", 0) >= 1, "a fault was really injected"

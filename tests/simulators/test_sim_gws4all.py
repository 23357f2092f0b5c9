"""The GWS4all driver, aimed at a tiny capturing WSGI app instead of Ketenbrug's inbox."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest

from simulators.faults import FaultConfig
from simulators.gws4all import GWS4ALL_ZENDER, messages_for_zaak, push_scenario
from simulators.http import SimulatorServer
from simulators.synthetic import GWS4ALL_UNMAPPED_CODE, SyntheticData
from simulators.testing import CapturingApp
from stuf import (
    ActualiseerZaakstatus,
    Bevestiging,
    CreeerZaak,
    Fout,
    StufError,
    UpdateZaak,
    VoegZaakdocumentToe,
    ZdsVersion,
    parse_message,
    validate,
)


@pytest.fixture
def inbox() -> Iterator[tuple[SimulatorServer, CapturingApp]]:
    app = CapturingApp()
    with SimulatorServer(app, name="inbox") as server:
        yield server, app


def test_messages_are_valid_zds11_from_gws4all() -> None:
    data = SyntheticData(12, document_scale=0.02)
    zaak = next(z for z in data.zaken(50) if z.is_afgehandeld and len(z.documenten) > 2)
    messages = list(messages_for_zaak(zaak))
    kinds = [type(parse_message(m.body, soap_action=m.soap_action)) for m in messages]
    assert kinds[0] is CreeerZaak and kinds[-1] is UpdateZaak
    assert kinds.count(ActualiseerZaakstatus) == len(zaak.statussen)
    assert kinds.count(VoegZaakdocumentToe) == len(zaak.documenten)
    for message in messages:
        assert validate(message.body, ZdsVersion.V1_1) == [], message.key
        parsed = parse_message(message.body)
        assert not isinstance(parsed, Bevestiging | Fout)
        assert parsed.version is ZdsVersion.V1_1
        assert parsed.stuurgegevens.zender == GWS4ALL_ZENDER
        assert parsed.stuurgegevens.ontvanger.applicatie == "CDR"
        assert message.soap_action.startswith("http://www.egem.nl/StUF/sector/zkn/0310/")
    creeer = parse_message(messages[0].body)
    assert isinstance(creeer, CreeerZaak)
    assert creeer.zaak.initiator_bsn == zaak.client.bsn
    documents = [parse_message(m.body) for m in messages if m.operation.startswith("voeg")]
    assert all(isinstance(d, VoegZaakdocumentToe) for d in documents)
    contents = [d.document.inhoud for d in documents if isinstance(d, VoegZaakdocumentToe)]
    assert contents == [d.read_bytes() for d in zaak.documenten]


def test_push_reports_what_it_sent(inbox: tuple[SimulatorServer, CapturingApp]) -> None:
    server, app = inbox
    report = push_scenario(server.url + "/inbox/gws4all", zaken=8, seed=4)
    assert report.sent == len(app.requests) == len(report.keys)
    assert report.zaken == 8 and report.duplicates == 0 and report.malformed == 0
    assert report.by_operation["creeerZaak_Lk01"] == 8
    assert report.http_status == Counter({"200": report.sent})
    assert report.answers == Counter({"Bv03": report.sent})
    assert {r.path for r in app.requests} == {"/inbox/gws4all"}
    for request in app.requests:
        assert request.soap_action.endswith("_Lk01")
        assert request.headers["CONTENT_TYPE"].startswith("text/xml")
    assert report.as_dict()["sent"] == report.sent


def test_same_seed_same_effects(inbox: tuple[SimulatorServer, CapturingApp]) -> None:
    server, _ = inbox
    first = push_scenario(server.url, zaken=5, seed=8, duplicate_rate=0.2, unmapped_rate=0.2)
    second = push_scenario(server.url, zaken=5, seed=8, duplicate_rate=0.2, unmapped_rate=0.2)
    assert first.keys == second.keys
    assert (first.duplicates, first.unmapped) == (second.duplicates, second.unmapped)


def test_duplicates_are_byte_identical_resends(
    inbox: tuple[SimulatorServer, CapturingApp],
) -> None:
    server, app = inbox
    report = push_scenario(server.url, zaken=10, seed=5, duplicate_rate=0.3)
    assert report.duplicates > 0
    bodies = Counter(r.body for r in app.requests)
    assert sum(n - 1 for n in bodies.values()) == report.duplicates
    assert len(set(report.keys)) == len(report.keys)  # keys count each effect once


def test_malformed_and_unmapped(inbox: tuple[SimulatorServer, CapturingApp]) -> None:
    server, app = inbox
    report = push_scenario(server.url, zaken=6, seed=6, inject_malformed=4, unmapped_rate=0.5)
    assert report.malformed == 4 and len(report.malformed_keys) == 4
    broken = 0
    unmapped = 0
    for request in app.requests:
        try:
            message = parse_message(request.body)
        except StufError:
            broken += 1
            continue
        if validate(request.body, ZdsVersion.V1_1):
            broken += 1
        elif isinstance(message, ActualiseerZaakstatus):
            unmapped += message.wordt.statustype_code == GWS4ALL_UNMAPPED_CODE
    assert broken == 4
    assert unmapped == report.unmapped > 0


def test_concurrency_keeps_each_zaak_in_order(
    inbox: tuple[SimulatorServer, CapturingApp],
) -> None:
    server, app = inbox
    report = push_scenario(server.url, zaken=24, seed=7, concurrency=6, include_documents=False)
    assert report.zaken == 24 and report.transport_errors == 0
    per_zaak: dict[str, list[str]] = defaultdict(list)
    for request in app.requests:
        message = parse_message(request.body)
        if isinstance(message, CreeerZaak):
            per_zaak[message.zaak.identificatie].append("creeer")
        elif isinstance(message, ActualiseerZaakstatus):
            per_zaak[message.zaak_identificatie].append(str(message.wordt.statustype_volgnummer))
    assert len(per_zaak) == 24
    for sequence in per_zaak.values():
        assert sequence[0] == "creeer"
        volgnummers = [int(v) for v in sequence[1:]]
        assert volgnummers == sorted(volgnummers)


def test_unreachable_inbox_is_counted_not_raised() -> None:
    with SimulatorServer(CapturingApp()) as server:
        url = server.url
    report = push_scenario(url, zaken=1, seed=1, include_documents=False, timeout=1)
    assert report.transport_errors == report.sent > 0


def test_retries_resend_until_delivered(inbox: tuple[SimulatorServer, CapturingApp]) -> None:
    server, app = inbox
    server.faults.configure(
        FaultConfig(transient_rate=0.3, seed=3, transient_variants=("http_503", "reset"))
    )
    report = push_scenario(
        server.url, zaken=6, seed=2, include_documents=False, retries=8, retry_backoff_s=0.001
    )
    injected = server.faults.counts()["transient"]
    assert report.retried == injected > 0
    assert report.sent == len(report.keys) + report.retried
    assert len(app.requests) == len(report.keys)  # every message arrived exactly once


def test_lost_answers_make_duplicates_at_the_receiver(
    inbox: tuple[SimulatorServer, CapturingApp],
) -> None:
    server, app = inbox
    server.faults.configure(
        FaultConfig(transient_rate=0.3, seed=4, transient_variants=("lost_response",))
    )
    report = push_scenario(
        server.url, zaken=6, seed=2, include_documents=False, retries=8, retry_backoff_s=0.001
    )
    lost = server.faults.counts()["transient"]
    assert lost > 0
    assert len(app.requests) == len(report.keys) + lost  # at-least-once: the inbox must dedupe

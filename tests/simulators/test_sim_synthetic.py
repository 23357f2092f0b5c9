"""The synthetic data generator: deterministic, valid, realistic, and streaming."""

from __future__ import annotations

import hashlib
import inspect
import re
from itertools import islice

import psutil

from privacy.masking import is_valid_bsn
from simulators.pdf import pdf_bytes, pdf_chunks
from simulators.synthetic import (
    GWS4ALL_STATUS_CHAIN,
    GWS4ALL_UNMAPPED_CODE,
    ZAAKTYPEN,
    SyntheticData,
    bsn_for_index,
    iban_for_index,
)


def test_status_chain_is_the_twelve_step_bijstandsaanvraag() -> None:
    assert [v for _, v, _ in GWS4ALL_STATUS_CHAIN] == list(range(1, 13))
    codes = [code for code, _, _ in GWS4ALL_STATUS_CHAIN]
    assert len(set(codes)) == 12
    assert GWS4ALL_UNMAPPED_CODE not in codes
    # ZKN statustype and zaaktype codes are at most 10 characters in the ZDS schemas
    assert all(len(code) <= 10 for code in [*codes, GWS4ALL_UNMAPPED_CODE, *ZAAKTYPEN])


def test_same_seed_same_data_other_seed_other_data() -> None:
    first = list(SyntheticData(7, document_scale=0.01).zaken(50))
    again = list(SyntheticData(7, document_scale=0.01).zaken(50))
    other = list(SyntheticData(8, document_scale=0.01).zaken(50))
    assert first == again
    assert [d.sha256 for z in first for d in z.documenten] == [
        d.sha256 for z in again for d in z.documenten
    ]
    assert first != other


def test_random_access_matches_the_stream() -> None:
    data = SyntheticData(3)
    streamed = list(data.zaken(30, start=100))
    assert streamed[17] == data.zaak(117)
    assert data.client(streamed[5].client.index) == streamed[5].client


def test_bsns_are_valid_and_unique() -> None:
    bsns = [c.bsn for c in SyntheticData(1).clients(20_000)]
    assert all(is_valid_bsn(b) for b in bsns)
    assert len(set(bsns)) == len(bsns)
    # the mapping from index to BSN is a bijection on the 7-digit core: spot-check far indexes
    far = {bsn_for_index(i, seed=1) for i in range(9_990_000, 10_000_000)}
    assert len(far) == 10_000 and all(is_valid_bsn(b) for b in far)


def test_bsn_never_in_repr() -> None:
    zaak = SyntheticData(2).zaak(0)
    assert zaak.client.bsn not in repr(zaak)
    assert zaak.client.bsn not in repr(zaak.client)
    assert zaak.client.bsn_masked.endswith(zaak.client.bsn[-4:])


def test_clients_look_dutch_and_plausible() -> None:
    for client in SyntheticData(4).clients(200):
        assert re.fullmatch(r"75\d\d [A-Z]{2}", client.postcode)
        assert client.woonplaats == "Enschede"
        assert client.geslachtsaanduiding in ("M", "V")
        assert 1 <= client.huisnummer <= 250
        numeric = "".join(str(int(ch, 36)) for ch in client.iban[4:] + client.iban[:4])
        assert int(numeric) % 97 == 1
    assert iban_for_index(5).startswith("NL")


def test_status_histories_follow_the_chain() -> None:
    chain = {code: volgnummer for code, volgnummer, _ in GWS4ALL_STATUS_CHAIN}
    finished = 0
    for zaak in SyntheticData(5).zaken(500):
        steps = ZAAKTYPEN[zaak.zaaktype_code].steps
        volgnummers = [s.volgnummer for s in zaak.statussen]
        assert volgnummers[0] == 1
        assert volgnummers == sorted(set(volgnummers))
        assert set(volgnummers) <= set(steps)
        assert all(chain[s.code] == s.volgnummer for s in zaak.statussen)
        moments = [s.datum_status_gezet for s in zaak.statussen]
        assert moments == sorted(moments) and all(m.tzinfo is not None for m in moments)
        assert (zaak.einddatum is not None) == (volgnummers[-1] == 12)
        finished += zaak.is_afgehandeld
        assert zaak.documenten[0].titel == "Aanvraagformulier"
        assert len({d.identificatie for d in zaak.documenten}) == len(zaak.documenten)
    assert 150 < finished < 450  # a mix of running and finished zaken
    assert {z.zaaktype_code for z in SyntheticData(5).zaken(200)} == set(ZAAKTYPEN)


def test_documents_are_real_pdfs_of_the_requested_size() -> None:
    zaak = SyntheticData(6, document_scale=0.1).zaak(3)
    for doc in zaak.documenten:
        content = doc.read_bytes()
        assert content.startswith(b"%PDF-1.4") and content.rstrip().endswith(b"%%EOF")
        assert abs(len(content) - doc.size) <= 8 or doc.size < 1_000
        assert hashlib.sha256(content).hexdigest() == doc.sha256
        assert b"".join(doc.iter_bytes(chunk_size=1000)) == content
        _assert_xref_consistent(content)


def test_pdf_size_is_exact_and_streaming_does_not_build_it() -> None:
    content = pdf_bytes("Brief", ["Regel één (met haakjes)"], size=123_456, seed=9)
    assert len(content) == 123_456
    _assert_xref_consistent(content)
    chunks = pdf_chunks("Groot", size=50_000_000, seed=1, chunk_size=1 << 20)
    is_generator = inspect.isgenerator(chunks)  # (a bare assert would narrow the type)
    assert is_generator
    assert max(len(c) for c in islice(chunks, 5)) <= 1 << 20


def _assert_xref_consistent(content: bytes) -> None:
    startxref = int(content.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    assert content[startxref:].startswith(b"xref\n0 7\n")
    entries = content[startxref:].split(b"\n")[3:9]
    for number, entry in enumerate(entries, start=1):
        offset = int(entry[:10])
        assert content[offset:].startswith(b"%d 0 obj" % number)


def test_betaalspecificaties_in_cents_with_corrections() -> None:
    data = SyntheticData(7)
    specs = list(data.betaalspecificaties("2025-03", 2_000, correction_rate=0.05))
    firsts = [s for s in specs if s.versie == 1]
    corrections = [s for s in specs if s.versie == 2]
    assert len(firsts) == 2_000
    assert 50 < len(corrections) < 160
    assert len({(s.client.index, s.periode, s.versie) for s in specs}) == len(specs)
    for spec in specs:
        assert all(isinstance(r.bedrag_cent, int) for r in spec.regels)
        assert spec.totaal_cent == sum(r.bedrag_cent for r in spec.regels)
        assert spec.regels[0].bedrag_cent > 0 and spec.regels[1].bedrag_cent < 0
        assert spec.uitbetaaldatum.isoformat().startswith("2025-03")
    assert list(data.betaalspecificaties("2025-03", 10)) == list(
        data.betaalspecificaties("2025-03", 10)
    )
    doc = firsts[0].document()
    assert doc.read_bytes().startswith(b"%PDF") and doc.bestandsnaam.endswith("-v1.pdf")


def test_zaken_stream_with_flat_memory() -> None:
    """The generator must scale to a million zaken: memory does not grow with the count.

    60,000 zaken keep the suite fast; held in a list they would take well over 200 MB, so a
    generator that accumulated anything per zaak would show here.
    """
    data = SyntheticData(11)
    stream = data.zaken(60_000)
    is_generator = inspect.isgenerator(stream)
    assert is_generator
    process = psutil.Process()
    statuses = 0
    for i, zaak in enumerate(stream):
        statuses += len(zaak.statussen)
        if i == 10_000:
            baseline = process.memory_info().rss
    growth = process.memory_info().rss - baseline
    assert statuses > 60_000
    assert growth < 8 * 1024 * 1024, f"RSS grew {growth / 1e6:.1f} MB over 50,000 zaken"

"""Inbound: real examples, round trips, leniency with warnings, precise errors, no BSN leaks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from stuf import (
    ActualiseerZaakstatus,
    Bevestiging,
    CreeerZaak,
    Fout,
    GeefLijstZaakdocumenten,
    GeefZaakdetails,
    LijstZaakdocumentenAntwoord,
    NoValue,
    SoapVersion,
    StufError,
    UpdateZaak,
    VoegZaakdocumentToe,
    ZaakdetailsAntwoord,
    ZdsVersion,
    build_message,
    parse_message,
    soap_action_for,
)
from tests.stuf.conftest import BSN, EXAMPLES, REFERENCE, ZAAK, all_samples, sg

SAMPLES = all_samples()
IDS = [f"{i}-{type(m).__name__}" for i, m in enumerate(SAMPLES)]


@pytest.mark.parametrize("soap", list(SoapVersion))
@pytest.mark.parametrize("version", list(ZdsVersion))
@pytest.mark.parametrize("message", SAMPLES, ids=IDS)
def test_build_parse_build_is_stable(
    message: object, version: ZdsVersion, soap: SoapVersion
) -> None:
    data = build_message(message, version, soap=soap)  # type: ignore[arg-type]
    parsed = parse_message(data, soap_action=soap_action_for(message, version))  # type: ignore[arg-type]
    assert type(parsed) is type(message)
    assert parsed.warnings == []
    assert build_message(parsed, version, soap=soap) == data


@pytest.mark.parametrize("version", list(ZdsVersion))
def test_version_is_detected_and_1_1_functions_told_apart_without_action(
    version: ZdsVersion,
) -> None:
    for message in SAMPLES:
        parsed = parse_message(build_message(message, version))  # type: ignore[arg-type]
        assert type(parsed) is type(message)
        if not isinstance(parsed, Bevestiging | Fout):
            assert parsed.version is version


def test_frank_example_zds11_shape() -> None:
    message = parse_message((EXAMPLES / "frank_creeerZaak_input_example.xml").read_bytes())
    assert isinstance(message, CreeerZaak)
    assert message.version is ZdsVersion.V1_1
    assert message.stuurgegevens.zender.applicatie == "GWS4all"
    assert message.stuurgegevens.tijdstip_bericht == "20220323121824704"
    zaak = message.zaak
    assert (zaak.identificatie, zaak.zaaktype_code) == ("12345", "B1026")
    assert zaak.startdatum == date(2020, 3, 9)
    assert zaak.einddatum_gepland == date(2020, 4, 20)
    assert zaak.initiator_bsn == "111111110"
    assert "111111110" not in repr(message)


def test_gisvg_default_namespace_is_matched_by_uri() -> None:
    message = parse_message((EXAMPLES / "gisvg_creeerZaak_zakLk01.xml").read_bytes())
    assert isinstance(message, CreeerZaak)
    assert message.zaak.identificatie == "1900852"
    assert message.zaak.toelichting == "Reguliere omgevingsvergunning"
    assert message.zaak.zaaktype_code == "B1210"


def test_haarlem_zds12_lowercase_prefixes() -> None:
    message = parse_message((EXAMPLES / "haarlem_creeerZaak_zakLk01.xml").read_bytes())
    assert isinstance(message, CreeerZaak)
    assert message.version is ZdsVersion.V1_2
    assert message.stuurgegevens.zender.administratie == "MOR"
    assert message.zaak.identificatie == "0392-2020-0000027"


def test_openforms_bv03_with_comment_inside() -> None:
    message = parse_message((EXAMPLES / "openforms_mock_Bv03.xml").read_bytes())
    assert isinstance(message, Bevestiging)
    assert message.berichtcode == "Bv03"
    assert message.stuurgegevens is not None
    assert message.stuurgegevens.cross_refnummer == "abeab17b-03cb-477b-95af-410f07947f40"
    assert message.stuurgegevens.zender.gebruiker == ""  # present and empty, not absent


def test_openforms_fo02_in_soap12_fault_returns_fout() -> None:
    message = parse_message((EXAMPLES / "openforms_mock_Fo02_soapFault.xml").read_bytes())
    assert isinstance(message, Fout)
    assert (message.berichtcode, message.code, message.plek) == ("Fo02", "StUF055", "client")
    assert message.details is not None and "medewerkeridentificatie" in message.details


def test_soap_fault_without_stuf_body_raises() -> None:
    data = (
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>'
        b"<faultcode>s:Server</faultcode><faultstring>BSN 123456789 kapot</faultstring>"
        b"</s:Fault></s:Body></s:Envelope>"
    )
    with pytest.raises(StufError) as info:
        parse_message(data)
    assert info.value.code == "StUF058"
    assert "123456789" not in str(info.value)
    assert "*****6789" in str(info.value)


ZDS11_HEAD = (
    '<ZKN:edcLk01 xmlns:ZKN="http://www.egem.nl/StUF/sector/zkn/0310" '
    'xmlns:StUF="http://www.egem.nl/StUF/StUF0301" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<ZKN:stuurgegevens><StUF:berichtcode>Lk01</StUF:berichtcode>"
    "<StUF:zender><StUF:organisatie>1900</StUF:organisatie><StUF:applicatie>GWS4all</StUF:applicatie>"
    "<StUF:gebruiker>Gebruiker</StUF:gebruiker></StUF:zender>"
    "<StUF:ontvanger><StUF:organisatie>1900</StUF:organisatie><StUF:applicatie>CDR</StUF:applicatie>"
    "</StUF:ontvanger><StUF:referentienummer>{ref}</StUF:referentienummer>"
    "<StUF:tijdstipBericht>{tijdstip}</StUF:tijdstipBericht><StUF:entiteittype>EDC</StUF:entiteittype>"
    "</ZKN:stuurgegevens><ZKN:parameters><StUF:mutatiesoort>T</StUF:mutatiesoort>"
    "<StUF:indicatorOvername>V</StUF:indicatorOvername></ZKN:parameters>"
    '<ZKN:object StUF:entiteittype="EDC" StUF:verwerkingssoort="T">'
    "<ZKN:identificatie>DOC-1</ZKN:identificatie><ZKN:titel>t</ZKN:titel>{inhoud}"
    "</ZKN:object></ZKN:edcLk01>"
)


def gws_edc(*, ref: str = "r-1", tijdstip: str = "2024010203040567", inhoud: str = "") -> bytes:
    return ZDS11_HEAD.format(ref=ref, tijdstip=tijdstip, inhoud=inhoud).encode()


def test_gws4all_quirks_are_accepted_with_warnings() -> None:
    data = gws_edc(ref="x" * 55, inhoud='<ZKN:inhoud xsi:nil="true" StUF:bestandsnaam="a.pdf"/>')
    message = parse_message(data)
    assert isinstance(message, VoegZaakdocumentToe)
    assert message.version is ZdsVersion.V1_1
    assert message.stuurgegevens.referentienummer == "x" * 55
    assert message.document.inhoud is NoValue.NIL
    assert message.document.bestandsnaam == "a.pdf"
    assert any("referentienummer" in w and "55" in w for w in message.warnings)
    assert any("inhoud" in w and "nil" in w for w in message.warnings)


def test_tijdstip_bericht_of_8_to_17_digits_is_kept_verbatim() -> None:
    for tijdstip in ("20240102", "2024010203", "20240102030405678"):
        message = parse_message(gws_edc(tijdstip=tijdstip))
        assert message.stuurgegevens is not None
        assert message.stuurgegevens.tijdstip_bericht == tijdstip
        assert message.warnings == []
    message = parse_message(gws_edc(tijdstip="2024-01-02"))
    assert any("tijdstipBericht" in w for w in message.warnings)


@pytest.mark.parametrize(
    ("inhoud", "expected"),
    [
        ("", None),
        ('<ZKN:inhoud StUF:bestandsnaam="a"></ZKN:inhoud>', b""),
        ('<ZKN:inhoud StUF:bestandsnaam="a">aGVs\n bG8=</ZKN:inhoud>', b"hello"),
        (
            '<ZKN:inhoud xsi:nil="true" StUF:noValue="geenWaarde" StUF:bestandsnaam="a"/>',
            NoValue.GEEN_WAARDE,
        ),
    ],
)
def test_absent_empty_value_and_novalue_stay_distinct(inhoud: str, expected: object) -> None:
    message = parse_message(gws_edc(inhoud=inhoud))
    assert isinstance(message, VoegZaakdocumentToe)
    assert message.document.inhoud == expected


def test_text_field_states() -> None:
    from stuf import Zaak

    zaak = Zaak(
        "ZAAK-0001",
        "B1",
        omschrijving="",
        toelichting=NoValue.WAARDE_ONBEKEND,
        startdatum=date(2024, 1, 1),
        registratiedatum=date(2024, 1, 1),
        einddatum=NoValue.NIL,
    )
    for version in ZdsVersion:
        parsed = parse_message(build_message(CreeerZaak(sg(), zaak), version))
        assert isinstance(parsed, CreeerZaak)
        assert parsed.zaak.omschrijving == ""
        assert parsed.zaak.toelichting is NoValue.WAARDE_ONBEKEND
        assert parsed.zaak.einddatum is NoValue.NIL
        assert parsed.zaak.einddatum_gepland is None


def test_zaakdetails_answer_carries_status_history() -> None:
    msg = next(m for m in SAMPLES if isinstance(m, ZaakdetailsAntwoord) and m.zaak)
    parsed = parse_message(build_message(msg, ZdsVersion.V1_2))
    assert isinstance(parsed, ZaakdetailsAntwoord)
    assert [s.statustype_code for s in parsed.statussen] == ["ontv", "besl"]
    assert parsed.statussen[0].datum_status_gezet == msg.statussen[0].datum_status_gezet
    assert parsed.statussen[0].gezet_door == "Med75"
    assert all(s.zaak_identificatie == "ZAAK-0001" for s in parsed.statussen)


def test_soap_action_decides_ambiguous_11_messages() -> None:
    msg = next(m for m in SAMPLES if isinstance(m, UpdateZaak))
    data = build_message(msg, ZdsVersion.V1_1)
    assert isinstance(parse_message(data), UpdateZaak)
    action = '"http://www.egem.nl/StUF/sector/zkn/0310/updateZaak_Lk01"'
    assert isinstance(parse_message(data, soap_action=action), UpdateZaak)
    lv = build_message(GeefLijstZaakdocumenten(sg("Lv01"), "ZAAK-0001"), ZdsVersion.V1_1)
    assert isinstance(parse_message(lv), GeefLijstZaakdocumenten)
    la = build_message(LijstZaakdocumentenAntwoord(sg("La01"), "ZAAK-0001", []), ZdsVersion.V1_1)
    assert isinstance(parse_message(la), LijstZaakdocumentenAntwoord)
    gzd = build_message(GeefZaakdetails(sg("Lv01"), "ZAAK-0001"), ZdsVersion.V1_1)
    assert isinstance(parse_message(gzd), GeefZaakdetails)


def test_bare_message_without_envelope() -> None:
    from lxml import etree

    from stuf.build import build_element

    element = build_element(CreeerZaak(sg(), ZAAK), ZdsVersion.V1_2)
    parsed = parse_message(etree.tostring(element))
    assert isinstance(parsed, CreeerZaak)
    assert parsed.zaak == ZAAK


@pytest.mark.parametrize(
    ("data", "code", "plek"),
    [
        (b"<a/>", "StUF055", "/"),
        (b"not xml", "StUF055", "/"),
        (b'<ZKN:zakLk09 xmlns:ZKN="http://www.egem.nl/StUF/sector/zkn/0310"/>', "StUF019", "/"),
        (
            b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>',
            "StUF055",
            "/Envelope/Body",
        ),
        (
            gws_edc().replace(b"<ZKN:identificatie>DOC-1</ZKN:identificatie>", b""),
            "StUF055",
            "/edcLk01/object/identificatie",
        ),
        (
            gws_edc(inhoud='<ZKN:inhoud StUF:bestandsnaam="a">!!!</ZKN:inhoud>'),
            "StUF055",
            "/edcLk01/object/inhoud",
        ),
    ],
)
def test_unclear_meaning_raises_stuf_error(data: bytes, code: str, plek: str) -> None:
    with pytest.raises(StufError) as info:
        parse_message(data)
    assert (info.value.code, info.value.plek) == (code, plek)
    assert info.value.berichtcode in ("Fo01", "Fo02", "Fo03")
    assert info.value.omschrijving


def test_lk01_errors_answer_with_fo03_and_never_show_a_bsn() -> None:
    data = build_message(CreeerZaak(sg(), ZAAK), ZdsVersion.V1_2)
    bad = data.replace(b"<ZKN:startdatum>20240102<", f"<ZKN:startdatum>{BSN}<".encode())
    with pytest.raises(StufError) as info:
        parse_message(bad)
    assert info.value.berichtcode == "Fo03"
    assert info.value.plek == "/creeerZaak_ZakLk01/object/startdatum"
    assert BSN not in str(info.value) and BSN not in repr(info.value)


def test_actualiseer_status_parsed_from_11() -> None:
    msg = next(m for m in SAMPLES if isinstance(m, ActualiseerZaakstatus) and m.was)
    parsed = parse_message(build_message(msg, ZdsVersion.V1_1))
    assert isinstance(parsed, ActualiseerZaakstatus)
    assert (parsed.zaak_identificatie, parsed.was, parsed.wordt) == (
        msg.zaak_identificatie,
        msg.was,
        msg.wordt,
    )


@pytest.mark.skipif(not (REFERENCE / "ssd").exists(), reason="no ssd reference")
def test_non_stuf_soap_from_other_references_is_refused_cleanly() -> None:
    files = [p for p in (REFERENCE / "ssd").rglob("*.xml")][:20]
    files += [p for p in (REFERENCE / "suwinet").rglob("*.xml")][:20]
    for path in files:
        try:
            parse_message(path.read_bytes())
        except StufError as exc:
            assert exc.code in ("StUF019", "StUF055", "StUF058")


def test_berichtcode_that_contradicts_the_element_is_refused() -> None:
    """A zakLk01 whose stuurgegevens say Lk99 has no clear meaning (GWS4all 'schema_broken')."""
    import stuf as codec

    gws, cdr = codec.Systeem("1900", "GWS4all"), codec.Systeem("1900", "CDR")
    status = codec.ZaakStatus(
        zaak_identificatie="1900Z-0001",
        statustype_code="GWS-AV-01",
        statustype_volgnummer=1,
        datum_status_gezet=datetime(2026, 1, 2, 10, 0, tzinfo=UTC),
        zaaktype_code="PW-LO-AANV",
    )
    message = codec.ActualiseerZaakstatus(
        codec.new_stuurgegevens("Lk01", gws, cdr, entiteittype="ZAK"),
        zaak_identificatie="1900Z-0001",
        wordt=status,
    )
    body = codec.build_message(message, codec.ZdsVersion.V1_1)
    with pytest.raises(codec.StufError) as caught:
        codec.parse_message(body.replace(b"berichtcode>Lk01<", b"berichtcode>Lk99<"))
    assert caught.value.code == "StUF019"
    assert caught.value.plek.endswith("stuurgegevens/berichtcode")
    bv03 = codec.Bevestiging(
        "Bv03", stuurgegevens=codec.new_stuurgegevens("Bv03", cdr, gws, cross_refnummer="r-1")
    )
    answer = codec.build_message(bv03, codec.ZdsVersion.V1_1)
    with pytest.raises(codec.StufError):
        codec.parse_message(answer.replace(b"berichtcode>Bv03<", b"berichtcode>Xx99<"))

"""Property tests: build → parse → build is stable; mutated input raises only StufError."""

from __future__ import annotations

import contextlib
from datetime import date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stuf import (
    ActualiseerZaakstatus,
    CreeerZaak,
    Document,
    NoValue,
    SoapVersion,
    StufError,
    UpdateZaak,
    VoegZaakdocumentToe,
    Zaak,
    ZaakdetailsAntwoord,
    ZaakStatus,
    ZdsVersion,
    build_message,
    parse_message,
    validate,
)
from stuf.values import AMSTERDAM
from tests.stuf.conftest import all_samples, sg

# XML-safe text without leading/trailing space games the schema would normalise.
_chars = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
text = st.text(_chars, min_size=1, max_size=30).filter(lambda s: s.strip() == s and s)
novalue = st.sampled_from(list(NoValue))
optional_text = st.one_of(st.none(), st.just(""), novalue, text)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
optional_date = st.one_of(st.none(), novalue, dates)
ident = st.from_regex(r"[A-Z0-9][A-Za-z0-9-]{4,20}", fullmatch=True)
_EARLIEST = datetime(1990, 1, 1, tzinfo=AMSTERDAM).replace(tzinfo=None)
_LATEST = datetime(2090, 1, 1, tzinfo=AMSTERDAM).replace(tzinfo=None)
moments = st.datetimes(min_value=_EARLIEST, max_value=_LATEST).map(
    lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000, tzinfo=AMSTERDAM, fold=0)
)
bsn = st.one_of(st.none(), st.from_regex(r"[0-9]{9}", fullmatch=True))

zaken = st.builds(
    Zaak,
    identificatie=ident,
    zaaktype_code=text,
    zaaktype_omschrijving=optional_text,
    omschrijving=optional_text,
    toelichting=optional_text,
    startdatum=dates,
    registratiedatum=dates,
    einddatum=optional_date,
    initiator_bsn=bsn,
    einddatum_gepland=optional_date,
)
statussen = st.builds(
    ZaakStatus,
    zaak_identificatie=st.just("ZAAK-0001"),
    statustype_code=st.one_of(text, novalue),
    statustype_volgnummer=st.integers(0, 9999),
    datum_status_gezet=moments,
    zaaktype_code=st.one_of(st.none(), text),
    statustype_omschrijving=st.one_of(text, st.just("")),
    toelichting=optional_text,
    gezet_door=st.one_of(st.none(), ident),
)
documenten = st.builds(
    Document,
    identificatie=ident,
    titel=text,
    zaak_identificatie=st.one_of(st.none(), ident),
    documenttype_omschrijving=text,
    bestandsnaam=text,
    formaat=optional_text,
    creatiedatum=dates,
    taal=st.one_of(st.sampled_from(["nld", "eng"]), novalue),
    vertrouwelijkheid=st.sampled_from(["OPENBAAR", "VERTROUWELIJK", "INTERN"]),
    auteur=text,
    inhoud=st.one_of(st.binary(max_size=200), st.just(NoValue.NIL)),
    content_type=st.one_of(st.none(), st.just("application/pdf")),
)
messages = st.one_of(
    zaken.map(lambda z: CreeerZaak(sg(), z)),
    st.tuples(zaken, zaken).map(lambda p: UpdateZaak(sg(), p[0], p[1])),
    st.tuples(statussen, st.one_of(st.none(), statussen)).map(
        lambda p: ActualiseerZaakstatus(sg(), "ZAAK-0001", p[0], p[1])
    ),
    st.tuples(zaken, st.lists(statussen, max_size=3)).map(
        lambda p: ZaakdetailsAntwoord(sg("La01"), p[0], p[1])
    ),
    documenten.map(lambda d: VoegZaakdocumentToe(sg(), d)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    message=messages,
    version=st.sampled_from(list(ZdsVersion)),
    soap=st.sampled_from(list(SoapVersion)),
)
def test_build_parse_build_is_stable(
    message: object, version: ZdsVersion, soap: SoapVersion
) -> None:
    try:
        first = build_message(message, version, soap=soap)  # type: ignore[arg-type]
    except StufError:
        return  # outbound strictness (e.g. nil where the schema forbids it) is allowed to refuse
    parsed = parse_message(first)
    second = build_message(parsed, version, soap=soap)
    assert second == first
    assert parse_message(second) == parsed


@settings(max_examples=60, deadline=None)
@given(message=messages, version=st.sampled_from(list(ZdsVersion)))
def test_built_messages_that_build_are_schema_valid_or_refused(
    message: object, version: ZdsVersion
) -> None:
    try:
        data = build_message(message, version)  # type: ignore[arg-type]
    except StufError:
        return
    findings = validate(data, version)
    # Free text may break a length facet the codec does not police; everything else must hold.
    assert all("maxLength" in f or "minLength" in f or "pattern" in f for f in findings), findings


BASES = [build_message(m, v) for m in all_samples() for v in ZdsVersion]


@settings(max_examples=400, deadline=None)
@given(
    base=st.sampled_from(BASES),
    position=st.integers(min_value=0),
    length=st.integers(min_value=1, max_value=12),
    junk=st.binary(max_size=12),
)
def test_mutated_input_raises_only_stuf_error(
    base: bytes, position: int, length: int, junk: bytes
) -> None:
    cut = position % len(base)
    mutated = base[:cut] + junk + base[cut + length :]
    try:
        parse_message(mutated)
    except StufError as exc:
        assert exc.berichtcode in ("Fo01", "Fo02", "Fo03")
        assert exc.code.startswith("StUF")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_stuf_error(data: bytes) -> None:
    with contextlib.suppress(StufError):
        parse_message(data)

"""Builders for the synthetic generator: one seeded ``random.Random`` in, one item out."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TypeVar

from simulators import _names
from simulators.synthetic_model import (
    _CHAIN_BY_VOLGNUMMER,
    _OPTIONAL_STEPS,
    _ZAAKTYPE_LIST,
    _ZAAKTYPE_WEIGHTS,
    TZ,
    BetaalRegel,
    Betaalspecificatie,
    SynthClient,
    SynthDocument,
    SynthStatus,
    SynthZaak,
    Zaaktype,
    bsn_for_index,
)

T = TypeVar("T")

_FIRST_DAY = date(2023, 1, 2)
_REFERENCE_DAY = date(2025, 1, 1)
_STATUS_LETTERS = {
    2: "Verzoek om aanvullende gegevens",
    4: "Opschortingsbrief hersteltermijn",
    6: "Brief klaargezet op loket",
    9: "Beschikking levensonderhoud",
    12: "Besluit op aanvraag",
}


def _int(rng: random.Random, low: int, high: int) -> int:
    """Uniform int in [low, high]; ``random()`` based, several times faster than ``randint``.

    At a million zaken the generator's cost is mostly these draws, hence the shortcut.
    """
    return low + int(rng.random() * (high - low + 1))


def _pick(rng: random.Random, seq: Sequence[T]) -> T:
    return seq[int(rng.random() * len(seq))]


_CUMULATIVE = tuple(itertools.accumulate(_ZAAKTYPE_WEIGHTS))


def _weighted(rng: random.Random) -> Zaaktype:
    point = rng.random() * _CUMULATIVE[-1]
    for zaaktype, edge in zip(_ZAAKTYPE_LIST, _CUMULATIVE, strict=True):
        if point < edge:
            return zaaktype
    return _ZAAKTYPE_LIST[-1]


def build_client(rng: random.Random, seed: int, index: int) -> SynthClient:
    """One client; the BSN and IBAN depend on the index only, the rest on ``rng``."""
    man = rng.random() < 0.5
    names = _names.VOORNAMEN_M if man else _names.VOORNAMEN_V
    voornamen = _pick(rng, names)
    if rng.random() < 0.4:
        voornamen += " " + _pick(rng, names)
    voorvoegsel, geslachtsnaam = _pick(rng, _names.GESLACHTSNAMEN)
    straat, low, high = _pick(rng, _names.STRATEN)
    letters = _names.POSTCODE_LETTERS
    postcode = f"{_int(rng, low, high)} {_pick(rng, letters)}{_pick(rng, letters)}"
    return SynthClient(
        index=index,
        bsn=bsn_for_index(index, seed),
        clientnummer=str(30_000_000 + index),  # GWS4all: 8 digits (SSD CodeN10)
        voornamen=voornamen,
        voorvoegsel=voorvoegsel,
        geslachtsnaam=geslachtsnaam,
        geslachtsaanduiding="M" if man else "V",
        geboortedatum=_REFERENCE_DAY - timedelta(days=_int(rng, 18 * 365 + 5, 80 * 365)),
        straat=straat,
        huisnummer=_int(rng, 1, 250),
        postcode=postcode,
        woonplaats=_names.WOONPLAATS,
        seed=seed,
    )


def _history(rng: random.Random, steps: tuple[int, ...], start: datetime) -> list[SynthStatus]:
    chosen = [s for s in steps if s not in _OPTIONAL_STEPS or rng.random() < 0.35]
    if rng.random() < 0.4:  # still running: the history stops somewhere along the chain
        chosen = chosen[: _int(rng, 1, len(chosen))]
    moment = start
    history = []
    for volgnummer in chosen:
        code, omschrijving = _CHAIN_BY_VOLGNUMMER[volgnummer]
        history.append(SynthStatus(code, volgnummer, omschrijving, moment))
        moment += timedelta(minutes=_int(rng, 45, 10 * 24 * 60))
    return history


def _document(
    rng: random.Random, zaak_id: str, nr: int, titel: str, day: date, size: int
) -> SynthDocument:
    documenttype = "Aanvraagformulier" if nr == 1 else "Brief"
    slug = titel.lower().replace(" ", "-")
    return SynthDocument(
        identificatie=f"{zaak_id}-D{nr:02d}",
        zaak_identificatie=zaak_id,
        titel=titel,
        bestandsnaam=f"{slug}-{zaak_id}.pdf",
        creatiedatum=day,
        size=size,
        seed=rng.getrandbits(48),
        documenttype=documenttype,
        lines=(f"Zaak {zaak_id}", f"Datum {day.isoformat()}", "Gemeente Enschede, Werk en Inkomen"),
    )


def build_zaak(rng: random.Random, index: int, client: SynthClient, scale: float) -> SynthZaak:
    """One zaak with its status history and document metadata (no document bytes yet)."""
    zaaktype = _weighted(rng)
    startdatum = _FIRST_DAY + timedelta(days=_int(rng, 0, 3 * 365 - 1))
    registratiedatum = startdatum + timedelta(days=_int(rng, 0, 3))
    identificatie = f"1900-{startdatum.year}-{index + 1:08d}"
    start = datetime(
        registratiedatum.year, registratiedatum.month, registratiedatum.day,
        _int(rng, 8, 16), _int(rng, 0, 60 - 1), _int(rng, 0, 60 - 1), tzinfo=TZ,
    )  # fmt: skip
    statussen = _history(rng, zaaktype.steps, start)
    last = statussen[-1]
    einddatum = last.datum_status_gezet.date() if last.volgnummer == 12 else None
    form_size = int(_int(rng, 150_000, 2_500_000) * scale)
    documenten = [
        _document(rng, identificatie, 1, "Aanvraagformulier", registratiedatum, form_size)
    ]
    for status in statussen:
        titel = _STATUS_LETTERS.get(status.volgnummer)
        if titel is not None:
            size = int(_int(rng, 30_000, 90_000) * scale)
            day = status.datum_status_gezet.date()
            documenten.append(_document(rng, identificatie, len(documenten) + 1, titel, day, size))
    return SynthZaak(
        index=index,
        identificatie=identificatie,
        zaaktype_code=zaaktype.code,
        zaaktype_omschrijving=zaaktype.omschrijving,
        omschrijving=f"{zaaktype.omschrijving} {registratiedatum.isoformat()}",
        toelichting=f"Ingediend via MijnLoket, clientnummer {client.clientnummer}",
        startdatum=startdatum,
        registratiedatum=registratiedatum,
        einddatum=einddatum,
        client=client,
        statussen=tuple(statussen),
        documenten=tuple(documenten),
    )


def build_spec(
    rng: random.Random, client: SynthClient, periode: str, *, versie: int
) -> Betaalspecificatie:
    """A month's specification; amounts in euro cents with an explicit sign."""
    year, month = (int(part) for part in periode.split("-"))
    alleenstaand = rng.random() < 0.6
    norm = 131_648 if alleenstaand else 188_069
    leefvorm = "alleenstaande" if alleenstaand else "gehuwden"
    regels = [
        BetaalRegel("NORM", f"Bijstandsnorm {leefvorm} 21 jaar en ouder", norm),
        BetaalRegel("VAKT-RES", "Reservering vakantietoeslag", -(norm * 5 // 100)),
    ]
    if rng.random() < 0.3:
        regels.append(BetaalRegel("INK-VERR", "Verrekende inkomsten", -_int(rng, 5_000, 80_000)))
    if rng.random() < 0.15:
        regels.append(BetaalRegel("INH-BBR", "Inhouding budgetbeheer", -_int(rng, 10_000, 60_000)))
    if rng.random() < 0.1:
        regels.append(
            BetaalRegel("BB-WOON", "Bijzondere bijstand woonkosten", _int(rng, 2_000, 20_000))
        )
    if versie > 1:
        regels.append(
            BetaalRegel("CORR", "Correctie eerdere specificatie", _int(rng, -15_000, 15_000))
        )
    return Betaalspecificatie(
        client=client,
        periode=periode,
        versie=versie,
        kenmerk=f"SPEC-{periode}-{client.clientnummer}-v{versie}",
        uitbetaaldatum=date(year, month, 25),
        regels=tuple(regels),
    )

"""The synthetic data model: GWS4all status codes, zaaktypen and the item dataclasses.

Kept apart from the generator (``simulators.synthetic``) so the builders can import the model
without a cycle. Import from ``simulators.synthetic``, which re-exports everything public.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from privacy.masking import mask_bsn
from simulators.pdf import pdf_chunks

TZ = ZoneInfo("Europe/Amsterdam")

#: volgnummer n corresponds to e-Suite status n of the Enschede chain (DOMAIN.md); note that
#: steps 3 and 9 both show "In behandeling" in e-Suite/MijnLoket: map by code, never by text.
GWS4ALL_STATUS_CHAIN: list[tuple[str, int, str]] = [
    ("GWS-AV-01", 1, "Aanvraag geregistreerd"),
    ("GWS-AV-02", 2, "Aanvullende gegevens opgevraagd"),
    ("GWS-AV-03", 3, "Onderzoek recht op bijstand"),
    ("GWS-AV-04", 4, "Hersteltermijn verzuim"),
    ("GWS-AV-05", 5, "Handhavingsonderzoek"),
    ("GWS-AV-06", 6, "Brief klaargezet op loket"),
    ("GWS-AV-07", 7, "Rapportage ter toetsing"),
    ("GWS-AV-08", 8, "Beschikking in voorbereiding"),
    ("GWS-AV-09", 9, "Besluit verzonden, verwerking uitkering"),
    ("GWS-AV-10", 10, "Administratieve afhandeling"),
    ("GWS-AV-11", 11, "Toets administratieve afhandeling"),
    ("GWS-AV-12", 12, "Aanvraag afgehandeld"),
]
#: A code GWS4all could send that no mapping knows: must become an ``unmapped`` dead letter.
GWS4ALL_UNMAPPED_CODE = "GWS-AV-99"

_CHAIN_BY_VOLGNUMMER = {volgnummer: (code, oms) for code, volgnummer, oms in GWS4ALL_STATUS_CHAIN}
_OPTIONAL_STEPS = frozenset({2, 4, 5, 6, 7, 11})


@dataclass(frozen=True)
class Zaaktype:
    """A zaaktype with the chain steps (volgnummers) its zaken can pass and its share of zaken."""

    code: str
    omschrijving: str
    steps: tuple[int, ...]
    weight: float


ZAAKTYPEN: dict[str, Zaaktype] = {
    zt.code: zt
    for zt in (
        Zaaktype(
            "PW-LO-AANV", "Aanvraag levensonderhoud Participatiewet", tuple(range(1, 13)), 0.5
        ),
        Zaaktype("PW-BB-AANV", "Aanvraag bijzondere bijstand", (1, 2, 3, 8, 9, 12), 0.25),
        Zaaktype("PW-INKVERR", "Inkomstenverrekening", (1, 3, 10, 12), 0.15),
        Zaaktype("PW-WIJZ", "Wijziging situatie", (1, 2, 3, 9, 12), 0.10),
    )
}
_ZAAKTYPE_LIST = tuple(ZAAKTYPEN.values())
_ZAAKTYPE_WEIGHTS = tuple(zt.weight for zt in _ZAAKTYPE_LIST)

_BSN_SPACE = 10**7
_BSN_STRIDE = 7_654_321  # odd and not a multiple of 5: coprime with 10**7, so a bijection


def bsn_for_index(index: int, seed: int = 0) -> str:
    """A unique, elfproef-valid BSN for client ``index`` (0 <= index < 10**7).

    The first seven digits are a bijection of the index; the eighth is the first digit that lets a
    check digit exist; the ninth is the elfproef check digit. Distinct indexes, distinct BSNs.
    """
    if not 0 <= index < _BSN_SPACE:
        raise ValueError("client index out of range for unique BSNs")
    core = (seed * 104_729 + index * _BSN_STRIDE) % _BSN_SPACE
    digits = [int(c) for c in f"{core:07d}"]
    partial = sum(d * w for d, w in zip(digits, (9, 8, 7, 6, 5, 4, 3), strict=True))
    for eighth in range(1 if core == 0 else 0, 10):  # never 000000000
        check = (partial + 2 * eighth) % 11
        if check < 10:
            return f"{core:07d}{eighth}{check}"
    raise AssertionError("unreachable: 2*d mod 11 takes ten different values")  # pragma: no cover


def index_for_bsn(bsn: str, seed: int = 0) -> int | None:
    """The client index whose BSN this is (the inverse of :func:`bsn_for_index`), else None.

    Lets a simulator answer a question about a BSN (SSD, Suwinet) without any lookup table.
    """
    if len(bsn) != 9 or not bsn.isdigit():
        return None
    core = int(bsn[:7])
    index = ((core - seed * 104_729) * pow(_BSN_STRIDE, -1, _BSN_SPACE)) % _BSN_SPACE
    return index if bsn_for_index(index, seed) == bsn else None


def iban_for_index(index: int, bank: str = "INGB") -> str:
    """A syntactically valid Dutch IBAN (mod-97 check) for a synthetic client."""
    account = f"{(index * 7_919 + 1_000_003) % 10**10:010d}"
    numeric = "".join(str(int(ch, 36)) for ch in bank + account + "NL00")
    return f"NL{98 - int(numeric) % 97:02d}{bank}{account}"


@dataclass(frozen=True)
class SynthClient:
    """A synthetic resident. ``repr`` masks the BSN (failing tests print reprs)."""

    index: int
    bsn: str = field(repr=False)
    clientnummer: str
    voornamen: str
    voorvoegsel: str
    geslachtsnaam: str
    geslachtsaanduiding: str
    geboortedatum: date
    straat: str
    huisnummer: int
    postcode: str
    woonplaats: str
    seed: int = field(default=0, repr=False)

    @property
    def iban(self) -> str:
        """Derived on demand (most flows never need it; computing it costs a bignum mod)."""
        return iban_for_index(self.index + self.seed * 1_000_003)

    @property
    def bsn_masked(self) -> str:
        return mask_bsn(self.bsn)

    @property
    def naam(self) -> str:
        """Aanschrijfnaam, e.g. 'A. van der Meer'."""
        achternaam = f"{self.voorvoegsel} {self.geslachtsnaam}".strip()
        return f"{self.voornamen[0]}. {achternaam}"


@dataclass(frozen=True)
class SynthStatus:
    """One status change as GWS4all reports it."""

    code: str
    volgnummer: int
    omschrijving: str
    datum_status_gezet: datetime


@dataclass(frozen=True)
class SynthDocument:
    """Document metadata; the bytes (a real PDF) are made on demand, streamed."""

    identificatie: str
    zaak_identificatie: str
    titel: str
    bestandsnaam: str
    creatiedatum: date
    size: int
    seed: int
    lines: tuple[str, ...] = ()
    formaat: str = "application/pdf"
    documenttype: str = "Brief"
    vertrouwelijkheid: str = "VERTROUWELIJK"
    auteur: str = "GWS4all"

    def iter_bytes(self, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        return pdf_chunks(
            self.titel, self.lines, size=self.size, seed=self.seed, chunk_size=chunk_size
        )

    def read_bytes(self) -> bytes:
        """All bytes at once: fine for the default sizes, avoid for scaled-up documents."""
        return b"".join(self.iter_bytes())

    @cached_property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        for chunk in self.iter_bytes():
            digest.update(chunk)
        return digest.hexdigest()


@dataclass(frozen=True)
class SynthZaak:
    """A zaak as it lives in GWS4all, with its status history so far and its documents."""

    index: int
    identificatie: str
    zaaktype_code: str
    zaaktype_omschrijving: str
    omschrijving: str
    toelichting: str
    startdatum: date
    registratiedatum: date
    einddatum: date | None
    client: SynthClient
    statussen: tuple[SynthStatus, ...]
    documenten: tuple[SynthDocument, ...]

    @property
    def is_afgehandeld(self) -> bool:
        return self.einddatum is not None


@dataclass(frozen=True)
class BetaalRegel:
    """One line of a payment specification; ``bedrag_cent`` > 0 is paid to the client."""

    code: str
    omschrijving: str
    bedrag_cent: int


@dataclass(frozen=True)
class Betaalspecificatie:
    """A monthly uitkeringsspecificatie; a correction is the same period with a higher versie."""

    client: SynthClient
    periode: str  # "YYYY-MM"
    versie: int
    kenmerk: str
    uitbetaaldatum: date
    regels: tuple[BetaalRegel, ...]

    @property
    def totaal_cent(self) -> int:
        return sum(regel.bedrag_cent for regel in self.regels)

    def document(self, size: int = 24_000) -> SynthDocument:
        """The specification as a PDF document, as MijnLoket shows it."""
        lines = [f"Periode {self.periode}  versie {self.versie}", f"Aan: {self.client.naam}"]
        lines += [f"{r.omschrijving}: {_euro(r.bedrag_cent)}" for r in self.regels]
        lines.append(f"Totaal uitbetaald: {_euro(self.totaal_cent)}")
        return SynthDocument(
            identificatie=self.kenmerk,
            zaak_identificatie="",
            titel=f"Uitkeringsspecificatie {self.periode}",
            bestandsnaam=f"uitkeringsspecificatie-{self.periode}-v{self.versie}.pdf",
            creatiedatum=self.uitbetaaldatum - timedelta(days=3),
            size=size,
            seed=int(hashlib.sha256(self.kenmerk.encode()).hexdigest()[:12], 16),
            lines=tuple(lines),
            documenttype="Uitkeringsspecificatie",
            auteur="GWS4all SSD",
        )


def _euro(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}EUR {whole:,}.{rest:02d}".replace(",", "X").replace(".", ",").replace("X", ".")

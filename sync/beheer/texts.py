"""The Dutch words beheer reads: flows, reasons, states. One place, so pages and tests agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

__all__ = ["FLOWS", "REASONS", "STATES", "FlowInfo", "flow_info", "reason_text"]


@dataclass(frozen=True)
class FlowInfo:
    """A flow as beheer knows it, with how often it should run (for "niet op schema")."""

    name: str
    label: str
    every: timedelta


FLOWS: dict[str, FlowInfo] = {
    info.name: info
    for info in (
        FlowInfo("zaken", "Zaken (GWS4all, Allegro → e-Suite)", timedelta(minutes=5)),
        FlowInfo("documenten", "Documenten (→ e-Suite, Xtendis, MyLex)", timedelta(minutes=5)),
        FlowInfo(
            "archief_reconciliatie",
            "Archiefreconciliatie (MyLex ↔ nieuw archief)",
            timedelta(days=1),
        ),
    )
}


def flow_info(name: str) -> FlowInfo:
    """A known flow, or one the store names that beheer has no schedule for (a day)."""
    return FLOWS.get(name) or FlowInfo(name, name, timedelta(days=1))


# reason code → (what happened, what to do), in plain Dutch.
REASONS: dict[str, tuple[str, str]] = {
    "unmapped": (
        "Een code (zaaktype of status) staat niet in een koppeltabel.",
        "Voeg de code toe onder Koppeltabellen en bied daarna opnieuw aan.",
    ),
    "invalid_message": (
        "Het bericht was geen leesbare StUF (kapotte XML of een onbekend bericht).",
        "Meld het bij de leverancier; sla over met een reden als het niet meer nodig is.",
    ),
    "target_rejected": (
        "Het doelsysteem weigerde het bericht (bijvoorbeeld een onbekende zaak).",
        "Los de oorzaak in het doelsysteem op en bied daarna opnieuw aan.",
    ),
    "status_eigenaar": (
        "GWS4all zette een status die bij deze aanvraag in de e-Suite wordt gezet "
        "(zie status_eigenaar.csv); die is niet overgenomen.",
        "Laat de status in de e-Suite zetten, of pas status_eigenaar.csv aan; sla dit bericht "
        "daarna over met een reden.",
    ),
    "future_date": (
        "De datum van de status ligt ver in de toekomst (waarschijnlijk een tikfout).",
        "Laat de datum in het bronsysteem verbeteren; sla dit bericht over met een reden.",
    ),
    "permanent": (
        "Het bericht kan niet worden afgeleverd; opnieuw proberen helpt niet vanzelf.",
        "Bekijk de melding, herstel de oorzaak en bied opnieuw aan, of sla over.",
    ),
    "content_unavailable": (
        "De inhoud van het document is niet (meer) beschikbaar.",
        "Laat het document opnieuw aanbieden door het bronsysteem, of sla over.",
    ),
    "unsupported_format": (
        "Formaat niet herkend: de inhoud is geen pdf, png, jpeg, tiff, docx of odt.",
        "Laat het document in een van deze formaten aanleveren, of sla over met een reden.",
    ),
    "document_missing": (
        "Het document staat niet in de export van Allegro.",
        "Vraag Allegro het document opnieuw te exporteren en bied daarna opnieuw aan.",
    ),
    "file_unavailable": (
        "Het bestand was niet te lezen bij de bron.",
        "Controleer de bron; bied opnieuw aan als het bestand er weer is.",
    ),
    "checksum_mismatch": (
        "De controlesom van het bestand klopt niet: het kwam beschadigd aan.",
        "Bied opnieuw aan; blijft het fout, meld het bij de bron.",
    ),
    "truncated": (
        "Het bestand kwam onvolledig aan.",
        "Bied opnieuw aan; blijft het fout, meld het bij de bron.",
    ),
    "xtendis_rejected": (
        "Xtendis weigerde het document.",
        "Bekijk de melding van Xtendis, herstel en bied opnieuw aan.",
    ),
    "unsafe_name": (
        "De bestandsnaam is onveilig en is daarom geweigerd.",
        "Laat de naam in de bron aanpassen; sla dit bericht over met een reden.",
    ),
    "zaak_onbekend": (
        "Het document hoort bij een zaak die Ketenbrug (nog) niet kent.",
        "Wacht tot de zaak is aangekomen en bied dan opnieuw aan.",
    ),
}


def reason_text(reason: str) -> tuple[str, str]:
    """What happened and what to do, for any reason code (an unknown one is named as is)."""
    return REASONS.get(
        reason,
        (
            f"Niet af te leveren (reden {reason}).",
            "Bekijk de melding; bied opnieuw aan of sla over.",
        ),
    )


STATES: dict[str, str] = {
    "open": "open",
    "resend_requested": "opnieuw aanbieden aangevraagd",
    "resending": "wordt opnieuw aangeboden",
    "resent": "opnieuw afgeleverd",
    "skipped": "overgeslagen",
    "success": "gelukt",
    "failed": "mislukt",
    "running": "bezig",
    "hersteld": "hersteld",
    "opgelost": "opgelost",
    "pending": "wacht",
    "in_flight": "onderweg",
    "delivered": "afgeleverd",
    "superseded": "vervangen (ouder)",
    "dead": "dead letter",
}

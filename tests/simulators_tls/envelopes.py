"""Request envelopes as Ketenbrug's adapters (and open-inwoner's templates) send them."""

from __future__ import annotations

import uuid

from simulators.ssd import ACTION_JAAROPGAVE, ACTION_UITKERING
from simulators.suwinet import ACTION_BRP, ACTION_UWV

WSA = "http://www.w3.org/2005/08/addressing"


def wsa_headers(action: str, message_id: str | None, *, reply_to: bool = True) -> str:
    parts = [f'<wsa:Action xmlns:wsa="{WSA}">{action}</wsa:Action>'] if action else []
    if message_id:
        parts.append(f'<wsa:MessageID xmlns:wsa="{WSA}">{message_id}</wsa:MessageID>')
    parts.append(f'<wsa:To xmlns:wsa="{WSA}">https://gws4all.test/SSD</wsa:To>')
    if reply_to:
        parts.append(
            f'<wsa:ReplyTo xmlns:wsa="{WSA}"><wsa:Address>{WSA}/anonymous</wsa:Address>'
            "</wsa:ReplyTo>"
        )
    return "".join(parts)


def gws_header(namespace: str = "http://www.centric.nl/GWS/Header/v0300") -> str:
    return (
        f'<ns3:Header xmlns="" xmlns:ns3="{namespace}"><RouteInformatie>'
        "<Bron><Gemeentecode>0153</Gemeentecode><ApplicatieNaam>Ketenbrug</ApplicatieNaam></Bron>"
        "<Bestemming><Gemeentecode>0153</Gemeentecode></Bestemming></RouteInformatie>"
        "<BerichtIdentificatie><DatTijdAanmaakRequest>2025-01-06T10:00:00+01:00"
        "</DatTijdAanmaakRequest><ApplicatieInformatie>Ketenbrug</ApplicatieInformatie>"
        "</BerichtIdentificatie></ns3:Header>"
    )


def envelope(headers: str, body: str) -> bytes:
    return (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f"<soap:Header>{headers}</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def new_message_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def uitkering(
    bsn: str,
    periode: str = "202403",
    *,
    message_id: str | None = "new",
    action: str = ACTION_UITKERING,
    header_ns: str = "http://www.centric.nl/GWS/Header/v0300",
) -> bytes:
    mid = new_message_id() if message_id == "new" else message_id
    body = (
        '<ns4:UitkeringsSpecificatieInfo xmlns:ns4="http://www.centric.nl/GWS/Diensten/'
        f'UitkeringsSpecificatieClient/v0600"><BurgerServiceNr>{bsn}</BurgerServiceNr>'
        f"<Periodenummer>{periode}</Periodenummer></ns4:UitkeringsSpecificatieInfo>"
    )
    return envelope(wsa_headers(action, mid) + gws_header(header_ns), body)


def jaaropgave(bsn: str, jaar: str = "2024", *, message_id: str = "new") -> bytes:
    mid = new_message_id() if message_id == "new" else message_id
    body = (
        '<ns4:JaarOpgaveInfo xmlns:ns4="http://www.centric.nl/GWS/Diensten/JaarOpgaveClient/'
        f'v0400"><BurgerServiceNr>{bsn}</BurgerServiceNr><Dienstjaar>{jaar}</Dienstjaar>'
        "</ns4:JaarOpgaveInfo>"
    )
    return envelope(wsa_headers(ACTION_JAAROPGAVE, mid) + gws_header(), body)


def brp(bsn: str, *, message_id: str | None = "new", action: str = ACTION_BRP) -> bytes:
    mid = new_message_id() if message_id == "new" else message_id
    body = (
        '<v02:AanvraagPersoon xmlns:v02="http://bkwi.nl/SuwiML/Diensten/BRPDossierPersoonGSD/'
        f'v0200"><Burgerservicenr>{bsn}</Burgerservicenr></v02:AanvraagPersoon>'
    )
    return envelope(wsa_headers(action, mid), body)


def uwv(bsn: str, begin: str = "20240101", end: str = "20241231") -> bytes:
    body = (
        '<v02:UWVPersoonsIkvInfo xmlns:v02="http://bkwi.nl/SuwiML/Diensten/'
        f'UWVDossierInkomstenGSD/v0200"><Burgerservicenr>{bsn}</Burgerservicenr>'
        f"<PeriodeGegevensvraagIko><DatBPeriode>{begin}</DatBPeriode><DatEPeriode>{end}"
        "</DatEPeriode></PeriodeGegevensvraagIko></v02:UWVPersoonsIkvInfo>"
    )
    return envelope(wsa_headers(ACTION_UWV, new_message_id()), body)

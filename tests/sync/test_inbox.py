"""The durable inbox: stored before answered, Fo for bad input, duplicates once, numbering."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

from stuf import Bevestiging, Fout, ZaakIdentificatieAntwoord, parse_message
from sync.inbox import Inbox
from sync.inbox_app import InboxServer
from sync.store.db import Store
from sync.store.models import DeadLetter, IdentityLink, InboxMessage, InboxState
from tests.sync.messages import BSN, creeer_zaak, genereer_zaakidentificatie, status


def count(store: Store, *where: object) -> int:
    with store.session() as session:
        return session.scalar(select(func.count(InboxMessage.id)).where(*where)) or 0  # type: ignore[arg-type]


def test_message_is_stored_before_bv03(store: Store) -> None:
    body = creeer_zaak("1900Z-1")
    answer = Inbox(store).receive(body, None)
    assert answer.status == 200
    reply = parse_message(answer.body)
    assert isinstance(reply, Bevestiging) and reply.berichtcode == "Bv03"
    with store.session() as session:
        row = session.get(InboxMessage, answer.message_id)
        assert row is not None
        assert (row.function, row.ordering_key, row.state) == ("creeerZaak", "1900Z-1", "received")
        assert row.body == body


def test_exact_duplicate_is_stored_once(store: Store) -> None:
    inbox = Inbox(store)
    body = status("1900Z-1", "GWS-AV-01", 1, 2)
    first, second = inbox.receive(body, None), inbox.receive(body, None)
    assert first.message_id == second.message_id
    assert second.status == 200
    assert count(store) == 1


def test_malformed_xml_gets_fo_and_a_dead_letter(store: Store) -> None:
    answer = Inbox(store).receive(b"<zakLk01><stuurgegevens>", None)
    assert answer.status == 500
    fout = parse_message(answer.body)
    assert isinstance(fout, Fout) and fout.berichtcode == "Fo01"
    assert "niet te verwerken" in fout.omschrijving
    with store.session() as session:
        letter = session.scalars(select(DeadLetter)).one()
        row = session.get(InboxMessage, answer.message_id)
    assert letter.reason == "invalid_message"
    assert letter.payload_ref == f"inbox:{answer.message_id}"
    assert row is not None and row.state == InboxState.DEAD and row.body  # nothing lost


def test_fo_text_never_shows_a_bsn(store: Store) -> None:
    broken = creeer_zaak("1900Z-1").replace(b"</soapenv:Envelope>", b"")
    answer = Inbox(store).receive(broken, None)
    assert answer.status == 500
    assert BSN.encode() not in answer.body


def test_genereer_zaakidentificatie_answers_unique_numbers_in_the_identity_map(
    store: Store,
) -> None:
    inbox = Inbox(store)
    numbers = []
    for _ in range(3):
        answer = inbox.receive(genereer_zaakidentificatie(), None)
        reply = parse_message(answer.body)
        assert isinstance(reply, ZaakIdentificatieAntwoord)
        numbers.append(reply.identificatie)
    assert len(set(numbers)) == 3 and all(n.startswith("1900KB") for n in numbers)
    with store.session() as session:
        linked = set(
            session.scalars(select(IdentityLink.key).where(IdentityLink.system == "ketenbrug"))
        )
    assert linked == set(numbers)
    assert count(store) == 0, "a Di02 is answered, not queued"


def test_fifty_concurrent_senders_lose_nothing(store: Store) -> None:
    bodies = [status(f"1900Z-{n}", "GWS-AV-03", 3, 1 + n % 28) for n in range(200)]
    with InboxServer(Inbox(store)) as server, ThreadPoolExecutor(max_workers=50) as pool:

        def send(body: bytes) -> int:
            response = requests.post(
                server.url, data=body, headers={"Content-Type": "text/xml"}, timeout=60
            )
            return response.status_code

        codes = list(pool.map(send, bodies))
    assert codes == [200] * len(bodies)
    assert count(store) == len(bodies)

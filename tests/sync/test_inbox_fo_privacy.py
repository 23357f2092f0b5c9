"""A refused push whose error text quotes a BSN: the Fo01, the dead letter and the log line show
only the masked form. The number really reaches the error text (the masked form is asserted
too), so without masking these tests fail."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from privacy.masking import mask_bsn
from stuf import Fout, parse_message
from sync.inbox import Inbox
from sync.store.db import Store
from sync.store.models import DeadLetter
from tests.sync.messages import creeer_zaak

NUMBER = "123456782"  # a valid BSN (elfproef) put where a date belongs


def _with_number_as_date() -> bytes:
    body = creeer_zaak("1900KB0000000007")
    broken = body.replace(
        b"<ZKN:startdatum>20260301</ZKN:startdatum>",
        f"<ZKN:startdatum>{NUMBER}</ZKN:startdatum>".encode(),
    )
    assert broken != body
    return broken.replace(b"111222333", b"999999990")  # only NUMBER is under test


def test_fo_text_and_dead_letter_show_a_bsn_in_the_error_only_masked(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = Inbox(store).receive(_with_number_as_date(), None)

    assert answer.status == 500
    fout = parse_message(answer.body)
    assert isinstance(fout, Fout) and fout.berichtcode == "Fo01"
    assert mask_bsn(NUMBER) in fout.omschrijving, "the value is quoted, masked"
    assert NUMBER.encode() not in answer.body

    with store.session() as session:
        letter = session.scalars(select(DeadLetter)).one()
    assert letter.reason == "invalid_message"
    assert mask_bsn(NUMBER) in letter.message
    assert NUMBER not in letter.message

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert mask_bsn(NUMBER) in logged
    assert NUMBER not in logged

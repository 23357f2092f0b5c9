"""How the doorgifte classifies GWS4all's failures: Fo03/Fo01 permanent with the Fo's code and
text, Fo02/503/hang transient within the timeout, and never a BSN in an error text."""

from __future__ import annotations

import time

import pytest

from adapters.base import Operation
from adapters.errors import (
    AmbiguousWriteError,
    KetenbrugError,
    PermanentError,
    TransientError,
    ZaakOnbekendError,
)
from adapters.gws4all.outbound import Gws4allClient, Gws4allRejectedError, fout_error
from adapters.gws4all.outbound_target import Gws4allTarget
from simulators.testing import Gws4allBackofficeHandle
from stuf import Fout
from tests.adapters_gws4all.conftest import BSN, ZAAK_ID, Blob, doc_operation, make_config

GROUPED_BSN = f"{BSN[:3]}.{BSN[3:6]}.{BSN[6:]}"


def _no_bsn(error: KetenbrugError) -> None:
    text = str(error)
    assert BSN not in text and GROUPED_BSN not in text, text


@pytest.mark.parametrize("berichtcode", ["Fo03", "Fo01"])
def test_a_refusal_is_permanent_with_code_and_masked_text(
    gws4all_backoffice: Gws4allBackofficeHandle,
    target: Gws4allTarget,
    zaak_op: Operation,
    berichtcode: str,
) -> None:
    text = f"Initiator {BSN} ({GROUPED_BSN}) heeft al een lopende aanvraag"
    gws4all_backoffice.server.refuse("StUF058", text, count=1, berichtcode=berichtcode)
    with pytest.raises(PermanentError) as caught:
        target.apply(zaak_op)
    error = caught.value
    assert isinstance(error, Gws4allRejectedError)
    assert (error.berichtcode, error.code) == (berichtcode, "StUF058")
    assert f"{berichtcode} StUF058" in str(error)
    assert "heeft al een lopende aanvraag" in str(error) and "*****2333" in str(error)
    _no_bsn(error)
    assert gws4all_backoffice.snapshot()["zaken"] == {}


def test_a_fo02_is_transient(
    gws4all_backoffice: Gws4allBackofficeHandle, target: Gws4allTarget, zaak_op: Operation
) -> None:
    gws4all_backoffice.server.refuse(
        "StUF046", f"Systeem bezet, aanvraag van {BSN} later", count=1, berichtcode="Fo02"
    )
    with pytest.raises(TransientError, match="Fo02 StUF046") as caught:
        target.apply(zaak_op)
    assert not isinstance(caught.value, AmbiguousWriteError)  # Fo02: not processed
    _no_bsn(caught.value)
    target.apply(zaak_op)  # the next try gets through
    assert ZAAK_ID in gws4all_backoffice.snapshot()["zaken"]


def test_a_hang_is_transient_within_the_timeout(
    gws4all_backoffice: Gws4allBackofficeHandle, zaak_op: Operation
) -> None:
    timeout = 0.5
    client = Gws4allClient(make_config(gws4all_backoffice, timeout_s=timeout))
    gws4all_backoffice.server.hold(timeout + 2.5, count=1, process=False)
    started = time.monotonic()
    with pytest.raises(TransientError) as caught:
        Gws4allTarget(client).apply(zaak_op)
    elapsed = time.monotonic() - started
    client.close()
    assert elapsed < timeout + 2, elapsed
    assert isinstance(caught.value, AmbiguousWriteError)  # sent: it may have landed
    _no_bsn(caught.value)


def test_unavailable_is_transient_and_unprocessed(
    gws4all_backoffice: Gws4allBackofficeHandle, target: Gws4allTarget, zaak_op: Operation
) -> None:
    gws4all_backoffice.server.unavailable(1.0)
    with pytest.raises(TransientError, match="HTTP 503") as caught:
        target.apply(zaak_op)
    assert not isinstance(caught.value, AmbiguousWriteError)
    with pytest.raises(TransientError, match="HTTP 503"):
        target.is_applied(zaak_op)
    assert gws4all_backoffice.snapshot()["zaken"] == {}


def test_a_document_for_an_unknown_zaak_is_zaak_onbekend(target: Gws4allTarget, blob: Blob) -> None:
    path, sha = blob(b"%PDF-1.4 x")
    with pytest.raises(ZaakOnbekendError, match="onbekend") as caught:
        target.apply(doc_operation("DOC-9", path, sha, 10))
    _no_bsn(caught.value)


@pytest.mark.parametrize("berichtcode", ["Fo01", "Fo02", "Fo03"])
def test_the_client_masks_a_bsn_gws4all_did_not_mask(berichtcode: str) -> None:
    """The simulator masks its own texts; a real GWS4all may not, so the client does."""
    fout = Fout(berichtcode, "StUF058", "client", f"BSN {BSN} onjuist", details=GROUPED_BSN)
    error = fout_error(fout, "creeerZaak")
    assert "StUF058" in str(error) and "*****2333" in str(error)
    _no_bsn(error)

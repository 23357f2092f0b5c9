"""How EsuiteClient.call reads an e-Suite Fo0x: the error-tree class, and no BSN in the text.

The answers come from a stub session (no simulator needed): a SOAP fault as the e-Suite sends it.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from adapters.errors import TargetRejectedError, TransientError, ZaakOnbekendError
from adapters.esuite.client import EsuiteClient
from adapters.esuite.config import EsuiteConfig
from stuf import Fout, GeefZaakdetails, ZdsVersion, build_message, new_stuurgegevens
from tests.adapters_esuite.conftest import ESUITE, KETENBRUG

BSN = "123456782"  # elfproef-valid


class _FaultSession(requests.Session):
    """Answers every POST with one Fo0x, as an HTTP 500 SOAP fault."""

    def __init__(self, fout: Fout) -> None:
        super().__init__()
        self.body = build_message(fout, ZdsVersion.V1_2)

    def post(self, url: Any, data: Any = None, json: Any = None, **kwargs: Any) -> Any:
        response = requests.Response()
        response.status_code = 500
        response._content = self.body
        return response


def _call(fout: Fout) -> None:
    config = EsuiteConfig(url="http://esuite.invalid/zds", zender=KETENBRUG, ontvanger=ESUITE)
    client = EsuiteClient(config, session=_FaultSession(fout))
    sg = new_stuurgegevens("Lv01", KETENBRUG, ESUITE, entiteittype="ZAK")
    client.call(GeefZaakdetails(sg, zaak_identificatie="0153ESUITE2000001"), writes=False)


def test_transient_fo02_code_is_transient() -> None:
    with pytest.raises(TransientError):
        _call(Fout("Fo02", "StUF046", "server", "database tijdelijk niet beschikbaar"))


def test_unknown_zaak_is_zaak_onbekend_with_the_bsn_masked() -> None:
    with pytest.raises(ZaakOnbekendError) as info:
        _call(Fout("Fo02", "StUF064", "server", f"zaak voor BSN {BSN} onbekend"))
    assert BSN not in str(info.value)
    assert "onbekend" in str(info.value)


def test_other_fout_is_a_rejection_with_the_bsn_masked() -> None:
    with pytest.raises(TargetRejectedError) as info:
        _call(Fout("Fo02", "StUF055", "server", f"initiator {BSN} mag dit niet"))
    assert not isinstance(info.value, ZaakOnbekendError)
    assert BSN not in str(info.value)

"""How the ZGW simulator shows its objects: the JSON of each resource, with its URLs.

Why a module of its own: the rendering follows the OpenAPI specs (every reference a URL,
read-only fields filled in) and is the same for a list, a detail and the answer to a create.
"""

from __future__ import annotations

from typing import Any

from simulators.zgw_store import ZgwStore

__all__ = ["CATALOGI", "DOCUMENTEN", "EIO", "EIO_FIELDS", "IOTYPEN", "ZAKEN", "ZgwRenderer"]

ZAKEN, DOCUMENTEN, CATALOGI = "/zaken/api/v1", "/documenten/api/v1", "/catalogi/api/v1"
EIO = f"{DOCUMENTEN}/enkelvoudiginformatieobjecten"
IOTYPEN = f"{CATALOGI}/informatieobjecttypen"

EIO_FIELDS = (
    "identificatie",
    "bronorganisatie",
    "creatiedatum",
    "titel",
    "vertrouwelijkheidaanduiding",
    "auteur",
    "status",
    "formaat",
    "taal",
    "bestandsnaam",
    "bestandsomvang",
    "link",
    "beschrijving",
    "indicatieGebruiksrecht",
    "integriteit",
    "trefwoorden",
)


class ZgwRenderer:
    """Renders the store's objects under ``base`` (the server's scheme, host and port)."""

    def __init__(self, store: ZgwStore) -> None:
        self.store = store

    def zaaktype(self, base: str, key: str) -> dict[str, Any]:
        zaaktype = self.store.zaaktypen[key]
        url = f"{base}{CATALOGI}/zaaktypen/{key}"
        return {
            "url": url,
            "identificatie": zaaktype["identificatie"],
            "omschrijving": zaaktype["omschrijving"],
            "catalogus": f"{base}{CATALOGI}/catalogussen/{key[:8]}",
            "beginGeldigheid": "2024-01-01",
            "versiedatum": "2024-01-01",
            "concept": False,
            "statustypen": [
                f"{base}{CATALOGI}/statustypen/{k}"
                for k, s in self.store.statustypen.items()
                if s["zaaktype"] == key
            ],
            "roltypen": [
                f"{base}{CATALOGI}/roltypen/{k}"
                for k, r in self.store.roltypen.items()
                if r["zaaktype"] == key
            ],
        }

    def statustype(self, base: str, key: str) -> dict[str, Any]:
        item = self.store.statustypen[key]
        return {
            **item,
            "url": f"{base}{CATALOGI}/statustypen/{key}",
            "zaaktype": f"{base}{CATALOGI}/zaaktypen/{item['zaaktype']}",
        }

    def roltype(self, base: str, key: str) -> dict[str, Any]:
        item = self.store.roltypen[key]
        return {
            **item,
            "url": f"{base}{CATALOGI}/roltypen/{key}",
            "zaaktype": f"{base}{CATALOGI}/zaaktypen/{item['zaaktype']}",
        }

    def iotype(self, base: str, key: str) -> dict[str, Any]:
        item = self.store.informatieobjecttypen[key]
        return {
            **item,
            "url": f"{base}{CATALOGI}/informatieobjecttypen/{key}",
            "beginGeldigheid": "2024-01-01",
            "concept": False,
            "vertrouwelijkheidaanduiding": "vertrouwelijk",
        }

    def zaak(self, base: str, key: str) -> dict[str, Any]:
        zaak = self.store.zaken[key]
        statussen = sorted(
            ((k, s) for k, s in self.store.statussen.items() if s["zaak"] == key),
            key=lambda pair: pair[1]["datumStatusGezet"],
        )
        return {
            **zaak,
            "url": f"{base}{ZAKEN}/zaken/{key}",
            "uuid": key,
            "zaaktype": f"{base}{CATALOGI}/zaaktypen/{zaak['zaaktype']}",
            "status": f"{base}{ZAKEN}/statussen/{statussen[-1][0]}" if statussen else None,
            "rollen": [
                f"{base}{ZAKEN}/rollen/{k}"
                for k, r in self.store.rollen.items()
                if r["zaak"] == key
            ],
            "zaakinformatieobjecten": [
                f"{base}{ZAKEN}/zaakinformatieobjecten/{k}"
                for k, z in self.store.zaakinformatieobjecten.items()
                if z["zaak"] == key
            ],
            "resultaat": None,
            "deelzaken": [],
            "eigenschappen": [],
            "zaakobjecten": [],
        }

    def rol(self, base: str, key: str) -> dict[str, Any]:
        rol = self.store.rollen[key]
        return {
            **rol,
            "url": f"{base}{ZAKEN}/rollen/{key}",
            "uuid": key,
            "zaak": f"{base}{ZAKEN}/zaken/{rol['zaak']}",
            "roltype": f"{base}{CATALOGI}/roltypen/{rol['roltype']}",
            "statussen": [],
        }

    def status(self, base: str, key: str) -> dict[str, Any]:
        status = self.store.statussen[key]
        return {
            **status,
            "url": f"{base}{ZAKEN}/statussen/{key}",
            "uuid": key,
            "zaak": f"{base}{ZAKEN}/zaken/{status['zaak']}",
            "statustype": f"{base}{CATALOGI}/statustypen/{status['statustype']}",
            "zaakinformatieobjecten": [],
        }

    def zio(self, base: str, key: str) -> dict[str, Any]:
        zio = self.store.zaakinformatieobjecten[key]
        return {
            **zio,
            "url": f"{base}{ZAKEN}/zaakinformatieobjecten/{key}",
            "uuid": key,
            "zaak": f"{base}{ZAKEN}/zaken/{zio['zaak']}",
            "informatieobject": f"{base}{EIO}/{zio['informatieobject']}",
            "aardRelatieWeergave": "Hoort bij, omgekeerd: kent",
        }

    def eio(self, base: str, key: str) -> dict[str, Any]:
        document = self.store.documenten[key]
        latest = document.latest
        url = f"{base}{DOCUMENTEN}/enkelvoudiginformatieobjecten/{key}"
        shown = {k: v for k, v in latest.items() if not k.startswith("_")}
        return {
            **{name: None for name in EIO_FIELDS},
            **shown,
            "url": url,
            "informatieobjecttype": f"{base}{IOTYPEN}/{latest['informatieobjecttype']}",
            "inhoud": f"{url}/download?versie={latest['versie']}" if latest["_path"] else None,
            "locked": document.lock is not None,
            "bestandsdelen": [],
        }

"""GWS4all's registry entry (``adapters.registry``): two roles, two directions.

As a *source* it pushes ZDS 1.1 into Ketenbrug's inbox (``ketenbrug inbox serve``) and the
zaken and documenten flows drain the inbox one partition per task: no Connection is read for
that. As the doorgifte's *target* Ketenbrug calls GWS4all's own StUF endpoint (creeerZaak,
voegZaakdocumentToe), and only that direction needs the Connection ``ketenbrug_gws4all_stuf``
(``hook``/``conn_id``): a deployment without it still runs the zaken and documenten flows,
and its doorgifte tasks are skipped (not linked). The pool caps calls to GWS4all's services.
"""

from __future__ import annotations

from contextlib import closing
from typing import TYPE_CHECKING

from adapters.registry import AdapterRegistration, BuiltTarget, Pool, SourceSpec, TargetContext

if TYPE_CHECKING:  # the registry is read while DAG files are parsed: import lazily
    from adapters.gws4all.outbound_config import Gws4allOutboundConfig

SYSTEM = "gws4all"

__all__ = ["REGISTRATION"]


def doorgifte_target(config: Gws4allOutboundConfig, _context: TargetContext) -> BuiltTarget:
    """The doorgifte's target: creeerZaak and voegZaakdocumentToe at GWS4all."""
    from adapters.gws4all.outbound import Gws4allClient
    from adapters.gws4all.outbound_target import Gws4allTarget

    client = Gws4allClient(config)
    return BuiltTarget(Gws4allTarget(client), [client.close])


def probe(config: Gws4allOutboundConfig) -> None:
    """One geefZaakdetails of a zaak that does not exist: reaches the service, changes nothing."""
    from adapters.gws4all.outbound import Gws4allClient

    with closing(Gws4allClient(config)) as client:
        client.geef_zaakdetails("KETENBRUG-VERBINDINGSTEST")


REGISTRATION = AdapterRegistration(
    system=SYSTEM,
    title="GWS4all (StUF-ZKN ZDS 1.1: push naar de inbox, doelsysteem van de doorgifte)",
    pool=Pool(SYSTEM, 2, "GWS4all SSD-services: parallelle aanroepen"),
    # The Connection of the doorgifte only (GWS4all's StUF endpoint); the inbox needs none.
    hook="adapters.gws4all.outbound_hook:Gws4allOutboundHook",
    conn_id="ketenbrug_gws4all_stuf",
    sources=(SourceSpec("zaken", kind="inbox"), SourceSpec("documenten", kind="inbox")),
    targets={"doorgifte": "adapters.gws4all.plugin:doorgifte_target"},
    mapping_tables=("zaaktypen.csv", "statussen.csv"),
    probe="adapters.gws4all.plugin:probe",
    simulator="simulators.gws4all:push_scenario",
    contract="tests.contract.harnesses:Gws4allBackofficeHarness",
    ui_behaviour={
        "hidden_fields": ["login", "password"],
        "relabeling": {"schema": "Protocol (http/https)"},
        "placeholders": {
            "host": "gws4all.gemeente.local",
            "extra": '{"path": "/stuf/zkn", "gemeentecode": "1900", "timeout_s": 10, '
            '"verify": "/etc/ketenbrug/ca.pem", "client_cert": "/etc/ketenbrug/gws4all.pem", '
            '"client_key": "/etc/ketenbrug/gws4all.key"}',
        },
    },
)

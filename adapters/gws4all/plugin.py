"""GWS4all's registry entry: it pushes ZDS 1.1 into Ketenbrug's inbox (``adapters.registry``).

No hook and no Connection: GWS4all calls Ketenbrug (``ketenbrug inbox serve``), and the flows
drain the inbox one partition per task. The pool caps calls to its SSD services.
"""

from __future__ import annotations

from adapters.registry import AdapterRegistration, Pool, SourceSpec

SYSTEM = "gws4all"

__all__ = ["REGISTRATION"]

REGISTRATION = AdapterRegistration(
    system=SYSTEM,
    title="GWS4all (StUF-ZKN ZDS 1.1, push naar de inbox)",
    pool=Pool(SYSTEM, 2, "GWS4all SSD-services: parallelle aanroepen"),
    sources=(SourceSpec("zaken", kind="inbox"), SourceSpec("documenten", kind="inbox")),
    mapping_tables=("zaaktypen.csv", "statussen.csv"),
    simulator="simulators.gws4all:push_scenario",
)

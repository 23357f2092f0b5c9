"""Vernietigingslijst: documents whose bewaartermijn has passed, for beheer to approve or reject.

Judging is a compare-and-set on the row's state (voorgesteld → goedgekeurd | afgewezen) with
the reason in its note and in the audit log (``sync.vernietiging``), so two beheerders never
both judge it. Approving destroys nothing: Ketenbrug never deletes an archive document.
"""

from __future__ import annotations

from sync.store.db import Store
from sync.vernietiging import Kandidaat, VernietigingRefused, afwijzen, goedkeuren, kandidaten

__all__ = ["STATUSSEN", "VernietigingRefused", "judge", "rows"]

#: The states beheer can filter on (``alle``: every row).
STATUSSEN = ("voorgesteld", "goedgekeurd", "afgewezen", "alle")
_ACTIONS = {"goedkeuren": (goedkeuren, "goedgekeurd"), "afwijzen": (afwijzen, "afgewezen")}


def rows(store: Store, status: str) -> list[Kandidaat]:
    return kandidaten(store, status if status in STATUSSEN else "voorgesteld")


def judge(store: Store, kandidaat_id: int, actie: str, *, actor: str, reason: str) -> str:
    """Approve or reject one proposal; the text for beheer (refusals raise)."""
    action, done = _ACTIONS[actie]
    action(store, kandidaat_id, actor, reason)
    return f"Voorstel {kandidaat_id} {done}. Ketenbrug vernietigt zelf niets."

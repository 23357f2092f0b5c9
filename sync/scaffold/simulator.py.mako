"""${Name} simulator: the other side of the connection, on 127.0.0.1, with fault injection.

To implement: speak the real protocol (see simulators/esuite.py for an HTTP one, built on
simulators/http.py) and ask a :class:`simulators.faults.FaultInjector` per call what to do
(transient, permanent, lost_response).
"""

from __future__ import annotations

from simulators.faults import FaultConfig

__all__ = ["${Name}Simulator"]


class ${Name}Simulator:
    """(Unstarted) ${Name} simulator on loopback; ``port=0`` picks a free port."""

    def __init__(self, port: int = 0, faults: FaultConfig | None = None) -> None:
        self.port = port
        self.faults = faults or FaultConfig()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ${Name}Simulator:
        raise NotImplementedError("${name}: the simulator is not written yet")

    def stop(self) -> None:
        """Stop serving (nothing started yet)."""

"""Which simulators exist, on which port they listen by default, and how to start them together.

Why: ``./run simulators up`` (``python -m simulators.cli up``), docker-compose and the docs must
agree on addresses.
Ports are fixed in the 18xxx range so Airflow Connections for the demo can be written once;
tests use port 0 instead. Other simulator packages (the SFTP ones) can :func:`register` theirs.

Port plan (18xxx, never 8080/5432):

======  =========================  =============================================
18101   esuite                     e-Suite ZDS 1.2 SOAP (this package)
18102   reserved: esuite-zgw       e-Suite ZGW APIs
18103   suwinet                    Suwinet-Inkijk SOAP over HTTPS (client certificate)
18104   gws4all-ssd                GWS4all SSD UitkeringsSpecificatie/JaarOpgave over HTTPS
18105   zgw                        a ZGW API zaaksysteem (Zaken/Documenten/Catalogi, simulators.zgw)
18122   sftp                       Allegro/Xtendis/MyLex on a real sshd (simulators.sftp)
======  =========================  =============================================
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from simulators.faults import FaultConfig

__all__ = [
    "DEFAULT_PORTS",
    "REGISTRY",
    "SimulatorSpec",
    "Startable",
    "port_for",
    "register",
    "start_all",
]


class Startable(Protocol):
    """What a registered simulator gives back: something with a URL that starts and stops."""

    @property
    def url(self) -> str: ...

    def start(self) -> object: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class SimulatorSpec:
    """A simulator the registry can start: ``factory(port, faults)`` returns it unstarted."""

    name: str
    default_port: int
    description: str
    factory: Callable[[int, FaultConfig | None], Startable]


DEFAULT_PORTS: dict[str, int] = {
    "esuite": 18101,
    "esuite-zgw": 18102,
    "suwinet": 18103,
    "gws4all-ssd": 18104,
    "zgw": 18105,
    "sftp": 18122,
}
REGISTRY: dict[str, SimulatorSpec] = {}


def register(spec: SimulatorSpec) -> None:
    """Add (or replace) a simulator; refuses ports that belong to real services."""
    if spec.default_port in (8080, 5432) or not 1024 <= spec.default_port <= 65535:
        raise ValueError(f"{spec.name}: port {spec.default_port} is not allowed")
    REGISTRY[spec.name] = spec


def port_for(name: str, overrides: Mapping[str, int] | None = None) -> int:
    """Port of ``name``: explicit override, else ``KETENBRUG_SIM_PORT_<NAME>``, else default."""
    if overrides and name in overrides:
        return overrides[name]
    env = os.environ.get(f"KETENBRUG_SIM_PORT_{name.upper().replace('-', '_')}")
    if env:
        return int(env)
    return REGISTRY[name].default_port


def start_all(
    names: Iterable[str] | None = None,
    *,
    ports: Mapping[str, int] | None = None,
    faults: FaultConfig | None = None,
) -> dict[str, Startable]:
    """Start the named simulators (all registered ones by default); stop them all on failure."""
    wanted = list(names) if names is not None else list(REGISTRY)
    unknown = [n for n in wanted if n not in REGISTRY]
    if unknown:
        raise KeyError(f"unknown simulator(s): {', '.join(unknown)}; known: {', '.join(REGISTRY)}")
    started: dict[str, Startable] = {}
    try:
        for name in wanted:
            sim = REGISTRY[name].factory(port_for(name, ports), faults)
            sim.start()
            started[name] = sim
    except BaseException:
        for sim in started.values():
            sim.stop()
        raise
    return started


def _esuite(port: int, faults: FaultConfig | None) -> Startable:
    from simulators.esuite import make_esuite_server

    return make_esuite_server(port=port, faults=faults)


register(
    SimulatorSpec(
        "esuite", DEFAULT_PORTS["esuite"], "e-Suite, StUF-ZKN ZDS 1.2 SOAP service", _esuite
    )
)


def _zgw(port: int, faults: FaultConfig | None) -> Startable:
    from simulators.zgw import make_zgw_server

    return make_zgw_server(port=port, faults=faults)


register(
    SimulatorSpec(
        "zgw", DEFAULT_PORTS["zgw"], "ZGW API zaaksysteem (Zaken, Documenten, Catalogi)", _zgw
    )
)


def _state_dir(name: str) -> Path:
    """Where a simulator keeps keys and certificates between runs (pin once, reuse)."""
    home = Path(os.environ.get("KETENBRUG_HOME", Path.home() / ".ketenbrug"))
    return home / "simulators" / name


def _ssd(port: int, faults: FaultConfig | None) -> Startable:
    from simulators.ssd import make_ssd_server

    return make_ssd_server(tls=_state_dir("pki"), port=port, faults=faults)


def _suwinet(port: int, faults: FaultConfig | None) -> Startable:
    from simulators.suwinet import make_suwinet_server

    return make_suwinet_server(tls=_state_dir("pki"), port=port, faults=faults)


class SftpSimulators:
    """Allegro, Xtendis and MyLex on one real sshd, populated with seeded data."""

    def __init__(self, port: int, faults: FaultConfig | None) -> None:
        from simulators.faults import FaultInjector
        from simulators.sftp.server import SshdServer

        self.injector = FaultInjector(faults or FaultConfig())
        self.server = SshdServer(state_dir=_state_dir("sftp"), port=port)
        self.hotfolder: Any = None

    @property
    def url(self) -> str:
        return f"sftp://{self.server.username}@{self.server.host}:{self.server.port}/"

    def start(self) -> SftpSimulators:
        from simulators.allegro import AllegroExporter
        from simulators.mylex import MyLexArchive
        from simulators.xtendis import XtendisHotFolder

        self.server.start()
        root = self.server.root
        AllegroExporter(root / "allegro", seed=0, faults=self.injector).write_batch(50)
        mylex = MyLexArchive(root / "mylex", seed=0)
        if not any(mylex.archief.iterdir()):
            mylex.populate(200)
        self.hotfolder = XtendisHotFolder(root / "xtendis", seed=0, faults=self.injector).start()
        return self

    def stop(self) -> None:
        if self.hotfolder is not None:
            self.hotfolder.stop()
        self.server.stop()


register(
    SimulatorSpec(
        "gws4all-ssd",
        DEFAULT_PORTS["gws4all-ssd"],
        "GWS4all SSD UitkeringsSpecificatie/JaarOpgave, SOAP over HTTPS with client certificate",
        _ssd,
    )
)
register(
    SimulatorSpec(
        "suwinet",
        DEFAULT_PORTS["suwinet"],
        "Suwinet-Inkijk BRP/UWV dossiers, SOAP over HTTPS with client certificate",
        _suwinet,
    )
)
register(
    SimulatorSpec(
        "sftp",
        DEFAULT_PORTS["sftp"],
        "Allegro export, Xtendis hot folder and MyLex archive over a real OpenSSH sshd",
        SftpSimulators,
    )
)

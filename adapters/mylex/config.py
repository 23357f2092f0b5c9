"""Connection settings of MyLex' SFTP archive: validated once, then frozen (host key pinned)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from adapters.sftp.settings import DEFAULT_TIMEOUT_S, PinnedSftpConfig, SftpConfigError

__all__ = [
    "DEFAULT_ARCHIEFVORMER",
    "DEFAULT_TIMEOUT_S",
    "Archiefvormer",
    "MyLexConfig",
    "SftpConfigError",
]


@dataclass(frozen=True)
class Archiefvormer:
    """The organisation that forms the archive, as MDTO's ``archiefvormer`` names it.

    Why in the config: a deployment serving several municipalities writes each one's documents
    into its own MyLex under its own name (``Gemeente Deventer``, TOOI code ``gm0150``), so the
    name comes from that municipality's Connection, never from the code.
    """

    naam: str
    code: str
    bron: str = "TOOI"

    def __post_init__(self) -> None:
        if not self.naam.strip() or not self.code.strip() or not self.bron.strip():
            raise SftpConfigError("archiefvormer heeft een naam, een code en een bron nodig")

    @classmethod
    def of(cls, value: object) -> Archiefvormer:
        """From a Connection extra or plain data: ``{"naam": ..., "code": ..., "bron"?}``."""
        if isinstance(value, Archiefvormer):
            return value
        if not isinstance(value, Mapping) or not value.get("naam") or not value.get("code"):
            raise SftpConfigError(
                'archiefvormer moet {"naam": ..., "code": ...} zijn '
                '(bijvoorbeeld {"naam": "Gemeente Deventer", "code": "gm0150"})'
            )
        return cls(str(value["naam"]), str(value["code"]), str(value.get("bron") or "TOOI"))


#: What every installation wrote before the archiefvormer was configurable.
DEFAULT_ARCHIEFVORMER = Archiefvormer("Gemeente Enschede", "gm0153")


@dataclass(frozen=True)
class MyLexConfig(PinnedSftpConfig):
    """Where and as whom Ketenbrug reads and writes the old archive.

    ``root_dir`` (relative to the SFTP login folder) holds ``archief/<jaar>/<zaak>/``;
    ``archiefvormer`` is the municipality named in every informatieobject written there.
    """

    title: ClassVar[str] = "MyLex"
    folders: ClassVar[tuple[str, ...]] = ("root_dir",)

    root_dir: str = "mylex"
    archiefvormer: Archiefvormer = DEFAULT_ARCHIEFVORMER

    def __post_init__(self) -> None:
        super().__post_init__()
        # plain data too (a Connection extra, a config rebuilt from ``asdict``)
        object.__setattr__(self, "archiefvormer", Archiefvormer.of(self.archiefvormer))

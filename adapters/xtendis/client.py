"""Xtendis' SFTP hot folder as a client: drop a document, read its receipt.

Why this shape: Xtendis answers with receipt files, not synchronously, so a drop is not
idempotent by itself. The drop protocol (``docs/file-layouts.md``) makes it safe: the document
(``<name>.<ext>``, the extension of its detected format) and the index are published first
(temp name + rename each), the ``.sha256`` commit marker, which names the document file, last;
before a re-drop after a crash the caller asks :meth:`XtendisClient.already_dropped`. The file
is streamed with SHA-256 computed on the way and checked against the source's checksum before
anything appears under its final name, so Xtendis never imports a document Ketenbrug did not
verify.
"""

from __future__ import annotations

import logging
import time
from typing import BinaryIO

from adapters.errors import AmbiguousWriteError
from adapters.sftp.pinned import SftpClient, safe_name
from adapters.xtendis.config import XtendisConfig
from adapters.xtendis.index import SYSTEM, Receipt, XtendisIndex, build_index, parse_receipt

__all__ = ["ReceiptTimeoutError", "XtendisClient"]

log = logging.getLogger(__name__)


class ReceiptTimeoutError(AmbiguousWriteError):
    """No receipt in time: the drop may still be imported; look for its receipt before a re-drop."""


class XtendisClient(SftpClient):
    """Drops documents into Xtendis' hot folder and reads the receipts.

    Connects on first use and again after a dropped connection. Not thread-safe.
    """

    def __init__(self, config: XtendisConfig) -> None:
        super().__init__(config, SYSTEM)
        self.config = config

    # ------------------------------------------------------------------ drop
    def drop(
        self,
        name: str,
        content: BinaryIO,
        index: XtendisIndex,
        expected_sha256: str | None = None,
        *,
        extension: str = "pdf",
    ) -> str:
        """Drop ``<name>.<extension>``, ``<name>.xml`` and, last, the ``<name>.sha256`` marker.

        ``extension`` is that of the format detected from the content (``Bestandsformaat``);
        the marker names the document file, so Xtendis knows which one to import.

        ``content`` is read in chunks, never whole. With ``expected_sha256`` a mismatch raises
        :class:`~adapters.errors.ChecksumMismatchError` (``checksum_mismatch``)
        and the temp file is removed: nothing is published. Returns the SHA-256 of the document.
        A cut connection raises :class:`~adapters.errors.TransientError`; what was renamed by
        then is harmless without its marker (Xtendis ignores it, a re-drop overwrites it).
        """
        name = safe_name(name, SYSTEM)
        folder = self.config.hotfolder_dir
        bestand = f"{name}.{safe_name(extension, SYSTEM)}"
        xml, marker = f"{name}.xml", f"{name}.sha256"
        index_xml = build_index(index)  # before any upload: a bad index fails nothing remote
        with self._sftp.guard("drop", bestand):
            sha256, size, _ = self._sftp.upload_stream(
                folder, bestand, content, expected_sha256, operation="drop"
            )
            self._sftp.publish_bytes(folder, xml, index_xml)
            self._sftp.publish_bytes(folder, marker, f"{sha256}  {bestand}\n".encode("ascii"))
        log.info("xtendis: %s aangeleverd (%d bytes, sha256 %s…)", name, size, sha256[:12])
        return sha256

    # ------------------------------------------------------------------ receipts
    def receipt(self, name: str) -> Receipt | None:
        """The receipt for drop ``name`` (OK or FOUT), or None when there is none yet."""
        name = safe_name(name, SYSTEM)
        folder = self.config.receipts_dir

        def read() -> bytes | None:
            for kind in ("ok", "error"):
                data = self._sftp.read_small(f"{folder}/{name}.{kind}.xml", limit=256 * 1024)
                if data is not None:
                    return data
            return None

        data = self._sftp.read("receipt", read)
        return parse_receipt(name, data) if data is not None else None

    def wait_for_receipt(self, name: str, timeout_s: float = 60.0, poll_s: float = 1.0) -> Receipt:
        """Poll for the receipt of ``name``; an OK receipt is returned.

        An error receipt raises :class:`~adapters.xtendis.index.XtendisRejectedError`
        (``xtendis_rejected``, with the reason code); no receipt within ``timeout_s`` raises
        :class:`ReceiptTimeoutError` (the drop may still be imported: check, then wait again).
        """
        deadline = time.monotonic() + timeout_s
        while True:
            found = self.receipt(name)
            if found is not None:
                return found.raise_for_error()
            if time.monotonic() >= deadline:
                raise ReceiptTimeoutError(
                    f"Xtendis: geen ontvangstbevestiging voor {name} binnen {timeout_s:g} s",
                    system=SYSTEM,
                    operation="wait_for_receipt",
                )
            time.sleep(poll_s)

    def already_dropped(self, name: str) -> Receipt | None:
        """The existing receipt of ``name``, so a rerun after a crash does not drop twice.

        None means no receipt: if :meth:`pending` is True the drop is committed and merely
        waiting for the importer (wait, do not re-drop); otherwise drop (again).
        """
        return self.receipt(name)

    def pending(self, name: str) -> bool:
        """True when the commit marker of ``name`` is still in the hot folder (not imported)."""
        name = safe_name(name, SYSTEM)
        marker = f"{self.config.hotfolder_dir}/{name}.sha256"
        return self._sftp.read("pending", lambda: self._sftp.exists(marker))

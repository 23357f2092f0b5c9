"""What Xtendis lets Ketenbrug see afterwards: the names in its receipts folder, streamed.

Why only receipts: Xtendis' interface is the hot folder and ``receipts/``; its own store (the
dossiers) is not exposed, so there is no listing of documents to compare. The receipts are what
the nightly check (:mod:`sync.xtendis_controle`) holds against the ledger.
"""

from __future__ import annotations

from collections.abc import Iterator

from adapters.sftp.pinned import is_temp_name
from adapters.xtendis.client import XtendisClient

__all__ = ["ontvangstbevestigingen"]

_SUFFIXES = ((".ok.xml", True), (".error.xml", False))


def ontvangstbevestigingen(client: XtendisClient) -> Iterator[tuple[str, bool]]:
    """``(drop name, ok)`` for every receipt, in the server's order, without holding the list.

    Files that are not receipts (temp names, other suffixes) are skipped. A line that drops
    mid-listing is listed again from the start (:meth:`PinnedSftp.read_listing`), so a name may
    come twice: the nightly check counts each name once.
    """
    folder = client.config.receipts_dir

    def listing() -> Iterator[tuple[str, bool]]:
        for attributes in client._sftp.session().listdir_iter(folder):
            name = attributes.filename
            if is_temp_name(name):
                continue
            for suffix, ok in _SUFFIXES:
                if name.endswith(suffix):
                    yield name.removesuffix(suffix), ok
                    break

    return client._sftp.read_listing("ontvangstbevestigingen", listing)

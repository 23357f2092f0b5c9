"""StUF-ZKN codec for Zaak- en Documentservices 1.1 (GWS4all) and 1.2 (e-Suite).

Pure Python on lxml: no Airflow, no I/O besides reading its own schema files.

* :func:`parse_message` — SOAP 1.1/1.2 or bare StUF bytes → typed message (liberal).
* :func:`build_message` / :func:`build_fault` — typed message → SOAP bytes (strict, XSD-valid).
* :func:`validate` — findings against the shipped, flattened official XSDs.
* :func:`stream_inhoud` — voegZaakdocumentToe with the document streamed to a file.

Errors: :class:`StufError` (and :class:`UnsafeXmlError` for DTD/entities), BSN-free.
"""

from stuf import model
from stuf.build import build_fault, build_message, new_stuurgegevens, soap_action_for
from stuf.errors import StufError, UnsafeXmlError
from stuf.model import *  # noqa: F403  (the typed messages and values: model.__all__)
from stuf.parse import detect_function, parse_message
from stuf.schema import validate
from stuf.stream import StreamedDocument, stream_inhoud

__all__ = [
    "StreamedDocument",
    "StufError",
    "UnsafeXmlError",
    "build_fault",
    "build_message",
    "detect_function",
    "new_stuurgegevens",
    "parse_message",
    "soap_action_for",
    "stream_inhoud",
    "validate",
]
__all__ += model.__all__

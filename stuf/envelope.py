"""SOAP 1.1/1.2 envelopes and faults around a StUF message."""

from __future__ import annotations

from lxml import etree

from stuf.errors import StufError
from stuf.model import SoapVersion
from stuf.operations import q
from stuf.xml import NS, SOAP11, SOAP12

__all__ = ["envelope", "fault_envelope", "serialize", "unwrap"]

_SOAP = {SoapVersion.V1_1: SOAP11, SoapVersion.V1_2: SOAP12}
_BODIES = {q(ns, "Envelope"): (q(ns, "Body"), version) for version, ns in _SOAP.items()}


def envelope(soap: SoapVersion) -> tuple[etree._Element, etree._Element]:
    """A new envelope (declaring the StUF prefixes once) and its Body."""
    ns = _SOAP[soap]
    env = etree.Element(q(ns, "Envelope"), nsmap={"soapenv": ns, **NS})
    return env, etree.SubElement(env, q(ns, "Body"))


def fault_envelope(
    soap: SoapVersion, reason: str, *, client: bool
) -> tuple[etree._Element, etree._Element]:
    """A Fault envelope; returns the envelope and the fault's detail element."""
    env, body = envelope(soap)
    ns = _SOAP[soap]
    fault = etree.SubElement(body, q(ns, "Fault"))
    if soap is SoapVersion.V1_1:
        etree.SubElement(fault, "faultcode").text = f"soapenv:{'Client' if client else 'Server'}"
        etree.SubElement(fault, "faultstring").text = reason
        return env, etree.SubElement(fault, "detail")
    code = etree.SubElement(fault, q(ns, "Code"))
    etree.SubElement(code, q(ns, "Value")).text = f"soapenv:{'Sender' if client else 'Receiver'}"
    text = etree.SubElement(etree.SubElement(fault, q(ns, "Reason")), q(ns, "Text"))
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "nl")
    text.text = reason
    return env, etree.SubElement(fault, q(ns, "Detail"))


def serialize(env: etree._Element) -> bytes:
    """UTF-8 bytes with an XML declaration."""
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def unwrap(root: etree._Element) -> tuple[etree._Element, SoapVersion | None]:
    """The StUF message inside a SOAP envelope (or ``root`` itself when it is bare).

    A SOAP Fault is returned as the Fault element; the caller looks for a ``Fo0x`` in it.
    Children are listed by slicing (cheaper than lxml's iterator): this runs for every message.
    """
    tag = root.tag
    if not isinstance(tag, str):
        raise StufError("document has no element root", plek="/")
    soap = _BODIES.get(tag)
    if soap is None:
        if tag.endswith("}Envelope"):
            raise StufError("unknown SOAP envelope namespace", plek="/Envelope")
        return root, None
    body_tag, version = soap
    for body in root[:]:
        if body.tag == body_tag:
            break
    else:
        raise StufError("SOAP envelope without Body", plek="/Envelope")
    children = body[:]
    if len(children) != 1 or not isinstance(children[0].tag, str):  # comments, PIs
        children = [child for child in children if isinstance(child.tag, str)]
        if len(children) != 1:
            raise StufError(
                f"SOAP Body holds {len(children)} elements, expected 1", plek="/Envelope/Body"
            )
    return children[0], version

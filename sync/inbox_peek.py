"""A cheap look at a spooled push before the inbox takes it: its message element and zender.

The door needs two facts before a message may be stored: which ZDS message it is (to check
the SOAPAction against it) and which ``zender`` its stuurgegevens name (to check it against the
authenticated sender). Both sit at the top of the message, so the spool is fed in chunks to
:func:`stuf.xml.safe_parser` with a parser *target* (no tree is built; the same settings as
every other parse, and any DOCTYPE refused) and feeding stops once they are known: a 500 MB
document costs its first chunk.

The zender is found exactly where the codec's reader takes it (``stuf._reader``): the message
element is the SOAP Body's first element child (or the bare root), its stuurgegevens the first
child in ZKN, else ZDS, else StUF namespace, its zender the first ``StUF:zender`` child, and
organisatie/applicatie the text before any child, comment or PI. A message whose zender is
read elsewhere by the inbox than here is a bypass, so the rules are kept the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from lxml import etree

from stuf.errors import StufError
from stuf.xml import MAX_DEPTH, SOAP11, SOAP12, STUF, ZDS, ZKN, refuse_doctype, safe_parser

__all__ = ["Peek", "peek_message"]

_CHUNK = 1 << 16
_ENVELOPES = {
    f"{{{SOAP11}}}Envelope": f"{{{SOAP11}}}Body",
    f"{{{SOAP12}}}Envelope": f"{{{SOAP12}}}Body",
}
_SG_RANK = {f"{{{ns}}}stuurgegevens": rank for rank, ns in enumerate((ZKN, ZDS, STUF))}
_ZENDER = f"{{{STUF}}}zender"
_FIELDS = {f"{{{STUF}}}organisatie": "organisatie", f"{{{STUF}}}applicatie": "applicatie"}
_MAX_FIELD = 256
# The zender sits 6 levels down; a SOAP header may nest a little. Deeper is refused.
_MAX_DEPTH = MAX_DEPTH  # the one limit every parser of the repository keeps


@dataclass
class Peek:
    """What the top of a message says. ``well_formed`` is False when parsing stopped on an
    error before both facts were known (the inbox then refuses the message itself)."""

    message_tag: str | None = None
    organisatie: str | None = None
    applicatie: str | None = None
    zender_found: bool = False
    well_formed: bool = True


class _Target:
    """Parser target tracking only the path down to the zender's fields."""

    def __init__(self) -> None:
        self.depth = 0
        self.body_tag: str | None = (
            None  # the Body tag to look for, when the root is a SOAP Envelope
        )
        self.in_body = False  # inside the envelope's first Body
        self.body_done = False
        self.message_depth = 0  # depth of the message element once known (1 or 3)
        self.message_tag: str | None = None
        self.best_rank = len(_SG_RANK)  # rank of the best stuurgegevens so far (0 = ZKN)
        self.best: dict[str, str | None] | None = None  # its zender fields (None: no zender)
        self.sg_rank: int | None = None  # rank of the stuurgegevens we are inside, if any
        self.zender: dict[str, str | None] | None = None  # the zender of that stuurgegevens
        self.in_zender = False
        self.seen_fields: set[str] = set()
        self.field: str | None = None  # field whose text is being collected
        self.text: list[str] = []
        self.text_open = False
        self.done = False
        self.too_deep = False  # or a DOCTYPE: either way unreadable here

    # -- events ----------------------------------------------------------------------------
    def start(self, tag: str, attrib: Any, _nsmap: Any = None) -> None:
        if self.done:
            return
        self.text_open = False  # lxml's .text is the text before the first child/comment/PI
        self.depth += 1
        depth = self.depth
        if depth > _MAX_DEPTH:  # libxml2 does not cap nesting for a target parser: we do
            self.done = self.too_deep = True
            return
        if depth == 1:
            self.body_tag = _ENVELOPES.get(tag)
            if self.body_tag is None:
                self.message_depth, self.message_tag = 1, tag
            return
        if not self.message_depth:  # inside a SOAP envelope, before the message
            if depth == 2 and tag == self.body_tag and not self.body_done:
                self.in_body = True
            elif depth == 3 and self.in_body:
                self.message_depth, self.message_tag = 3, tag
            return
        level = depth - self.message_depth
        if level == 1:
            rank = _SG_RANK.get(tag)
            if rank is not None and rank < self.best_rank:
                self.sg_rank, self.zender = rank, None
        elif level == 2 and self.sg_rank is not None:
            if tag == _ZENDER and self.zender is None:
                self.zender = {"organisatie": None, "applicatie": None}
                self.in_zender = True
                self.seen_fields = set()
        elif level == 3 and self.in_zender and tag in _FIELDS:
            name = _FIELDS[tag]
            if name not in self.seen_fields:  # the first of a tag wins
                self.seen_fields.add(name)
                if not attrib:  # nil / noValue: no value, so it never matches a zender
                    self.field, self.text, self.text_open = name, [], True

    def end(self, _tag: str) -> None:
        if self.done:
            return
        self.text_open = False
        depth = self.depth
        self.depth -= 1
        if not self.message_depth:
            if depth == 2 and self.in_body:
                self.in_body, self.body_done = False, True
            return
        level = depth - self.message_depth
        if level == 3 and self.field is not None:
            assert self.zender is not None
            self.zender[self.field] = "".join(self.text)[:_MAX_FIELD]
            self.field = None
        elif level == 2 and self.in_zender:
            self.in_zender = False
        elif level == 1 and self.sg_rank is not None:
            self.best_rank, self.best, self.sg_rank = self.sg_rank, self.zender, None
            if self.best_rank == 0:  # the first ZKN stuurgegevens always wins
                self.done = True
        elif level == 0:
            self.done = True

    def data(self, text: str) -> None:
        if self.text_open and sum(map(len, self.text)) < _MAX_FIELD:
            self.text.append(text)

    def doctype(self, *_args: Any) -> None:
        self.done = self.too_deep = True  # a DTD: not read further; the inbox refuses it

    def comment(self, _text: str) -> None:
        self.text_open = False

    def pi(self, _target: str, _data: str | None = None) -> None:
        self.text_open = False

    def close(self) -> None:
        return None


def peek_message(spool: IO[bytes], *, chunk_size: int = _CHUNK) -> Peek:
    """Read ``spool`` from the start until the message element and its zender are known.

    Leaves the file position wherever it stopped: the caller seeks back to 0.
    """
    target = _Target()
    parser = safe_parser(target=target)
    tail = b""
    head = True
    well_formed = True
    try:
        while not target.done:
            chunk = spool.read(chunk_size)
            if not chunk:
                parser.close()
                break
            refuse_doctype(tail + chunk, head=head)
            head = False
            tail = chunk[-64:]  # a UTF-32 "<!DOCTYPE" is 36 bytes: never split unseen
            parser.feed(chunk)
    except (etree.XMLSyntaxError, StufError, AssertionError):
        well_formed = False
    best = target.best
    return Peek(
        message_tag=target.message_tag,
        organisatie=best["organisatie"] if best else None,
        applicatie=best["applicatie"] if best else None,
        zender_found=best is not None,
        well_formed=well_formed and not target.too_deep,
    )

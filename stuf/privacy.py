"""BSN masking, shared by every layer.

A BSN (burgerservicenummer) must never reach a log line, an exception text, an XCom or a
list view unmasked. This module lives in the lowest layer (``stuf``) so that the codec,
the adapters, the engine and the DAGs can all use the same rule.
"""

from __future__ import annotations

import logging
import re

__all__ = ["BsnMaskingFilter", "install_log_masking", "is_valid_bsn", "mask_bsn", "mask_text"]

# Nine digits not glued to other digits: the shape of a BSN inside free text.
_BSN_IN_TEXT = re.compile(r"(?<!\d)(\d{9})(?!\d)")


def is_valid_bsn(value: str) -> bool:
    """True when ``value`` is nine digits passing the elfproef (11-check)."""
    if len(value) != 9 or not value.isdigit():
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    total = sum(int(digit) * weight for digit, weight in zip(value, weights, strict=True))
    return total % 11 == 0 and value != "000000000"


def mask_bsn(value: str | None) -> str:
    """Mask a BSN to ``*****1234``: enough for beheer to recognise, useless to anyone else."""
    if not value:
        return ""
    return "*" * max(len(value) - 4, 0) + value[-4:]


def mask_text(text: str) -> str:
    """Mask every nine-digit number in free text.

    Any nine-digit run is masked, elfproef or not: a mistyped BSN is still personal data.
    """
    return _BSN_IN_TEXT.sub(lambda match: mask_bsn(match.group(1)), text)


class BsnMaskingFilter(logging.Filter):
    """Logging filter that masks BSNs in the formatted message before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True


def install_log_masking(logger: logging.Logger | None = None) -> None:
    """Attach the masking filter to every handler of ``logger`` (root by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, BsnMaskingFilter) for f in handler.filters):
            handler.addFilter(BsnMaskingFilter())

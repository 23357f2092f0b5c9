"""BSN masking, shared by every layer.

A BSN (burgerservicenummer) must never reach a log line, an exception text, an XCom or a
list view unmasked. One rule for the codec, the adapters, the engine, the DAGs and beheer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

__all__ = ["BsnMaskingFilter", "install_log_masking", "is_valid_bsn", "mask_bsn", "mask_text"]

# The shapes of a BSN inside free text: nine digits not glued to other digits, or three
# groups of three split by one and the same separator (111.222.333, 111 222 333,
# 111-222-333). Dates and times never group 3-3-3; see _mask_match for longer numbers.
_BSN_IN_TEXT = re.compile(
    r"(?<!\d)(?:(?P<plain>\d{9})|(?P<a>\d{3})(?P<sep>[. -])(?P<b>\d{3})(?P=sep)(?P<c>\d{3}))(?!\d)"
)


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


def _mask_match(match: re.Match[str]) -> str:
    """The masked BSN; a grouped form stays when it is only part of a longer number.

    Longer: the same separator and a digit right before or after it (1.112.345.678,
    192.168.100.200, 111-222-333-444), or a decimal comma after a dotted form
    (112.345.678,90 is an amount).
    """
    if match["plain"]:
        return mask_bsn(match["plain"])
    text, sep, start, end = match.string, match["sep"], match.start(), match.end()
    before, after = text[max(start - 2, 0) : start], text[end : end + 2]
    longer = {sep} | ({","} if sep == "." else set())
    if (len(before) == 2 and before[0].isdigit() and before[1] == sep) or (
        len(after) == 2 and after[0] in longer and after[1].isdigit()
    ):
        return match.group(0)
    return mask_bsn(f"{match['a']}{match['b']}{match['c']}")


def mask_text(text: str) -> str:
    """Mask every nine-digit number in free text, also when written in groups of three.

    Any nine-digit run is masked, elfproef or not: a mistyped BSN is still personal data.
    """
    return _BSN_IN_TEXT.sub(_mask_match, text)


class BsnMaskingFilter(logging.Filter):
    """Logging filter that masks BSNs in the formatted message before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            # render the traceback now, masked; formatters reuse a record's exc_text
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


_MASKING = BsnMaskingFilter()


class _MaskingRecordFactory:
    """Wraps the process's LogRecord factory: every record is masked as it is made.

    Why besides the handler filter: Airflow (and uvicorn) set up their own handlers, some
    after our code is imported, so a filter on today's handlers can miss tomorrow's; a record
    made through this factory is masked before any handler, present or later, sees it.
    """

    def __init__(self, inner: Callable[..., logging.LogRecord]) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        _MASKING.filter(record)
        return record


def install_log_masking(logger: logging.Logger | None = None) -> None:
    """Mask BSNs in log output: the filter on every handler of ``logger``.

    Without ``logger``, process-wide: every record is masked as it is made (so handlers added
    later are covered too), and the filter goes on the handlers of the root and of every
    logger that has its own (uvicorn's, Airflow's). Safe to call more than once.
    """
    if logger is None:
        factory = logging.getLogRecordFactory()
        if not isinstance(factory, _MaskingRecordFactory):
            logging.setLogRecordFactory(_MaskingRecordFactory(factory))
        loggers = [logging.getLogger()] + [
            item for item in logging.Logger.manager.loggerDict.values()
            if isinstance(item, logging.Logger)
        ]  # fmt: skip
    else:
        loggers = [logger]
    for target in loggers:
        for handler in target.handlers:
            if not any(isinstance(f, BsnMaskingFilter) for f in handler.filters):
                handler.addFilter(BsnMaskingFilter())

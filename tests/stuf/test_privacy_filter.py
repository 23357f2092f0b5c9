"""The logging filter masks a BSN in the formatted line (text or argument) and in a traceback."""

from __future__ import annotations

import io
import logging

from privacy.masking import BsnMaskingFilter, install_log_masking

BSN = "123456782"


def _logger(stream: io.StringIO) -> logging.Logger:
    logger = logging.getLogger(f"test.privacy.{id(stream)}")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    install_log_masking(logger)
    return logger


def test_the_filter_masks_a_bsn_in_message_and_arguments() -> None:
    stream = io.StringIO()
    logger = _logger(stream)
    logger.warning("klant %s", BSN)
    logger.warning(f"klant {BSN} in de tekst")
    output = stream.getvalue()
    assert BSN not in output
    assert output.count("*****6782") == 2


def test_the_filter_masks_a_bsn_in_a_traceback() -> None:
    stream = io.StringIO()
    logger = _logger(stream)
    try:
        raise ValueError(f"bsn {BSN} onbekend")
    except ValueError:
        logger.exception("fout")
    assert BSN not in stream.getvalue()
    assert "*****6782" in stream.getvalue()


def test_install_adds_one_filter_per_handler() -> None:
    stream = io.StringIO()
    logger = _logger(stream)
    install_log_masking(logger)
    (handler,) = logger.handlers
    assert sum(isinstance(f, BsnMaskingFilter) for f in handler.filters) == 1

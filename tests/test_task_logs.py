"""``[logging] namespace_levels`` applied to stdlib loggers (Airflow applies it to structlog's)."""

from __future__ import annotations

import logging

from demo.ui import NOISY_LOGGERS
from sync.task_logs import apply_namespace_levels, parse_namespace_levels


def test_the_ui_setting_quiets_the_stdlib_loggers_it_names() -> None:
    probe = logging.getLogger("alembic.runtime.migration")
    before = {name: logging.getLogger(name).level for name in ("alembic", "paramiko")}
    try:
        set_ = apply_namespace_levels({"AIRFLOW__LOGGING__NAMESPACE_LEVELS": NOISY_LOGGERS})
        assert set_["alembic"] == set_["paramiko"] == logging.WARNING
        assert not probe.isEnabledFor(logging.INFO)
        assert probe.isEnabledFor(logging.WARNING)
    finally:
        for name, level in before.items():
            logging.getLogger(name).setLevel(level)


def test_commas_spaces_and_junk() -> None:
    assert parse_namespace_levels(" a=debug,b=ERROR  c=nope d e=") == {
        "a": logging.DEBUG,
        "b": logging.ERROR,
    }
    assert parse_namespace_levels("") == {}

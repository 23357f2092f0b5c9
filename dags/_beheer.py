"""Beheer's side of the DAGs: the notifier that tells beheer about new dead letters or drift.

A run that produced new dead letters (or, for the archive reconciliation, new drift items)
sends an e-mail through Airflow's SMTP provider (Connection ``ketenbrug_smtp``) to the
addresses in ``KETENBRUG_MELDING_<FLOW>`` (else ``KETENBRUG_MELDING``; ``-`` switches a flow
off). Nothing set: nothing sent. The text comes from :mod:`sync.notify` (counts, no personal
data), read from the run's own municipality's state store; with several municipalities the
subject names it. Not a DAG file (the leading underscore): the DAG files import it.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from airflow.sdk.bases.notifier import BaseNotifier

from sync.task_logs import apply_namespace_levels
from sync.tenants import DEFAULT, Tenant

log = logging.getLogger(__name__)
apply_namespace_levels()  # framework loggers quiet in task logs, as ./run ui asks

SMTP_CONN_ID = "ketenbrug_smtp"


class BeheerNotifier(BaseNotifier):
    """E-mails beheer after a run that needs them; configurable per flow by environment."""

    template_fields = ("flow",)

    def __init__(
        self, flow: str, *, tenant: Tenant = DEFAULT, smtp_conn_id: str = SMTP_CONN_ID
    ) -> None:
        super().__init__()
        self.flow = flow
        self.tenant = tenant
        self.smtp_conn_id = smtp_conn_id

    def notify(self, context: Any) -> None:
        from sync.config import load_settings
        from sync.notify import recipients, run_story
        from sync.store.db import open_store

        to = recipients(self.flow, os.environ)
        if not to:
            return
        store = open_store(load_settings(tenant=self.tenant.code or None))
        try:
            story = run_story(store, self.flow, str(context["run_id"]))
        finally:
            store.dispose()
        if not story.needs_beheer:
            return
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        body = story.note(failed=False).replace("\n", "<br>\n")
        subject = story.subject()
        if not self.tenant.is_default:
            subject = f"{self.tenant.naam}: {subject}"
        with SmtpHook(smtp_conn_id=self.smtp_conn_id) as smtp:
            smtp.send_email_smtp(to=to, subject=subject, html_content=f"<p>{body}</p>")
        log.info("beheer gemeld (%s): %s", ", ".join(to), subject)


def melding(flow: str, tenant: Tenant = DEFAULT) -> list[BeheerNotifier]:
    """The callbacks a flow's summary task gets: ``on_success_callback=melding("zaken", t)``."""
    return [BeheerNotifier(flow, tenant=tenant)]

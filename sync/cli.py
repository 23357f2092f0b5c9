"""The ``ketenbrug`` command: state store, inbox, dead letters, mappings, StUF, drift, purge.

Production only: the demo, its UI and the simulators have their own commands
(``python -m demo``, ``python -m demo ui``, ``python -m simulators.cli up``; ``./run`` wraps them).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from privacy.masking import mask_text
from sync.audit import current_actor
from sync.config import load_settings
from sync.store.db import open_store
from sync.store.models import DeadLetter
from sync.tenants import load_tenants

__all__ = ["main"]


def _cmd_db_upgrade(_args: argparse.Namespace) -> int:
    """Migrate the state store: of KETENBRUG_TENANT, else of every municipality served."""
    chosen = os.environ.get("KETENBRUG_TENANT")
    codes = [chosen] if chosen else [tenant.code or None for tenant in load_tenants()]
    for code in codes:
        settings = load_settings(tenant=code)
        store = open_store(settings)
        store.dispose()
        name = f"{settings.tenant.naam}: " if code else ""
        print(f"{name}state store up to date: {mask_text(settings.database_url)}")
    return 0


def _cmd_mappings_check(args: argparse.Namespace) -> int:
    from mappings.tables import DEFAULT_DIR, validate_tables

    folder = Path(args.folder) if args.folder else (load_settings().mappings_dir or DEFAULT_DIR)
    findings = validate_tables(folder)
    for finding in findings:
        print(f"FOUT  {finding}")
    print(f"{folder}: {'in orde' if not findings else f'{len(findings)} fout(en)'}")
    return 1 if findings else 0


def _cmd_stuf_check(args: argparse.Namespace) -> int:
    from stuf.cli import check_files

    return check_files(args.files)


def _cmd_inbox_serve(args: argparse.Namespace) -> int:
    """Serve the inbox over TLS (mTLS and/or basic auth per sender), or refuse to start.

    One service for every configured tenant (``KETENBRUG_TENANTS``): each under ``/<code>/``
    with its own state store and blob store; every sender must name its tenant.
    """
    import dataclasses
    import os

    from privacy.masking import install_log_masking
    from sync.blobs import BlobStore
    from sync.inbox import Inbox
    from sync.inbox_app import Door, create_app
    from sync.inbox_door import load_senders
    from sync.inbox_guard import DoorLimits, GuardedServer, guarded_config, server_tls_context

    env = os.environ
    cert = args.tls_cert or env.get("KETENBRUG_INBOX_TLS_CERT")
    key = args.tls_key or env.get("KETENBRUG_INBOX_TLS_KEY")
    client_ca = args.client_ca or env.get("KETENBRUG_INBOX_CLIENT_CA")
    senders_file = args.senders or env.get("KETENBRUG_INBOX_SENDERS")
    limits = DoorLimits.from_env()
    overrides = {
        "max_body_bytes": args.max_body_mb and args.max_body_mb * 1024 * 1024,
        "max_connections": args.max_connections,
        "header_timeout_s": args.header_timeout,
        "body_timeout_s": args.body_timeout,
    }
    limits = dataclasses.replace(limits, **{k: v for k, v in overrides.items() if v})
    tenants = load_tenants()
    codes = [tenant.code for tenant in tenants]
    senders = load_senders(senders_file, tenants=codes) if senders_file else None
    if args.insecure_http:
        print(
            "WAARSCHUWING: inbox zonder TLS (--insecure-http): alleen voor ontwikkeling. "
            + ("Iedereen die de poort bereikt kan berichten sturen." if senders is None else ""),
            file=sys.stderr,
        )
        tls = None
    else:
        if not (cert and key):
            print(
                "inbox serve: TLS is verplicht: --tls-cert en --tls-key "
                "(of KETENBRUG_INBOX_TLS_CERT/_KEY); --insecure-http alleen voor ontwikkeling",
                file=sys.stderr,
            )
            return 2
        if senders is None:
            print(
                "inbox serve: geen zenders geconfigureerd: --senders of KETENBRUG_INBOX_SENDERS",
                file=sys.stderr,
            )
            return 2
        if senders.uses_certificates and not client_ca:
            print(
                "inbox serve: zenders met een certificaat vragen --client-ca "
                "(of KETENBRUG_INBOX_CLIENT_CA)",
                file=sys.stderr,
            )
            return 2
        tls = server_tls_context(cert, key, client_ca)
    inboxes = []
    for tenant in tenants:
        settings = load_settings(tenant=tenant.code or None)
        blobs = BlobStore(settings.home / "blobs")
        inboxes.append(Inbox(open_store(settings), blobs=blobs, tenant=tenant))
    if not tenants[0].is_default:
        print(f"inbox serve: gemeenten onder /<code>/: {', '.join(codes)}", file=sys.stderr)
    app = create_app(inboxes, Door(senders=senders, limits=limits))
    config = guarded_config(
        app, host=args.host, port=args.port, limits=limits, tls=tls, log_level="info"
    )
    install_log_masking()
    GuardedServer(config).run()
    return 0


def _cmd_deadletters_list(args: argparse.Namespace) -> int:
    store = open_store(load_settings())
    with store.session() as session:
        query = select(DeadLetter).order_by(DeadLetter.id)
        if args.state != "all":
            query = query.where(DeadLetter.state == args.state)
        if args.flow:
            query = query.where(DeadLetter.flow == args.flow)
        letters = list(session.scalars(query))
    print(f"{'id':>6}  {'flow':<10} {'status':<17} {'reden':<16} {'pogingen':>8}  melding")
    for letter in letters:
        print(
            f"{letter.id:>6}  {letter.flow:<10} {letter.state:<17} {letter.reason:<16} "
            f"{letter.attempts:>8}  {mask_text(letter.message)[:120]}"
        )
        if letter.resend_note:
            print(f"{'':>6}  laatste keer opnieuw aanbieden: {mask_text(letter.resend_note)}")
    print(f"{len(letters)} dead letter(s)")
    return 0


def _cmd_deadletters_resend(args: argparse.Namespace) -> int:
    from sync.resend import ResendRefused, request_resend

    store = open_store(load_settings())
    try:
        for letter_id in args.ids:
            if request_resend(store, letter_id, actor=current_actor()):
                print(f"dead letter {letter_id}: opnieuw aanbieden aangevraagd (volgende run)")
            else:
                print(f"dead letter {letter_id}: was al aangevraagd (volgende run)")
    except ResendRefused as refused:
        print(str(refused), file=sys.stderr)
        return 1
    return 0


def _cmd_deadletters_skip(args: argparse.Namespace) -> int:
    from sync.resend import ResendRefused, skip_dead_letter

    store = open_store(load_settings())
    try:
        skip_dead_letter(store, args.id, actor=current_actor(), reason=args.reason)
    except ResendRefused as refused:
        print(str(refused), file=sys.stderr)
        return 1
    print(f"dead letter {args.id}: overgeslagen")
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    """Which queries were made about this person (the doelbinding log), and why."""
    from adapters.ssd.hook import SsdHook  # the key lives in the SSD Connection's password
    from privacy.masking import is_valid_bsn, mask_bsn
    from sync.doelbinding import GEVRAAGD, queries_about

    bsn = args.bsn.strip()
    if not is_valid_bsn(bsn):
        print("geen geldig BSN (elfproef)", file=sys.stderr)
        return 2
    settings = load_settings()
    secret = SsdHook(settings.tenant.conn_id(args.connection)).get_secret()
    store = open_store(settings)
    try:
        queries = queries_about(store, bsn, secret)
    finally:
        store.dispose()
    asked = sum(query.uitkomst.endswith(GEVRAAGD) for query in queries)
    print(
        f"BSN {mask_bsn(bsn)}: {asked} bevraging(en), {len(queries)} regel(s) in het "
        "doelbindingslog (per bevraging 'gevraagd' en daarna de uitkomst)"
    )
    for query in queries:
        print(
            f"{query.at:%Y-%m-%d %H:%M:%S} {query.dienst} | doel: {query.doel} | grondslag: "
            f"{query.grondslag} | zaak {query.zaak or '-'} | {query.flow} door "
            f"{query.gebruiker} ({query.run_ref or '-'}) | {query.uitkomst}"
        )
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from sync.store.models import utcnow
    from sync.summary import flow_report, flow_sources, format_report

    store = open_store(load_settings())
    since = utcnow() - timedelta(hours=args.hours)
    for flow, system, title in flow_sources():
        report = flow_report(store, flow, since=since, source_system=system)
        print(format_report(f"{title}, laatste {args.hours} uur, {report['runs']} runs", report))
        if report["failed_runs"]:
            print(f"  mislukte runs: {report['failed_runs']} (zie Airflow)")
    return 0


def _cmd_drift_list(args: argparse.Namespace) -> int:
    from sync.archief import open_drift

    items = open_drift(open_store(load_settings()), limit=args.limit)
    print(f"{'id':>6}  {'soort':<28} {'identificatie':<24} {'MyLex':<14} {'nieuw archief':<14}")
    for item in items:
        mylex_sha = str(item["mylex_sha256"] or "-")[:12]
        archief_sha = str(item["archief_sha256"] or "-")[:12]
        print(
            f"{item['id']:>6}  {item['soort']!s:<28} {item['identificatie']!s:<24} "
            f"{mylex_sha:<14} {archief_sha:<14}"
        )
    print(f"{len(items)} open drift-item(s)")
    return 0


def _cmd_vernietigingslijst(args: argparse.Namespace) -> int:
    """The vernietigingslijst (proposals only: Ketenbrug never destroys a document)."""
    from sync.vernietiging import kandidaten, write_csv

    rows = kandidaten(open_store(load_settings()), args.status, limit=args.limit)
    if args.csv:
        written = write_csv(rows, Path(args.csv))
        print(f"{written} voorstel(len) geschreven naar {args.csv}")
        return 0
    print(f"{'nr':>6}  {'document':<28} {'zaaktype':<10} {'termijn':<8} {'verstreken':<11} status")
    for row in rows:
        einde = row.einde.isoformat() if row.einde else "-"
        print(
            f"{row.id:>6}  {row.identificatie:<28} {row.zaaktype:<10} {row.bewaartermijn:<8} "
            f"{einde:<11} {row.state}"
        )
    print(f"{len(rows)} voorstel(len) ({args.status}); Ketenbrug vernietigt zelf niets")
    return 0


def _cmd_vernietiging_judge(args: argparse.Namespace) -> int:
    from sync.vernietiging import VernietigingRefused, afwijzen, goedkeuren

    action, done = (
        (goedkeuren, "goedgekeurd") if args.sub == "goedkeuren" else (afwijzen, "afgewezen")
    )
    try:
        action(open_store(load_settings()), args.id, f"cli:{current_actor()}", args.reden)
    except VernietigingRefused as refused:
        print(f"niet beoordeeld: {refused}", file=sys.stderr)
        return 1
    print(f"voorstel {args.id} {done}")
    return 0


def _cmd_purge(args: argparse.Namespace) -> int:
    from sync.purge import purge_payloads

    settings = load_settings()
    result = purge_payloads(open_store(settings), days=args.days, blob_root=settings.home / "blobs")
    print(
        f"verwijderd: {result.inbox_bodies} berichtinhouden, "
        f"{result.dead_letter_records} bewaarde records, {result.blobs} documentinhouden, "
        f"{result.notificaties} gelezen notificaties (ouder dan {args.days} dagen)"
    )
    return 0


def _cmd_new_adapter(args: argparse.Namespace) -> int:
    from sync.scaffold import ScaffoldError, new_adapter

    try:
        written = new_adapter(args.name, Path(args.root))
    except ScaffoldError as exc:
        print(f"new-adapter: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    print(f"next: .venv/bin/python -m pytest tests/adapters_{args.name} -q  (red until written)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ketenbrug", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="state store").add_subparsers(dest="sub", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(handler=_cmd_db_upgrade)

    mappings = commands.add_parser("mappings", help="code tables").add_subparsers(
        dest="sub", required=True
    )
    check = mappings.add_parser("check", help="validate the mapping tables")
    check.add_argument("folder", nargs="?")
    check.set_defaults(handler=_cmd_mappings_check)

    stuf = commands.add_parser("stuf", help="StUF tools").add_subparsers(dest="sub", required=True)
    stuf_check = stuf.add_parser("check", help="parse and check StUF messages")
    stuf_check.add_argument("files", nargs="+")
    stuf_check.set_defaults(handler=_cmd_stuf_check)

    inbox = commands.add_parser("inbox", help="inbound StUF endpoint").add_subparsers(
        dest="sub", required=True
    )
    serve = inbox.add_parser("serve", help="run the inbox (its own process in production)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=18400)
    serve.add_argument("--tls-cert", help="server certificate (PEM); or KETENBRUG_INBOX_TLS_CERT")
    serve.add_argument("--tls-key", help="its private key, by path; or KETENBRUG_INBOX_TLS_KEY")
    serve.add_argument("--client-ca", help="CA of the senders' client certificates (PEM)")
    serve.add_argument("--senders", help="senders file (JSON/TOML); or KETENBRUG_INBOX_SENDERS")
    serve.add_argument("--max-body-mb", type=int, help="largest request body (default 768)")
    serve.add_argument("--max-connections", type=int, help="open connections (default 1000)")
    serve.add_argument("--header-timeout", type=float, help="seconds for TLS + headers (10)")
    serve.add_argument("--body-timeout", type=float, help="longest pause in a body, s (30)")
    serve.add_argument(
        "--insecure-http", action="store_true", help="plain HTTP, for development only"
    )
    serve.set_defaults(handler=_cmd_inbox_serve)

    letters = commands.add_parser("deadletters", help="dead letters").add_subparsers(
        dest="sub", required=True
    )
    listing = letters.add_parser("list")
    listing.add_argument("--state", default="open")
    listing.add_argument("--flow")
    listing.set_defaults(handler=_cmd_deadletters_list)
    resend = letters.add_parser("resend", help="deliver again on the next run")
    resend.add_argument("ids", type=int, nargs="+")
    resend.set_defaults(handler=_cmd_deadletters_resend)
    skip = letters.add_parser("skip", help="close without delivering")
    skip.add_argument("id", type=int)
    skip.add_argument("--reason", required=True)
    skip.set_defaults(handler=_cmd_deadletters_skip)

    audit = commands.add_parser("audit", help="who queried SSD/Suwinet about a person, and why")
    audit.add_argument("--bsn", required=True, help="the person's BSN (not stored, not logged)")
    audit.add_argument(
        "--connection", default="ketenbrug_ssd", help="Connection whose password is the key"
    )
    audit.set_defaults(handler=_cmd_audit)
    status = commands.add_parser("status", help="what the flows did lately (for beheer)")
    status.add_argument("--hours", type=int, default=24)
    status.set_defaults(handler=_cmd_status)

    drift = commands.add_parser("drift", help="archive drift items").add_subparsers(
        dest="sub", required=True
    )
    drift_list = drift.add_parser("list", help="open drift items (MyLex vs nieuw archief)")
    drift_list.add_argument("--limit", type=int, default=200)
    drift_list.set_defaults(handler=_cmd_drift_list)

    destroy = commands.add_parser(
        "vernietigingslijst", help="documents past their bewaartermijn, for beheer to judge"
    )
    destroy.add_argument("--csv", help="write the list to this CSV file")
    destroy.add_argument(
        "--status", default="voorgesteld", help="voorgesteld|goedgekeurd|afgewezen|alle"
    )
    destroy.add_argument("--limit", type=int, default=10_000)
    destroy.set_defaults(handler=_cmd_vernietigingslijst)
    judged = destroy.add_subparsers(dest="sub", required=False)
    for verb in ("goedkeuren", "afwijzen"):
        judge = judged.add_parser(verb, help=f"{verb}: one proposal (compare-and-set, audited)")
        judge.add_argument("id", type=int)
        judge.add_argument("--reden", required=True)
        judge.set_defaults(handler=_cmd_vernietiging_judge)

    purge = commands.add_parser("purge", help="purge delivered payloads older than N days")
    purge.add_argument("--days", type=int, default=30)
    purge.set_defaults(handler=_cmd_purge)

    adapter = commands.add_parser(
        "new-adapter", help="scaffold an adapter: package, hook, simulator stub, contract test"
    )
    adapter.add_argument("name", help="system name, lower case (e.g. zgw)")
    adapter.add_argument("--root", default=".", help="the repository (default: here)")
    adapter.set_defaults(handler=_cmd_new_adapter)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())

"""Who may push to the inbox: the configured senders and how each proves who it is.

StUF koppelingen between municipal systems are secured with mutual TLS (PKIoverheid): the
sender's client certificate identifies it, and the ``zender`` in the message's stuurgegevens
must be one that sender may use. A sender that cannot do mTLS may use HTTP basic auth over TLS
instead; only a password *hash* is configured (scrypt or PBKDF2), compared in constant time.

The senders file (JSON, or TOML when its name ends in ``.toml``)::

    {"senders": [
      {"name": "gws4all", "zender": [{"organisatie": "1900", "applicatie": "GWS4all"}],
       "certificate_sha256": "3F:A2:...", "certificate_cn": "GWS4all productie"},
      {"name": "oud-systeem", "zender": [{"organisatie": "1900", "applicatie": "OUD"}],
       "username": "oud", "password_hash": "scrypt$16384$8$1$<salt b64>$<hash b64>"},
      {"name": "esuite-notificaties", "notificaties": true,
       "username": "esuite-nrc", "password_hash": "scrypt$..."}
    ]}

A sender with ``"notificaties": true`` may post ZGW notificaties to ``/notificaties`` (the
e-Suite's notificatierouteringscomponent, whose abonnement sends this ``Authorization``
header); it needs no zender. Every other sender is refused there, and it is refused for StUF.

A certificate matches by its SHA-256 fingerprint (of the DER bytes), by its subject CN or by
its subject serialNumber (the OIN in a PKIoverheid certificate); the certificate must also be
issued by the configured client CA, which the TLS layer checks. ``python -m sync.inbox_door
hash-password`` makes a hash (it reads the password from stdin, so it never lands in history).

Several municipalities (:mod:`sync.tenants`): a sender entry names its tenant,
``"tenant": "deventer"``, and may push only to that tenant's path (``/deventer/``). A sender
without one may push only to a single-municipality inbox; when the deployment has tenants,
:func:`load_senders` refuses a file in which a sender names none, or one that is not configured.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import sys
import threading
import tomllib
from collections import OrderedDict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from privacy.masking import mask_text

__all__ = [
    "AuthResult",
    "PeerCertificate",
    "Sender",
    "SenderRegistry",
    "hash_password",
    "load_senders",
    "verify_password",
]

# scrypt: 16 MB and ~50 ms per check (OWASP's minimum is n=2**17/r=8 for interactive logins;
# a push credential is a long random secret, so this is ample and keeps a burst of pushes cheap).
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_PBKDF2_MIN_ITERATIONS = 100_000


@dataclass(frozen=True)
class PeerCertificate:
    """The verified client certificate of a TLS connection (the TLS layer checked its CA)."""

    der: bytes
    subject: Mapping[str, str]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    @property
    def common_name(self) -> str | None:
        return self.subject.get("commonName")

    @property
    def serial_number(self) -> str | None:
        return self.subject.get("serialNumber")

    @classmethod
    def from_ssl(cls, der: bytes | None, info: Mapping[str, Any] | None) -> PeerCertificate | None:
        """From ``SSLObject.getpeercert(True)`` and ``getpeercert()`` (None: no certificate)."""
        if not der:
            return None
        subject: dict[str, str] = {}
        for rdn in (info or {}).get("subject", ()):
            for key, value in rdn:
                subject.setdefault(str(key), str(value))
        return cls(der, subject)


@dataclass(frozen=True)
class Sender:
    """One configured sender: how it authenticates and which zenders it may use."""

    name: str
    zenders: frozenset[tuple[str, str]]
    certificate_sha256: str | None = None
    certificate_cn: str | None = None
    certificate_serial: str | None = None
    username: str | None = None
    password_hash: str | None = field(default=None, repr=False)
    tenant: str | None = None
    #: May post ZGW notificaties (``/notificaties``): the e-Suite's notificatierouteringscomponent.
    notificaties: bool = False

    def matches_certificate(self, cert: PeerCertificate) -> bool:
        if self.certificate_sha256 is not None:
            if not hmac.compare_digest(self.certificate_sha256, cert.sha256):
                return False
        elif self.certificate_cn is None and self.certificate_serial is None:
            return False  # a basic-auth sender is never identified by a certificate
        if self.certificate_cn is not None and self.certificate_cn != cert.common_name:
            return False
        return self.certificate_serial is None or self.certificate_serial == cert.serial_number

    def may_send_as(self, organisatie: str | None, applicatie: str | None) -> bool:
        return ((organisatie or "").strip(), (applicatie or "").strip()) in self.zenders

    def may_push_to(self, tenant_code: str) -> bool:
        """Only to its own tenant ("" the default one): an unbound sender never to a named."""
        return (self.tenant or "") == tenant_code


@dataclass(frozen=True)
class AuthResult:
    """The outcome of authentication: a sender, or an HTTP status (401/403) and a reason."""

    sender: Sender | None
    status: int = 200
    reason: str = ""
    method: str = ""


def _fingerprint(value: str) -> str:
    cleaned = value.replace(":", "").replace(" ", "").lower()
    if len(cleaned) != 64 or any(c not in "0123456789abcdef" for c in cleaned):
        raise ValueError(f"certificate_sha256 is not a SHA-256 fingerprint: {value[:80]!r}")
    return cleaned


def _sender(entry: Mapping[str, Any]) -> Sender:
    name = str(entry.get("name") or "").strip()
    if not name:
        raise ValueError("every sender needs a name")
    zenders = frozenset(
        (str(z.get("organisatie", "")).strip(), str(z.get("applicatie", "")).strip())
        for z in entry.get("zender", ())
    )
    notificaties = entry.get("notificaties", False)
    if not isinstance(notificaties, bool):
        raise ValueError(f"sender {name!r}: notificaties must be true or false")
    if (not zenders and not notificaties) or any(not app for _org, app in zenders):
        raise ValueError(f"sender {name!r}: list at least one zender with an applicatie")
    sha = entry.get("certificate_sha256")
    sender = Sender(
        name=name,
        zenders=zenders,
        certificate_sha256=_fingerprint(str(sha)) if sha else None,
        certificate_cn=entry.get("certificate_cn") or None,
        certificate_serial=entry.get("certificate_serial") or None,
        username=entry.get("username") or None,
        password_hash=entry.get("password_hash") or None,
        tenant=str(entry.get("tenant") or "").strip() or None,
        notificaties=notificaties,
    )
    has_cert = any((sender.certificate_sha256, sender.certificate_cn, sender.certificate_serial))
    has_basic = sender.username is not None
    if has_basic and sender.password_hash is None:
        raise ValueError(f"sender {name!r}: username without password_hash")
    if sender.password_hash is not None:
        _parse_hash(sender.password_hash)  # fail at start, not at the first push
    if not has_cert and not has_basic:
        raise ValueError(f"sender {name!r}: configure a certificate or a username")
    return sender


def load_senders(path: str | Path, tenants: Collection[str] | None = None) -> SenderRegistry:
    """Read the senders file; any mistake in it stops the inbox from starting.

    ``tenants``: the codes of the tenants served ("" alone for a single municipality); when
    given, every sender must name one of them (and none, for a single municipality).
    """
    file = Path(path)
    raw = file.read_bytes()
    data = tomllib.loads(raw.decode("utf-8")) if file.suffix == ".toml" else json.loads(raw)
    entries = data.get("senders", data.get("sender")) if isinstance(data, dict) else data
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{file.name}: no senders listed")
    senders = [_sender(entry) for entry in entries]
    if tenants is not None:
        for sender in senders:
            if (sender.tenant or "") not in tenants:
                served = ", ".join(sorted(t or "(geen)" for t in tenants))
                raise ValueError(
                    f"{file.name}: afzender {sender.name!r} hoort bij gemeente "
                    f"{sender.tenant or '(geen)'}, die deze inbox niet bedient ({served})"
                )
    return SenderRegistry(senders)


class SenderRegistry:
    """The configured senders, and authentication of a request against them."""

    def __init__(self, senders: Iterable[Sender]) -> None:
        self.senders = tuple(senders)
        names = [s.name for s in self.senders]
        if len(set(names)) != len(names):
            raise ValueError("sender names must be unique")
        users = [s.username for s in self.senders if s.username]
        if len(set(users)) != len(users):
            raise ValueError("basic-auth usernames must be unique")
        self._by_user: dict[str, Sender] = {s.username: s for s in self.senders if s.username}
        # A correct password costs one scrypt, then is remembered (keyed by an HMAC under a
        # per-process key, so the cache holds no password): a wrong one always costs the scrypt.
        self._cache_key = secrets.token_bytes(32)
        self._verified: OrderedDict[bytes, str] = OrderedDict()
        self._lock = threading.Lock()
        self._dummy_hash = hash_password(secrets.token_urlsafe(16))

    @property
    def uses_certificates(self) -> bool:
        return any(s.certificate_sha256 or s.certificate_cn or s.certificate_serial for s in self)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.senders)

    def authenticate(self, cert: PeerCertificate | None, authorization: str | None) -> AuthResult:
        """Identify the sender: by its client certificate, else by basic auth.

        A certificate always decides: a verified certificate no sender claims is 403, whatever
        the Authorization header says. Runs scrypt, so call it off the event loop.
        """
        if cert is not None:
            for sender in self.senders:
                if sender.matches_certificate(cert):
                    return AuthResult(sender, method="mtls")
            return AuthResult(None, 403, "certificaat van geen geconfigureerde zender", "mtls")
        if not authorization:
            return AuthResult(None, 401, "geen certificaat en geen inloggegevens")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "basic":
            return AuthResult(None, 401, "alleen Basic-authenticatie wordt ondersteund")
        try:
            username, colon, password = (
                base64.b64decode(token, validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            return AuthResult(None, 401, "onleesbare Basic-inloggegevens")
        if not colon:
            return AuthResult(None, 401, "onleesbare Basic-inloggegevens")
        found = self._by_user.get(username)
        if found is None or found.password_hash is None:
            verify_password(password, self._dummy_hash)  # the same cost: no user enumeration
            return AuthResult(None, 401, "onbekende gebruiker of onjuist wachtwoord", "basic")
        sender = found
        if self._remembered(username, password, sender) or verify_password(
            password, found.password_hash
        ):
            self._remember(username, password, sender)
            return AuthResult(sender, method="basic")
        return AuthResult(None, 401, "onbekende gebruiker of onjuist wachtwoord", "basic")

    def _token(self, username: str, password: str, sender: Sender) -> bytes:
        material = f"{username}\x00{password}\x00{sender.password_hash}".encode()
        return hmac.new(self._cache_key, material, hashlib.sha256).digest()

    def _remembered(self, username: str, password: str, sender: Sender) -> bool:
        token = self._token(username, password, sender)
        with self._lock:
            return self._verified.get(token) == sender.name

    def _remember(self, username: str, password: str, sender: Sender) -> None:
        token = self._token(username, password, sender)
        with self._lock:
            self._verified[token] = sender.name
            self._verified.move_to_end(token)
            while len(self._verified) > 256:
                self._verified.popitem(last=False)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64) for the senders file."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, maxmem=64 << 20, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${_b64(salt)}${_b64(digest)}"


def _parse_hash(stored: str) -> tuple[str, tuple[int, ...], bytes, bytes]:
    parts = stored.split("$")
    try:
        if parts[0] == "scrypt" and len(parts) == 6:
            params = (int(parts[1]), int(parts[2]), int(parts[3]))
            return "scrypt", params, base64.b64decode(parts[4]), base64.b64decode(parts[5])
        if parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            iterations = int(parts[1])
            if iterations < _PBKDF2_MIN_ITERATIONS:
                raise ValueError(f"pbkdf2 needs at least {_PBKDF2_MIN_ITERATIONS} iterations")
            return "pbkdf2", (iterations,), base64.b64decode(parts[2]), base64.b64decode(parts[3])
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"password_hash unreadable: {exc}") from None
    raise ValueError("password_hash must be scrypt$n$r$p$salt$hash or pbkdf2_sha256$i$salt$hash")


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a stored scrypt or PBKDF2 hash."""
    kind, params, salt, expected = _parse_hash(stored)
    if kind == "scrypt":
        n, r, p = params
        actual = hashlib.scrypt(
            password.encode(), salt=salt, n=n, r=r, p=p, dklen=len(expected), maxmem=256 << 20
        )
    else:
        actual = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, params[0], len(expected))
    return hmac.compare_digest(actual, expected)


def _main(argv: list[str]) -> int:
    if argv[:1] != ["hash-password"]:
        print("usage: python -m sync.inbox_door hash-password < password-file", file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\n")
    if len(password) < 16:
        print(mask_text("use a password of at least 16 characters"), file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))

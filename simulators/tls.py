"""A throwaway PKI and an HTTPS variant of :class:`~simulators.http.SimulatorServer`.

Why: GWS4all's SSD services and the Suwinet broker only talk to a client that shows a certificate
(PKIoverheid in production, Digikoppeling WUS). Ketenbrug's adapters must therefore be tested
against a server that *refuses* a client without one, or with one from another CA, at the TLS
handshake. :class:`SimulatorPki` makes such a CA on the spot with ``cryptography`` (RSA 2048, as
PKIoverheid certificates are RSA): a CA certificate, a server certificate for ``127.0.0.1`` and
``localhost``, and client certificates. Nothing here is fit for production, and nothing needs to be.

File layout in the PKI directory (the demo CLI prints these names): ``ca.pem``, ``ca.key``,
``server.pem``, ``server.key``, ``client.pem``, ``client.key`` and ``<name>.pem/.key`` for extra
clients. Private keys are written with mode 0600.

:class:`TlsSimulatorServer` serves the same WSGI app and fault injection as the plain server, with
every accepted connection wrapped in a server-side ``SSLContext`` with ``CERT_REQUIRED``. TLS is
pinned to 1.2, as the Suwinet WSDLs prescribe (ECDHE-RSA-AES128-GCM-SHA256); a side effect worth
having is that a refused client certificate fails inside the handshake, where a client sees it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from simulators.faults import FaultConfig, FaultInjector
from simulators.http import LOOPBACK, SimulatorServer, _Handler, _Server

__all__ = ["CertPair", "SimulatorPki", "TlsSimulatorServer", "server_ssl_context"]

log = logging.getLogger(__name__)

_VALIDITY = dt.timedelta(days=30)
_HANDSHAKE_TIMEOUT_S = 10.0
#: What the Suwinet WSDLs prescribe; the SSD services accept it as well.
SUWINET_CIPHERS = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"


@dataclass(frozen=True)
class CertPair:
    """A certificate and its private key on disk; ``as_requests_cert`` feeds ``requests``."""

    cert: Path
    key: Path

    @property
    def as_requests_cert(self) -> tuple[str, str]:
        return (str(self.cert), str(self.key))


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


_CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    key_cert_sign=True,
    crl_sign=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    encipher_only=False,
    decipher_only=False,
)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ketenbrug simulators"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


class SimulatorPki:
    """A test CA in ``directory`` that issues server and client certificates.

    ``SimulatorPki.create(dir)`` makes a new CA (plus ``server`` and ``client`` pairs);
    ``SimulatorPki.load_or_create(dir)`` reuses the files of an earlier run (the demo).
    """

    def __init__(self, directory: Path, ca_cert: x509.Certificate, ca_key: Any) -> None:
        self.directory = directory
        self._ca_cert = ca_cert
        self._ca_key = ca_key

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def create(
        cls, directory: str | Path, *, common_name: str = "Ketenbrug Test CA"
    ) -> SimulatorPki:
        """A new CA with a server certificate for loopback and a client certificate ``client``."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        key = _key()
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(_name(common_name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_CA_KEY_USAGE, critical=True)
            .sign(key, hashes.SHA256())
        )
        (folder / "ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(folder / "ca.key", key)
        pki = cls(folder, cert, key)
        pki.issue("server", server=True)
        pki.issue("client")
        return pki

    @classmethod
    def load_or_create(cls, directory: str | Path) -> SimulatorPki:
        """Reuse ``ca.pem``/``ca.key`` (and issued pairs) when present and valid, else create."""
        folder = Path(directory)
        names = ("ca.pem", "ca.key", "server.pem", "server.key", "client.pem", "client.key")
        if all((folder / n).exists() for n in names):
            cert = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
            if cert.not_valid_after_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=1):
                key = serialization.load_pem_private_key(
                    (folder / "ca.key").read_bytes(), password=None
                )
                return cls(folder, cert, key)
        return cls.create(folder)

    # -- issuing ------------------------------------------------------------------------------

    def issue(self, name: str, *, server: bool = False) -> CertPair:
        """Issue ``<name>.pem``/``<name>.key``: a server cert for loopback or a client cert."""
        if not name.replace("-", "").replace("_", "").isalnum():
            raise ValueError("certificate name must be alphanumeric (it becomes a file name)")
        key = _key()
        now = dt.datetime.now(dt.UTC)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name("localhost" if server else f"Ketenbrug {name}"))
            .issuer_name(self._ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(LOOPBACK))]
                ),
                critical=False,
            )
        cert = builder.sign(self._ca_key, hashes.SHA256())
        pair = CertPair(self.directory / f"{name}.pem", self.directory / f"{name}.key")
        pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(pair.key, key)
        return pair

    # -- paths for clients and servers --------------------------------------------------------

    @property
    def ca_file(self) -> Path:
        """For ``requests``' ``verify=`` and the server's trust store."""
        return self.directory / "ca.pem"

    @property
    def server(self) -> CertPair:
        return CertPair(self.directory / "server.pem", self.directory / "server.key")

    @property
    def client(self) -> CertPair:
        """The default client certificate (the one Ketenbrug's adapters use in tests)."""
        return CertPair(self.directory / "client.pem", self.directory / "client.key")

    def requests_kwargs(self, client: CertPair | None = None) -> dict[str, Any]:
        """``requests.post(url, **pki.requests_kwargs())``: client cert and CA to verify with."""
        return {"cert": (client or self.client).as_requests_cert, "verify": str(self.ca_file)}

    def server_context(self) -> ssl.SSLContext:
        """Server side: our certificate, client certificates required and checked against us."""
        return server_ssl_context(self.server, self.ca_file)


def server_ssl_context(server: CertPair, ca_file: Path) -> ssl.SSLContext:
    """TLS 1.2 only, ECDHE-RSA-AES-GCM, ``CERT_REQUIRED`` against ``ca_file``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(SUWINET_CIPHERS)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(str(server.cert), str(server.key))
    context.load_verify_locations(cafile=str(ca_file))
    return context


class TlsSimulatorServer(SimulatorServer):
    """:class:`SimulatorServer` over HTTPS with mandatory client certificates.

    The plain server's handler, fault injection and admin endpoints are reused unchanged: only
    the accepted sockets differ. Each connection is wrapped here and its handshake is run in the
    connection's own thread (so one slow client cannot stall the accept loop); a client that
    shows no certificate, or one the CA did not issue, is logged (``refused`` counts them) and
    dropped before a single HTTP byte is read.

    Wrapping happens before the serving thread starts, so not even one plaintext request can
    be answered, whatever the port.
    """

    def __init__(
        self,
        app: Any,
        *,
        ssl_context: ssl.SSLContext,
        port: int = 0,
        name: str = "tls-simulator",
        faults: FaultInjector | FaultConfig | None = None,
    ) -> None:
        super().__init__(app, port=port, name=name, faults=faults)
        self.ssl_context = ssl_context
        self.refused = 0
        self._refused_lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"https://{LOOPBACK}:{self.port}"

    def start(self) -> TlsSimulatorServer:
        """Like :meth:`SimulatorServer.start`, with TLS installed before the first accept."""
        if self._server is not None:
            return self
        self.stopping.clear()
        server = _Server((LOOPBACK, self._requested_port), _Handler)
        server.simulator = self
        server.set_app(self.app)
        self._install_tls(server)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=self.name, daemon=True
        )
        self._thread.start()
        log.info("%s listening on %s (client certificate required)", self.name, self.url)
        return self

    def _install_tls(self, server: _Server) -> None:
        """Wrap each accepted socket; run the handshake in the per-connection thread."""
        context = self.ssl_context
        plain_accept = server.get_request
        plain_finish = server.finish_request

        def get_request() -> tuple[Any, Any]:
            conn, addr = plain_accept()
            try:
                wrapped = context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
            except OSError:
                conn.close()
                raise
            return wrapped, addr

        def finish_request(request: Any, client_address: Any) -> None:
            request.settimeout(_HANDSHAKE_TIMEOUT_S)
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError) as exc:
                with self._refused_lock:
                    self.refused += 1
                reason = getattr(exc, "reason", None) or type(exc).__name__
                log.info("%s refused a TLS client: %s", self.name, reason)
                return
            request.settimeout(None)
            plain_finish(request, client_address)

        server.get_request = get_request  # type: ignore[method-assign]
        server.finish_request = finish_request  # type: ignore[method-assign]

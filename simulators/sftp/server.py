"""A real OpenSSH server on loopback, serving one folder over SFTP.

Why a real ``sshd`` and not a paramiko server stub: the adapters for Allegro, Xtendis and MyLex
must be tested against the behaviour they meet in production: OpenSSH's SFTP implementation
(``internal-sftp``), its rename semantics, its host-key handshake (so host-key pinning is tested
for real) and its way of dropping a connection. A Python stub would agree with whatever the
client expects.

The server runs ``/usr/sbin/sshd -D -e -f <generated config>`` as a non-daemon child process in
its own process group, listening on ``127.0.0.1`` only, with a freshly generated ed25519 host key
and one client key. ``sshd`` authenticates a real system user, so it logs in the *current* user
(root in CI and containers: ``PermitRootLogin prohibit-password``, key only). The login is forced
into ``internal-sftp -d <root>``: no shell, no forwarding, and the session starts in the served
folder, so clients use paths relative to their login directory (``.``, ``export/x.csv``).

``ChrootDirectory`` is deliberately not used: it needs every component of the path to be
root-owned and not group/world writable, which a temp dir under ``/tmp`` (mode 1777) never is.
"""

from __future__ import annotations

import collections
import contextlib
import getpass
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from privacy.masking import mask_text

__all__ = ["FORBIDDEN_PORTS", "SSHD_PATH", "SshdError", "SshdServer", "SshdUnavailableError"]

log = logging.getLogger(__name__)

SSHD_PATH = "/usr/sbin/sshd"
#: Ports the project's other services (or a real sshd) own; never hand them to the simulator.
FORBIDDEN_PORTS = frozenset({22, 8080, 5432})
_INSTALL_HINT = (
    "OpenSSH server not found at {path}. The SFTP simulators run a real sshd on loopback; "
    "install it with `sudo scripts/install-system-deps.sh` (Debian: apt-get install "
    "openssh-server)."
)


class SshdError(RuntimeError):
    """sshd could not be started or stopped; the message carries sshd's own last log lines."""


class SshdUnavailableError(SshdError):
    """The sshd binary is missing: a set-up problem, not a test failure to retry."""


def _free_port(host: str) -> int:
    """Ask the kernel for a free port; sshd binds it a moment later (a race we retry on)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
    return port


def _descendants(pid: int) -> list[int]:
    """PIDs of all descendants of ``pid`` (Linux ``/proc``); empty where /proc is absent."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _write_keypair(private_path: Path, comment: str) -> str:
    """Write an OpenSSH-format ed25519 private key (0600) and return the public key line.

    Generated with ``cryptography`` rather than ``ssh-keygen``: no subprocess, and paramiko
    cannot generate ed25519 keys itself.
    """
    key = Ed25519PrivateKey.generate()
    private_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_bytes)
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    line = f"{public.decode('ascii')} {comment}"
    private_path.with_name(private_path.name + ".pub").write_text(line + "\n", encoding="ascii")
    return line


def _keypair(private_path: Path, comment: str) -> str:
    """Reuse a key pair from an earlier run in the same state dir, else generate one.

    A kept state dir (the demo, docker-compose) therefore keeps its host key, so the
    known_hosts line pinned in an Airflow Connection stays valid across restarts.
    """
    public_path = private_path.with_name(private_path.name + ".pub")
    if private_path.exists() and public_path.exists():
        return public_path.read_text(encoding="ascii").strip()
    return _write_keypair(private_path, comment)


def _quote(value: str | Path) -> str:
    """Quote a value for sshd_config (paths may in theory contain spaces)."""
    text = str(value)
    if '"' in text or "\n" in text:
        raise ValueError(f"unsupported character in sshd_config value: {text!r}")
    return f'"{text}"'


class SshdServer:
    """One real sshd serving ``root`` over SFTP on ``127.0.0.1:<port>``.

    ``port=0`` (default) picks a free high port. ``root`` defaults to ``<state_dir>/root``;
    ``state_dir`` (keys, config, authorized_keys) defaults to a fresh temp dir that ``stop()``
    removes again. Use as a context manager or call ``start()`` / ``stop()``.
    """

    def __init__(
        self,
        root: Path | str | None = None,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        state_dir: Path | str | None = None,
        sshd_path: str = SSHD_PATH,
        log_level: str = "INFO",
        startup_timeout: float = 10.0,
        extra_config: dict[str, str] | None = None,
    ) -> None:
        if port in FORBIDDEN_PORTS:
            raise ValueError(f"port {port} is reserved for other services; use 0 or a high port")
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("the simulator listens on loopback only")
        self.host = "127.0.0.1" if host == "localhost" else host
        self._requested_port = port
        self.port = port
        self._sshd_path = sshd_path
        self._log_level = log_level
        self._startup_timeout = startup_timeout
        self._extra_config = dict(extra_config or {})
        self._owns_state_dir = state_dir is None
        self._state_dir_arg = Path(state_dir) if state_dir is not None else None
        self._root_arg = Path(root) if root is not None else None
        self.state_dir: Path = Path()
        self.root: Path = Path()
        self.client_key_path: Path = Path()
        self.known_hosts_path: Path = Path()
        self.host_key_line = ""  # "ssh-ed25519 AAAA... comment"
        self.username = getpass.getuser()
        self._process: subprocess.Popen[str] | None = None
        self._log_lines: collections.deque[str] = collections.deque(maxlen=500)
        self._log_thread: threading.Thread | None = None

    # ------------------------------------------------------------------ public properties
    @property
    def host_key_public(self) -> str:
        """The host key as a known_hosts line (``[127.0.0.1]:port ssh-ed25519 AAAA...``).

        Load it with ``paramiko.SSHClient.get_host_keys().add(...)`` or write it to a
        known_hosts file, and use ``RejectPolicy``: pinning, never auto-add.
        """
        if not self.host_key_line:
            raise SshdError("the server has no host key yet: call start() first")
        key_type, key_b64 = self.host_key_line.split()[:2]
        return f"[{self.host}]:{self.port} {key_type} {key_b64}"

    @property
    def host_key_type(self) -> str:
        return self.host_key_line.split()[0]

    @property
    def host_key_base64(self) -> str:
        return self.host_key_line.split()[1]

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def log_lines(self) -> list[str]:
        """sshd's recent log lines (stderr, ``-e``), BSN-masked; useful in failure messages."""
        return list(self._log_lines)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Self:
        """Generate keys and config, start sshd and wait until it answers with its banner."""
        if self.running:
            return self
        if not (os.path.isfile(self._sshd_path) and os.access(self._sshd_path, os.X_OK)):
            raise SshdUnavailableError(_INSTALL_HINT.format(path=self._sshd_path))
        self._prepare_state()
        attempts = 1 if self._requested_port else 5
        last_error: SshdError | None = None
        for _ in range(attempts):
            self.port = self._requested_port or _free_port(self.host)
            self._write_config()
            try:
                self._launch()
                return self
            except SshdError as exc:  # port race or config problem; retry a fresh port
                last_error = exc
                self._terminate()
        self._cleanup_state()
        assert last_error is not None
        raise last_error

    def stop(self) -> None:
        """Stop sshd and its per-connection children; remove the generated state dir."""
        self._terminate()
        self._cleanup_state()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ internals
    def _prepare_state(self) -> None:
        if self._state_dir_arg is None:
            self.state_dir = Path(tempfile.mkdtemp(prefix="ketenbrug-sshd-"))
        else:
            self.state_dir = self._state_dir_arg
            self.state_dir.mkdir(parents=True, exist_ok=True)
        self.root = (self._root_arg or self.state_dir / "root").resolve()
        if any(ch.isspace() for ch in str(self.root)):
            raise ValueError(f"served root may not contain whitespace: {self.root}")
        self.root.mkdir(parents=True, exist_ok=True)
        self.host_key_line = _keypair(self.state_dir / "ssh_host_ed25519_key", "ketenbrug-sim")
        self.client_key_path = self.state_dir / "client_ed25519_key"
        client_pub = _keypair(self.client_key_path, "ketenbrug-client")
        (self.state_dir / "authorized_keys").write_text(client_pub + "\n", encoding="ascii")
        if os.geteuid() == 0:
            # sshd refuses to start without its privilege-separation dir; Debian creates it
            # only when the ssh service starts, which never happens in a container.
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)

    def _write_config(self) -> None:
        options: dict[str, str] = {
            "ListenAddress": self.host,
            "Port": str(self.port),
            "HostKey": _quote(self.state_dir / "ssh_host_ed25519_key"),
            "PidFile": "none",
            "AuthorizedKeysFile": _quote(self.state_dir / "authorized_keys"),
            "AllowUsers": self.username,
            "PermitRootLogin": "prohibit-password",
            "PubkeyAuthentication": "yes",
            "PasswordAuthentication": "no",
            "KbdInteractiveAuthentication": "no",
            "UsePAM": "no",
            "StrictModes": "no",
            "UseDNS": "no",
            "LoginGraceTime": "20",
            "MaxStartups": "64:30:128",
            "MaxSessions": "32",
            "AllowTcpForwarding": "no",
            "AllowAgentForwarding": "no",
            "X11Forwarding": "no",
            "PermitTTY": "no",
            "PermitUserEnvironment": "no",
            "PrintMotd": "no",
            "Subsystem": "sftp internal-sftp",
            # ForceCommand takes the rest of the line verbatim (quotes included), hence no quoting
            # and the whitespace check in _prepare_state.
            "ForceCommand": f"internal-sftp -u 022 -d {self.root}",
            "LogLevel": self._log_level,
        }
        options.update(self._extra_config)
        text = "".join(f"{key} {value}\n" for key, value in options.items())
        (self.state_dir / "sshd_config").write_text(text, encoding="utf-8")

    def _launch(self) -> None:
        config = self.state_dir / "sshd_config"
        self._log_lines.clear()
        self._process = subprocess.Popen(
            [self._sshd_path, "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # own process group: stop() also ends session children
        )
        self._log_thread = threading.Thread(
            target=self._pump_log, args=(self._process,), name=f"sshd-log-{self.port}", daemon=True
        )
        self._log_thread.start()
        self._wait_ready()
        log.info("sshd pid %s serving %s on %s:%s", self.pid, self.root, self.host, self.port)

    def _pump_log(self, process: subprocess.Popen[str]) -> None:
        """Drain sshd's stderr (else the pipe fills and sshd blocks) into a masked ring buffer."""
        assert process.stderr is not None
        for raw in process.stderr:
            line = mask_text(raw.rstrip())
            self._log_lines.append(line)
            log.debug("sshd: %s", line)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                time.sleep(0.05)  # let the log thread catch the last lines
                raise SshdError(
                    f"sshd exited with {self._process.returncode} on port {self.port}: "
                    + " | ".join(self.log_lines()[-5:])
                )
            try:
                with socket.create_connection((self.host, self.port), timeout=1.0) as conn:
                    conn.settimeout(2.0)
                    if conn.recv(8).startswith(b"SSH-2.0"):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        raise SshdError(f"sshd did not answer on {self.host}:{self.port} within the timeout")

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        # Per-connection children call setsid(), so killpg misses them; collect them first.
        children = _descendants(process.pid)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        else:
            # the listener is gone; still end any session children left in its group
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
        for pid in children:  # our own sshd's session processes, by pid
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)
        if self._log_thread is not None:
            self._log_thread.join(timeout=2)
            self._log_thread = None

    def _cleanup_state(self) -> None:
        if self._owns_state_dir and self.state_dir != Path() and self.state_dir.exists():
            shutil.rmtree(self.state_dir, ignore_errors=True)

"""Open Allegro's SFTP session with exactly the pinned host key.

Why the adapter has its own (and does not import ``simulators.sftp.client``): adapters never
depend on simulators, and this is the one place where trust in the server is decided, so it
stays small enough to review: ``RejectPolicy``, no system or user known_hosts, only the key
from the Connection. Errors are classified here, once, for every caller.
"""

from __future__ import annotations

import paramiko

from adapters.allegro.config import AllegroConfig
from adapters.errors import ConfigError, TransientError

__all__ = ["SYSTEM", "connect_pinned"]

SYSTEM = "allegro"


def connect_pinned(config: AllegroConfig) -> tuple[paramiko.SSHClient, paramiko.SFTPClient]:
    """SSH + SFTP with exactly the pinned host key (``RejectPolicy``; no system known_hosts).

    Raises :class:`ConfigError` for a host key or login that does not fit (a developer must
    look), :class:`TransientError` when the server cannot be reached right now.
    """
    try:
        pkey = paramiko.PKey.from_path(config.key_path)
    except (OSError, paramiko.SSHException, ValueError) as exc:
        raise ConfigError(
            f"Allegro private key onbruikbaar: {type(exc).__name__}", system=SYSTEM
        ) from exc
    ssh = paramiko.SSHClient()
    ssh.set_missing_host_key_policy(paramiko.RejectPolicy())
    for hostname, keys in config.pinned_host_keys().items():
        for key_type, key in keys.items():
            ssh.get_host_keys().add(hostname, key_type, key)
    where = f"{config.host}:{config.port}"
    try:
        ssh.connect(
            config.host,
            port=config.port,
            username=config.username,
            pkey=pkey,
            look_for_keys=False,
            allow_agent=False,
            timeout=config.timeout_s,
            banner_timeout=config.timeout_s,
            auth_timeout=config.timeout_s,
            channel_timeout=config.timeout_s,
        )
        sftp = ssh.open_sftp()
    except paramiko.BadHostKeyException as exc:
        ssh.close()
        raise ConfigError(
            f"Allegro {where}: host key wijkt af van de vastgepinde", system=SYSTEM
        ) from exc
    except paramiko.AuthenticationException as exc:
        ssh.close()
        raise ConfigError(f"Allegro {where}: inloggen geweigerd", system=SYSTEM) from exc
    except paramiko.SSHException as exc:
        ssh.close()
        if "known_hosts" in str(exc):  # RejectPolicy: the server's key type/name is not pinned
            raise ConfigError(f"Allegro {where}: host key niet vastgepind", system=SYSTEM) from exc
        raise TransientError(f"Allegro {where}: SSH-fout {exc}", system=SYSTEM) from exc
    except (EOFError, OSError) as exc:
        ssh.close()
        raise TransientError(
            f"Allegro {where} niet bereikbaar: {type(exc).__name__}", system=SYSTEM
        ) from exc
    channel = sftp.get_channel()
    if channel is not None:
        channel.settimeout(config.timeout_s)
    return ssh, sftp

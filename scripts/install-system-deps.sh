#!/usr/bin/env bash
# Install the system packages Ketenbrug's simulators and tests need, only when they are missing.
#
# Why a script: the SFTP simulators (Allegro, Xtendis, MyLex) run a *real* OpenSSH server on
# loopback, so tests exercise the same protocol, host-key pinning and disconnect behaviour as
# production. The Python venv cannot provide sshd; Debian's openssh-server package can.
#
# Idempotent and non-interactive: safe to call from the project set-up and from CI on every run.
# Works as root on Debian 12 (bookworm); uses sudo when run as an ordinary user and sudo exists.
set -euo pipefail

SSHD=/usr/sbin/sshd
SFTP_SERVER_CANDIDATES=(/usr/lib/openssh/sftp-server /usr/lib/sftp-server /usr/libexec/sftp-server)

have_sftp_server() {
    local path
    for path in "${SFTP_SERVER_CANDIDATES[@]}"; do
        [[ -x "$path" ]] && return 0
    done
    return 1
}

missing=()
if ! command -v "$SSHD" >/dev/null 2>&1 || ! have_sftp_server; then
    missing+=(openssh-server)
fi
# ssh-keygen generates the simulator's host and client keys.
if ! command -v ssh-keygen >/dev/null 2>&1; then
    missing+=(openssh-client)
fi
# The Celery test (tests/airflow/test_celery.py) needs a Redis broker: the one on 127.0.0.1:6379
# when it answers, else a throwaway redis-server the test starts itself.
if ! command -v redis-server >/dev/null 2>&1; then
    missing+=(redis-server)
fi
# tests/test_compose.py validates docker-compose.yml with `docker-compose config` (no engine).
if ! command -v docker-compose >/dev/null 2>&1; then
    missing+=(docker-compose)
fi
# deploy-secrets.sh --self-signed-inbox (tests/test_compose.py) makes a throwaway certificate.
if ! command -v openssl >/dev/null 2>&1; then
    missing+=(openssl)
fi

# Headless Debian chromium and its WebDriver: the browser tests of the beheer pages.
if ! command -v chromium >/dev/null 2>&1; then
    missing+=(chromium)
fi
if ! command -v chromedriver >/dev/null 2>&1; then
    missing+=(chromium-driver)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-system-deps: nothing to do (every package present)"
    exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install-system-deps: need root (or sudo) to install: ${missing[*]}" >&2
        exit 1
    fi
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: apt-get not found; install ${missing[*]} with your package manager" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-system-deps: installing ${missing[*]}"
"${SUDO[@]}" apt-get update -qq
# --no-install-recommends: no ssh-import-id, xauth, etc.; the simulator only needs sshd itself.
# The package's postinst may try to start the system-wide ssh service; in containers without an
# init system that is refused harmlessly. The simulators never use that service: they start their
# own sshd on a loopback high port with a generated config (simulators/sftp/server.py).
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

if ! command -v "$SSHD" >/dev/null 2>&1; then
    echo "install-system-deps: $SSHD still missing after install" >&2
    exit 1
fi
echo "install-system-deps: done ($("$SSHD" -V 2>&1 | head -n1 || true))"

#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for one test run, on a machine that has none to offer.
#
#   scripts/throwaway-postgres.sh start DIR [PORT]   initdb in DIR, serve 127.0.0.1:PORT (a free
#                                                    port when omitted), create database "test";
#                                                    prints the SQLAlchemy URL as its last line
#   scripts/throwaway-postgres.sh stop DIR           stop that cluster and remove DIR
#
# Why: the store tests run on PostgreSQL as well as SQLite and never skip, so `./run test` (and
# tests/conftest.py when pytest runs on its own) start one of these when KETENBRUG_TEST_PG_URL is
# unset and nothing usable answers on 127.0.0.1:5432. Debian's server package is installed when
# missing, as scripts/install-system-deps.sh does for openssh-server. initdb and postgres refuse
# to run as root, so as root the cluster belongs to the `postgres` user the package creates; DIR's
# parent must be reachable by that user (a fresh folder under /tmp is).
# The cluster trusts local connections and listens on 127.0.0.1 only; fsync is off: it is thrown
# away after the run.
set -euo pipefail

die() {
    echo "throwaway-postgres: $*" >&2
    exit 1
}

bin_dir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
    [[ -n "$found" && -x "$found/initdb" ]] && echo "$found"
}

sudo_prefix() {
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install the PostgreSQL server"
        echo sudo
    fi
}

install_server() {
    bin_dir >/dev/null && return 0
    command -v apt-get >/dev/null 2>&1 || die "no PostgreSQL server and no apt-get: install one, or set KETENBRUG_TEST_PG_URL"
    local sudo
    sudo=$(sudo_prefix)
    echo "throwaway-postgres: installing Debian's PostgreSQL server" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >&2
    # The package may create and start a system cluster on 5432; the tests do not rely on it.
    $sudo apt-get install -y -qq --no-install-recommends postgresql >&2
    bin_dir >/dev/null || die "initdb still missing after installing postgresql"
}

# Run a server command as the cluster's owner: ourselves, or `postgres` when we are root.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    local dir="$1" port="${2:-}" bin attempt
    [[ -n "$dir" ]] || die "usage: $0 start DIR [PORT]"
    install_server
    bin=$(bin_dir)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$dir"
    fi
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
        die "initdb failed: $(tail -n 5 "$dir/initdb.log")"
    for attempt in 1 2 3; do
        local try_port="${port:-$(free_port)}"
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -o \
            "-c listen_addresses=127.0.0.1 -p $try_port -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null; then
            port="$try_port"
            break
        fi
        # Another process took the free port between the probe and the start: try another one.
        [[ -z "${2:-}" && $attempt -lt 3 ]] || die "postgres did not start: $(tail -n 5 "$dir/postgres.log")"
    done
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres test
    echo "postgresql+psycopg2://postgres@127.0.0.1:$port/test" | tee "$dir/url"
}

stop() {
    local dir="$1" bin
    [[ -n "$dir" ]] || die "usage: $0 stop DIR"
    [[ -d "$dir" ]] || return 0
    if [[ -f "$dir/data/postmaster.pid" ]] && bin=$(bin_dir); then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null || true
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) start "${2:-}" "${3:-}" ;;
    stop) stop "${2:-}" ;;
    *) die "usage: $0 start DIR [PORT] | stop DIR" ;;
esac

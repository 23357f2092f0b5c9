#!/usr/bin/env bash
# Make the Docker secrets docker-compose.yml reads, under deploy/secrets/ (git-ignored).
#
#   scripts/deploy-secrets.sh [--self-signed-inbox]
#
# Random passwords and keys, and the database and broker URLs built from them, so the files
# agree with each other. Existing files are kept (run it again safely; to rotate one, delete it
# and see docs/deploy.md). The inbox's TLS files are the operator's (PKIoverheid certificate,
# the senders' CA, the senders file); --self-signed-inbox makes throwaway ones for a trial.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=deploy/secrets
mkdir -p "$dir"
chmod 0750 "$dir"
umask 0027

random() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
put() {  # put NAME VALUE: write once, never overwrite
    if [[ ! -s "$dir/$1" ]]; then
        printf '%s' "$2" >"$dir/$1"
        echo "deploy-secrets: wrote $dir/$1"
    fi
}

put postgres_password "$(random)"
put ketenbrug_db_password "$(random)"
put redis_password "$(random)"
put jwt_secret "$(random)"
put api_secret_key "$(random)"
# a Fernet key is 32 url-safe base64 bytes
put fernet_key "$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')"

pg="$(<"$dir/postgres_password")"
kb="$(<"$dir/ketenbrug_db_password")"
rd="$(<"$dir/redis_password")"
put airflow_db_url "postgresql+psycopg2://airflow:${pg}@postgres:5432/airflow"
put celery_result_backend "db+postgresql+psycopg2://airflow:${pg}@postgres:5432/airflow"
put ketenbrug_db_url "postgresql+psycopg2://ketenbrug:${kb}@postgres:5432/ketenbrug"
put celery_broker_url "redis://:${rd}@redis:6379/0"

if [[ "${1:-}" == "--self-signed-inbox" ]]; then
    if [[ ! -s "$dir/inbox_tls_cert.pem" ]]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=ketenbrug-inbox" \
            -keyout "$dir/inbox_tls_key.pem" -out "$dir/inbox_tls_cert.pem" 2>/dev/null
        cp "$dir/inbox_tls_cert.pem" "$dir/inbox_client_ca.pem"
        echo "deploy-secrets: wrote a self-signed inbox certificate (for a trial only)"
    fi
    put inbox_senders.json '{"senders": []}'
fi
for name in inbox_tls_cert.pem inbox_tls_key.pem inbox_client_ca.pem inbox_senders.json; do
    [[ -s "$dir/$name" ]] || echo "deploy-secrets: still to provide: $dir/$name (docs/deploy.md)"
done

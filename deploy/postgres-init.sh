#!/usr/bin/env bash
# Runs once, when the postgres volume is new (docker-entrypoint-initdb.d): Ketenbrug's state
# store gets its own role and database beside Airflow's; its password is a Docker secret.
set -euo pipefail
password="$(<"${KETENBRUG_DB_PASSWORD_FILE:?}")"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=pw="$password" <<'SQL'
CREATE ROLE ketenbrug LOGIN PASSWORD :'pw';
CREATE DATABASE ketenbrug OWNER ketenbrug;
SQL

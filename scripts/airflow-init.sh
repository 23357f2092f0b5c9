#!/usr/bin/env bash
# The deployment's one-shot init (docker-compose service `init`), safe to run again:
# migrate Airflow's metadata database and Ketenbrug's state store, then create or update the
# pools (sync/airflow_local.py POOLS, the same ones the tests and the demo use).
set -euo pipefail

echo "init: airflow db migrate"
airflow db migrate

echo "init: ketenbrug db upgrade"
ketenbrug db upgrade

pools="$(mktemp)"
trap 'rm -f "$pools"' EXIT
python -m sync.airflow_local pools "$pools"
echo "init: airflow pools import"
airflow pools import "$pools"

echo "init: done"

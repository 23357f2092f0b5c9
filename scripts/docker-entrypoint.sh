#!/usr/bin/env bash
# Entry point of Ketenbrug's image: secrets from files, then Airflow's own entry point.
#
# Airflow reads its secrets itself (AIRFLOW__..._CMD="cat /run/secrets/..."); Ketenbrug's own
# settings are plain environment variables, so each KETENBRUG_<NAME>_FILE names a file (a Docker
# secret) whose content becomes KETENBRUG_<NAME>. Nothing secret is ever baked into the image.
# `ketenbrug ...` and the image's own scripts (/opt/ketenbrug/bin/...) run as they are; anything
# else goes to the official /entrypoint (which waits for the metadata database and runs
# `airflow <args>`).
set -euo pipefail

for file_var in $(compgen -e | grep -E '^KETENBRUG_[A-Z0-9_]+_FILE$' || true); do
    target="${file_var%_FILE}"
    path="${!file_var}"
    if [[ ! -r "$path" ]]; then
        echo "docker-entrypoint: $file_var names $path, which cannot be read" >&2
        exit 1
    fi
    # a trailing newline in the secret file is not part of the value
    export "$target=$(<"$path")"
    unset "$file_var"
done

if [[ "${1:-}" == "ketenbrug" || "${1:-}" == /opt/ketenbrug/bin/* ]]; then
    exec "$@"
fi
exec /entrypoint "$@"

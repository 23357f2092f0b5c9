"""The production deployment files: docker-compose.yml is valid, the image is pinned to the lock.

No Docker engine runs here, so nothing is built or pulled: `docker-compose config` (Debian's
docker-compose, installed by scripts/install-system-deps.sh) validates and resolves the file,
and the Dockerfile is read as text against requirements.lock and pyproject.toml.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from sync.airflow_local import POOLS
from sync.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
AIRFLOW_SERVICES = {"init", "api-server", "scheduler", "dag-processor", "triggerer"}
WORKERS = {"worker-1", "worker-2"}
ONE_SHOT = {"init"}  # exits when done: depended on with service_completed_successfully
SECRETISH = re.compile(r"PASSWORD|SECRET|_KEY$|TOKEN|SQL_ALCHEMY_CONN|BROKER_URL|RESULT_BACKEND")


def _locked(name: str) -> str:
    match = re.search(
        rf"^{re.escape(name)}==(\S+)$", (ROOT / "requirements.lock").read_text(), re.M
    )
    assert match, f"{name} is not pinned in requirements.lock"
    return match.group(1)


def _dockerfile_args() -> dict[str, str]:
    return dict(re.findall(r"^ARG (\w+)=(\S+)$", DOCKERFILE.read_text(), re.M))


def _run_lines() -> list[str]:
    """RUN instructions with their continuation lines joined."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    return [line[4:] for line in text.splitlines() if line.startswith("RUN ")]


def test_image_is_the_official_airflow_image_of_the_locked_version() -> None:
    args = _dockerfile_args()
    froms = re.findall(r"^FROM (\S+)", DOCKERFILE.read_text(), re.M)
    base = froms[0]
    for name, value in args.items():
        base = base.replace(f"${{{name}}}", value)
    python = re.search(r'requires-python = ">=(\d+\.\d+)', (ROOT / "pyproject.toml").read_text())
    assert python
    assert base == f"apache/airflow:{_locked('apache-airflow')}-python{python.group(1)}"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert f"apache-airflow=={_locked('apache-airflow')}" in pyproject["project"]["dependencies"]
    # the later stages build on the first, never on another base
    assert all(stage == "ketenbrug" for stage in froms[1:]), froms


def test_image_installs_exactly_the_lock() -> None:
    """Python packages come from requirements.lock only; Ketenbrug itself without its deps."""
    text = DOCKERFILE.read_text()
    assert "COPY --chown=airflow:root requirements.lock /opt/ketenbrug/requirements.lock" in text
    installs = [line for line in _run_lines() if "pip install" in line]
    assert installs, "the image installs nothing?"
    for line in installs:
        words = line.split()
        packages = [w for w in words[words.index("install") + 1 :] if not w.startswith("-")]
        if "-r" in words:
            assert words[words.index("-r") + 1] == "/opt/ketenbrug/requirements.lock", line
            assert packages == ["/opt/ketenbrug/requirements.lock"], line
        else:
            assert "--no-deps" in words and packages == ["/opt/ketenbrug/src"], line
    assert "uv pip" not in text and "pip3 install" not in text


def test_no_secret_is_baked_into_the_image() -> None:
    for name in re.findall(r"^(?:ENV|ARG)\s+(\w+)", DOCKERFILE.read_text(), re.M):
        assert not SECRETISH.search(name), f"{name} in the Dockerfile"
    env_lines = re.findall(r"^ENV (.+?)(?<!\\)$", DOCKERFILE.read_text().replace("\\\n", " "), re.M)
    for line in env_lines:
        for key in re.findall(r"(\w+)=", line):
            assert not SECRETISH.search(key), key


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's deployment files in a fresh folder, set up as docs/deploy.md says."""
    folder = tmp_path_factory.mktemp("deploy")
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(ROOT / "deploy", folder / "deploy")
    shutil.copytree(ROOT / "scripts", folder / "scripts")
    for example in (folder / "deploy").glob("*.env.example"):
        shutil.copy(example, example.with_suffix(""))
    made = subprocess.run(
        ["bash", "scripts/deploy-secrets.sh", "--self-signed-inbox"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    return folder


def _config(folder: Path, *profiles: str) -> dict[str, Any]:
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose missing: scripts/install-system-deps.sh installs it"
    args = [compose, *(a for p in profiles for a in ("--profile", p)), "config"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KETENBRUG_", "COMPOSE_"))}
    done = subprocess.run(args, cwd=folder, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    assert isinstance(config, dict)
    return config


def test_compose_file_is_valid_with_every_service_and_health_check(deployment: Path) -> None:
    services = _config(deployment)["services"]
    expected = {"postgres", "redis", "inbox"} | AIRFLOW_SERVICES | WORKERS
    default = {name for name, service in services.items() if not service.get("profiles")}
    assert default == expected, "the simulators are in their own profile only"
    for name, service in services.items():
        if name in ONE_SHOT:
            assert service["restart"] == "no"
        else:
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
    for name in AIRFLOW_SERVICES | WORKERS:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith("http://api-server:")
        if name not in ONE_SHOT:
            assert services[name]["depends_on"]["init"]["condition"] == (
                "service_completed_successfully"
            ), name
    for worker in WORKERS:
        assert services[worker]["command"][:2] == ["celery", "worker"]
        volumes = {v.split(":")[1] for v in services[worker]["volumes"]}
        assert "/var/lib/ketenbrug" in volumes, "workers read the blob store the inbox writes"
    assert services["init"]["command"] == ["/opt/ketenbrug/bin/airflow-init.sh"]
    assert {s["image"] for n, s in services.items() if n in AIRFLOW_SERVICES | WORKERS} == {
        "ketenbrug:latest"
    }


def test_simulators_profile_adds_the_simulators(deployment: Path) -> None:
    services = _config(deployment, "simulators")["services"]
    assert services["simulators"]["profiles"] == ["simulators"]
    assert services["simulators"]["build"]["target"] == "simulators"
    assert "ports" not in services["simulators"], "reachable on the compose network only"


def test_inbox_serves_tls_with_flags_the_cli_has(deployment: Path) -> None:
    inbox = _config(deployment)["services"]["inbox"]
    command = inbox["command"]
    assert command[:3] == ["ketenbrug", "inbox", "serve"]
    assert "--insecure-http" not in command
    args = build_parser().parse_args(command[1:])
    assert args.tls_cert == "/run/secrets/inbox_tls_cert"
    assert args.tls_key == "/run/secrets/inbox_tls_key"
    assert args.client_ca == "/run/secrets/inbox_client_ca"
    assert args.senders == "/run/secrets/inbox_senders"
    assert set(inbox["secrets"][i]["source"] for i in range(len(inbox["secrets"]))) >= {
        "inbox_tls_cert",
        "inbox_tls_key",
        "inbox_client_ca",
        "inbox_senders",
    }


def test_secrets_come_from_files_never_from_the_compose_file(deployment: Path) -> None:
    config = _config(deployment, "simulators")
    for name, service in config["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRETISH.search(key):
                assert key.endswith(("_CMD", "_FILE")), f"{name}: {key} set in the compose file"
                assert "/run/secrets/" in str(value), f"{name}: {key}={value}"
    assert all("file" in secret for secret in config["secrets"].values())
    ignored = (ROOT / "deploy" / ".gitignore").read_text().split()
    assert {"secrets/", "connections.env", "ketenbrug.env"} <= set(ignored)


def test_secret_files_agree_with_each_other(deployment: Path) -> None:
    secrets = deployment / "deploy" / "secrets"
    password = (secrets / "postgres_password").read_text()
    assert f"airflow:{password}@postgres" in (secrets / "airflow_db_url").read_text()
    assert (secrets / "celery_result_backend").read_text() == "db+" + (
        secrets / "airflow_db_url"
    ).read_text()
    redis_password = (secrets / "redis_password").read_text()
    assert f":{redis_password}@redis" in (secrets / "celery_broker_url").read_text()
    kb = (secrets / "ketenbrug_db_password").read_text()
    assert f"ketenbrug:{kb}@postgres" in (secrets / "ketenbrug_db_url").read_text()


def test_entrypoint_turns_file_secrets_into_settings(tmp_path: Path) -> None:
    secret = tmp_path / "db_url"
    secret.write_text("postgresql://k:geheim@db/k\n")
    fake = tmp_path / "bin" / "ketenbrug"
    fake.parent.mkdir()
    fake.write_text(
        '#!/bin/sh\necho "url=$KETENBRUG_DATABASE_URL file=${KETENBRUG_DATABASE_URL_FILE-}"\n'
    )
    fake.chmod(0o755)
    env = {
        "PATH": f"{fake.parent}:{os.environ['PATH']}",
        "KETENBRUG_DATABASE_URL_FILE": str(secret),
    }
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "docker-entrypoint.sh"), "ketenbrug"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.strip() == "url=postgresql://k:geheim@db/k file=", done.stderr
    env["KETENBRUG_DATABASE_URL_FILE"] = str(tmp_path / "missing")
    missing = subprocess.run(
        ["bash", str(ROOT / "scripts" / "docker-entrypoint.sh"), "ketenbrug"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 1 and "cannot be read" in missing.stderr


def test_init_imports_the_pools_of_the_tests(tmp_path: Path) -> None:
    target = tmp_path / "pools.json"
    subprocess.run([sys.executable, "-m", "sync.airflow_local", "pools", str(target)], check=True)
    pools = json.loads(target.read_text())
    assert {name: (p["slots"], p["description"]) for name, p in pools.items()} == POOLS
    init = (ROOT / "scripts" / "airflow-init.sh").read_text()
    assert "airflow db migrate" in init and "ketenbrug db upgrade" in init
    assert "airflow pools import" in init

# syntax=docker/dockerfile:1
# Ketenbrug's image: the official Apache Airflow image of the Airflow version in requirements.lock,
# with exactly the packages of requirements.lock and Ketenbrug itself (--no-deps) on top.
# tests/test_compose.py checks that AIRFLOW_VERSION and PYTHON_VERSION match requirements.lock
# and pyproject.toml, and that nothing is installed beside the lock. No secret or Connection is
# baked in: they come from env files and Docker secrets at run time (see docs/deploy.md).
ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11

FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION} AS ketenbrug

USER airflow
WORKDIR /opt/ketenbrug

# The lock first: this layer is rebuilt only when the pins change.
COPY --chown=airflow:root requirements.lock /opt/ketenbrug/requirements.lock
RUN pip install --no-cache-dir -r /opt/ketenbrug/requirements.lock

# Ketenbrug itself (schemas, mappings and migrations are package data), without dependencies:
# every dependency came from the lock above.
COPY --chown=airflow:root pyproject.toml README.md /opt/ketenbrug/src/
COPY --chown=airflow:root privacy /opt/ketenbrug/src/privacy
COPY --chown=airflow:root stuf /opt/ketenbrug/src/stuf
COPY --chown=airflow:root sync /opt/ketenbrug/src/sync
COPY --chown=airflow:root adapters /opt/ketenbrug/src/adapters
COPY --chown=airflow:root mappings /opt/ketenbrug/src/mappings
COPY --chown=airflow:root simulators /opt/ketenbrug/src/simulators
RUN pip install --no-cache-dir --no-deps /opt/ketenbrug/src

COPY --chown=airflow:root dags /opt/airflow/dags
COPY --chown=airflow:root plugins /opt/airflow/plugins
COPY --chown=airflow:root --chmod=0755 scripts/docker-entrypoint.sh scripts/airflow-init.sh /opt/ketenbrug/bin/

# Not secrets: where Ketenbrug keeps its working files (the blob store is a volume there).
ENV KETENBRUG_HOME=/var/lib/ketenbrug \
    AIRFLOW__CORE__LOAD_EXAMPLES=False
USER root
RUN install -d -o airflow -g root -m 0770 /var/lib/ketenbrug
USER airflow

ENTRYPOINT ["/usr/bin/dumb-init", "--", "/opt/ketenbrug/bin/docker-entrypoint.sh"]
CMD ["--help"]

# The simulators profile only: the SFTP simulators run a real OpenSSH server.
FROM ketenbrug AS simulators
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends openssh-server openssh-client \
    && rm -rf /var/lib/apt/lists/*
COPY --chown=airflow:root --chmod=0755 scripts/simulators-container.py /opt/ketenbrug/bin/
USER airflow

"""The demo and the local Airflow it runs on: not production, so outside ``sync/``.

``python -m demo`` (``./run demo``) runs every flow against the simulators through Airflow;
``python -m demo ui`` (``./run ui``) opens Airflow's UI on what it left. Production code never
imports this package (tests/test_layering.py), as it never imports ``simulators``.
"""

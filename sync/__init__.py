"""Ketenbrug's sync engine: state store, ledger, identity map, dead letters, batch loop, CLI.

Knows nothing of Airflow: the DAGs in ``dags/`` call into this package.
"""

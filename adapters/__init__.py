"""One package per connected system, each a client behind the small interface in ``base``.

Adapters know nothing of the state store or of Airflow (except each one's thin ``hook``).
"""

"""Personal data rules every layer shares: BSN masking (:mod:`privacy.masking`).

Why its own package: the StUF codec, the adapters, the engine, the DAGs and beheer all mask
BSNs by the same rule, and none of them is the natural owner. It imports nothing of Ketenbrug,
so every layer may import it.
"""

"""The work of each DAG task, one module per flow (``zaken``, ``documenten``, ...).

What the tasks of every flow share (the engine built from the registry, draining a partition or
a source, resends) is in :mod:`sync.tasks.flow`; the loop itself is :mod:`sync.drain`.
"""

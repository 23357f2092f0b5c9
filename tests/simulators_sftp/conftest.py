"""Fixtures for the SFTP simulator tests: one real sshd for the session.

When the lead imports these names into ``tests/conftest.py``, this file can go.
"""

from simulators.sftp.testing import sftp_area, sftp_connect, sshd_server, tcp_proxy

__all__ = ["sftp_area", "sftp_connect", "sshd_server", "tcp_proxy"]

"""The simulators in a container (docker-compose profile ``simulators``): serve, and relay.

The simulators listen on 127.0.0.1 only, on purpose. Inside their container that loopback is
out of reach of the Airflow workers, so this process starts them (``python -m simulators.cli
up``) and relays each port P on loopback to port P + 10000 on the container's network: the
compose network only (nothing is published on the host). Connections then name ``simulators:28101``
and so on (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable

#: loopback port of each simulator (simulators.registry.DEFAULT_PORTS) -> relayed port
RELAYS = {18101: 28101, 18103: 28103, 18104: 28104, 18122: 28122}
RELAY_HOST = os.environ.get("KETENBRUG_RELAY_HOST", "0.0.0.0")  # noqa: S104 - compose network


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


def _relay(target: int) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    return handle


async def main() -> int:
    simulators = subprocess.Popen([sys.executable, "-m", "simulators.cli", "up"])
    servers = [
        await asyncio.start_server(_relay(source), RELAY_HOST, relayed)
        for source, relayed in RELAYS.items()
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    while not stop.is_set() and simulators.poll() is None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1)
    for server in servers:
        server.close()
    simulators.terminate()
    return simulators.wait(timeout=30) or 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

"""${Name}'s contract harness: its simulator, its Connection, its faults (see tests/contract)."""

from __future__ import annotations

from typing import Any

from adapters.base import Operation, Target
from tests.contract.harnesses import BSN, Harness


class ${Name}Harness(Harness):
    """Fill in each method; the contract kit tells which one it needs next."""

    def start(self) -> None:
        from simulators.${name} import ${Name}Simulator

        self.simulator = ${Name}Simulator(port=0)
        self.simulator.start()

    def stop(self) -> None:
        self.simulator.stop()

    def connection(self) -> dict[str, Any]:
        port = int(self.simulator.url.rsplit(":", 1)[1])
        return {"conn_type": "http", "host": "127.0.0.1", "port": port, "schema": "http"}

    def target(self, config: Any) -> Target:
        from adapters.${name}.target import ${Name}Target

        return ${Name}Target(config)

    def operation(self) -> Operation:
        return Operation(
            target_system="${name}",
            name="schrijf",
            ledger_key="contract:1",
            target_key="1",
            data={"toelichting": f"cliënt {BSN}"},  # where an adapter could leak the BSN
        )

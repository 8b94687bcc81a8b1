"""The whole product as separate processes: face, text, audio, fusion and the gateway.

Each service runs under uvicorn on a free port (devtools.serve.LocalStack), in
embedded mode on the model repository that ``make models`` builds; the gateway
finds the others through its settings. Logs go to the test's temporary folder and
are printed when a service fails to start.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.serve import LocalStack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    root: Path = tmp_path_factory.mktemp("stack")
    env = {"EMO_GATEWAY_DATA_DIR": str(root / "gateway"), "EMO_GATEWAY_BREAKER_RESET_S": "60"}
    with LocalStack.on_free_ports(env=env, log_dir=root / "logs", ready_timeout_s=300) as running:
        yield running

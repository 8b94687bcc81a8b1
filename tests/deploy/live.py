"""Run the real services as uvicorn processes on loopback and read their /metrics.

Used by the dashboard check: the names the services really export, after one good
and one bad request each so that labelled series exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from devtools.serve import LocalStack

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{|\s)")


@dataclass(frozen=True)
class Served:
    name: str
    url: str
    log_path: Path

    @property
    def metrics_url(self) -> str:
        return f"{self.url}/metrics"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def serve(name: str, env: dict[str, str], log_dir: Path, *, ready_timeout_s: float = 180.0) -> Iterator[Served]:
    """The service ``name`` as a uvicorn process on a free loopback port, once ready."""
    with LocalStack.on_free_ports((name,), env=env, log_dir=log_dir, ready_timeout_s=ready_timeout_s) as stack:
        yield Served(name, stack.url(name), stack.log_path(name))


def sample_names(metrics_url: str) -> set[str]:
    """Every series name in a text exposition (``x_bucket``, ``x_sum``, ``x_count`` included).

    Read off the sample lines as Prometheus stores them: prometheus_client's parser
    would rename a counter ``x`` to ``x_total``, which Triton's counters are not.
    """
    response = httpx.get(metrics_url, timeout=10)
    response.raise_for_status()
    return {
        match.group(1)
        for line in response.text.splitlines()
        if (match := _SAMPLE.match(line))
    }

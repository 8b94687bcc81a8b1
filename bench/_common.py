"""Helpers every benchmark script shares: a service process, Triton sources, run facts, the tail.

Not a benchmark itself (``bench/run_all.py`` skips modules whose name starts with ``_``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from devtools.serve import LocalStack
from emocore.settings import DEFAULT_MODEL_REPOSITORY


@contextmanager
def service_process(module: str, env_prefix: str, name: str, triton_url: str | None, log_dir: Path,
                    ready_timeout_s: float = 180, env: dict[str, str] | None = None) -> Iterator[str]:
    """``uvicorn <module>:app`` on a free loopback port (``devtools.serve.LocalStack``); yields its URL.

    Variables starting with ``env_prefix`` are dropped from the inherited environment, then
    ``env`` is added and ``<env_prefix>TRITON_URL`` set when ``triton_url`` is given. The
    process's output goes to ``log_dir/service-<name>/<service>.log``.
    """
    service = module.split(".")[-2]  # services.face.app -> face, gateway.app -> gateway
    extra = dict(env or {})
    if triton_url:
        extra[f"{env_prefix}TRITON_URL"] = triton_url
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(env_prefix)}
    with LocalStack.on_free_ports(
        (service,), env=extra, base_env=inherited, log_dir=log_dir / f"service-{name}",
        ready_timeout_s=ready_timeout_s,
    ) as stack:
        yield stack.url(service)


def model_source(model: str, work: Path) -> Path:
    """``work/source``: a repository holding only ``model`` (production config, linked ONNX file)."""
    source = work / "source"
    shutil.rmtree(source, ignore_errors=True)
    (source / model / "1").mkdir(parents=True)
    shutil.copy2(DEFAULT_MODEL_REPOSITORY / model / "config.pbtxt", source / model / "config.pbtxt")
    (source / model / "1" / "model.onnx").symlink_to(
        (DEFAULT_MODEL_REPOSITORY / model / "1" / "model.onnx").resolve()
    )
    return source


async def run_requests(jobs: list[Callable[[], Awaitable[Any]]], concurrency: int) -> tuple[float, list[Any]]:
    """Run coroutine factories with at most ``concurrency`` in flight; (seconds, results)."""
    queue = list(reversed(jobs))
    results: list[Any] = []

    async def worker() -> None:
        while queue:
            results.append(await queue.pop()())

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - began, results


def ratio(num: list[float], den: list[float]) -> float:
    """Median of per-round ratios (pairs measured back to back in the same round)."""
    return statistics.median(n / d for n, d in zip(num, den, strict=True))


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, e.g. ``1.2 0.9 0.7``."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def triton_machine() -> str:
    """The machine line of the embedded-vs-Triton reports."""
    import onnxruntime

    return (f"{os.cpu_count()} CPUs, onnxruntime {onnxruntime.__version__}, "
            "tritonserver 2.51 (nvidia-pytriton 0.7.0)")


def run_info(load_before: str, machine: str, **extra: str) -> dict[str, str]:
    """The facts every report header gives: when, machine, load before and (now) after."""
    return {
        "when": time.strftime("Measured %Y-%m-%d %H:%M %Z"),
        "machine": machine,
        "load_before": load_before,
        "load_after": load_average(),
        **extra,
    }


def with_notes(lines: list[str], notes: list[str]) -> str:
    """The report's text: ``lines``, then a ``## Notes`` section listing ``notes``."""
    return "\n".join([*lines, "", "## Notes", "", *[f"- {note}" for note in notes], ""])


def report_main(parser: argparse.ArgumentParser, argv: list[str] | None,
                run: Callable[[argparse.Namespace], Coroutine[Any, Any, str]], report: Path) -> int:
    """Add ``--output`` (default ``report``), run the benchmark, write and print its report."""
    parser.add_argument("--output", type=Path, default=report)
    args = parser.parse_args(argv)
    text = asyncio.run(run(args))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)
    return 0

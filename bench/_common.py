"""Helpers every benchmark script shares: a service process, Triton sources, run facts, the
report's stamp (the commit and model files it was measured on) and writing it.

Not a benchmark itself (``bench/run_all.py`` skips modules whose name starts with ``_``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from devtools.serve import LocalStack
from emocore.settings import DEFAULT_MODEL_REPOSITORY, REPO_ROOT
from models.repository import sha256_file

STAMP_PREFIX = "<!-- bench-stamp "  # + one JSON object + " -->": what tests/unit/test_bench_reports.py reads


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


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout.strip()


def run_facts() -> dict[str, object]:
    """What a run measures: the commit, whether the tree (reports aside) differed from it, the
    command and the sha256 of every model file in the model repository. Taken once, when a
    benchmark starts (``STARTED``), so commits or rebuilds during a long run do not leak in."""
    commit = _git("rev-parse", "HEAD")
    clean = not _git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)bench/reports")
    models = {
        path.parts[-3]: sha256_file(path)
        for path in sorted(DEFAULT_MODEL_REPOSITORY.glob("*/1/model.*"))
        if path.suffix in (".onnx", ".py")
    }
    return {"commit": commit, "clean": clean, "measured": time.strftime("%Y-%m-%d %H:%M %Z"), "models": models}


STARTED = run_facts()


def stamp(script: str, facts: dict[str, object] = STARTED) -> str:
    """The report's closing lines: the facts of the run in words and as one JSON comment."""
    command = " ".join(["python -m", script, *sys.argv[1:]])
    facts = {**facts, "command": command}
    models: dict[str, str] = facts["models"]  # type: ignore[assignment]
    short = ", ".join(f"{name} {digest[:12]}" for name, digest in models.items())
    state = "clean tree" if facts["clean"] else "**uncommitted changes in the tree**"
    return "\n".join([
        "", "---", "",
        f"Stamp: commit `{str(facts['commit'])[:12]}` ({state}), `{command}`, started {facts['measured']}. "
        f"Model files (sha256, first 12 hex digits): {short or 'none built'}.",
        STAMP_PREFIX + json.dumps(facts, sort_keys=True) + " -->", "",
    ])


def write_report(path: Path, text: str, script: str) -> None:
    """Write ``text`` with its stamp to ``path`` (every report goes through here)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n" + stamp(script))


def report_main(parser: argparse.ArgumentParser, argv: list[str] | None,
                run: Callable[[argparse.Namespace], Coroutine[Any, Any, str]], report: Path) -> int:
    """Add ``--output`` (default ``report``), run the benchmark, write (stamped) and print its report."""
    parser.add_argument("--output", type=Path, default=report)
    args = parser.parse_args(argv)
    text = asyncio.run(run(args))
    write_report(args.output, text, f"bench.{report.stem}")
    print(args.output.read_text())
    return 0

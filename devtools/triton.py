"""Run the local Triton server (``.venv-triton``) for tests, benchmarks and ``make serve``.

``run_triton(repository)`` starts the ``tritonserver`` binary that ``nvidia-pytriton``
ships on free loopback ports, waits for ``/v2/health/ready`` and stops it on exit.
The repository must already be a local one (Python backend, see
``models.triton_python.local_repository``); the command line derives it itself:

    python -m devtools.triton --repository model_repository --http-port 8010

Standard library only (and ``models.triton_python``), no ``emocore``: see
``docs/triton_local.md`` for why this server differs from production.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devtools.serve import free_port

REPO_ROOT = Path(__file__).resolve().parents[1]
TRITON_VENV = REPO_ROOT / ".venv-triton"
_PYTHON = TRITON_VENV / "bin" / "python"
_PROBE = (
    "import json, pathlib, sys, sysconfig, pytriton; print(json.dumps({"
    "'version': f'{sys.version_info[0]}.{sys.version_info[1]}', "
    "'libdir': sysconfig.get_config_var('LIBDIR'), "
    "'pytriton': str(pathlib.Path(pytriton.__file__).parent)}))"
)


class TritonEnvMissing(RuntimeError):
    """``.venv-triton`` is absent or incomplete."""


@dataclass(frozen=True)
class TritonProcess:
    """A running server: ``http_url`` is ``host:port`` (what tritonclient wants)."""

    process: subprocess.Popen[bytes]
    http_port: int
    metrics_port: int
    log_path: Path
    startup_s: float

    @property
    def http_url(self) -> str:
        return f"127.0.0.1:{self.http_port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def require_triton_env() -> None:
    """Raise TritonEnvMissing, saying what to run, unless ``.venv-triton`` works."""
    _probe_env()


def _probe_env() -> dict[str, str]:
    if not _PYTHON.is_file():
        raise TritonEnvMissing(f"{TRITON_VENV} is missing: run 'make triton-env'")
    done = subprocess.run([str(_PYTHON), "-c", _PROBE], capture_output=True, text=True)
    if done.returncode != 0:
        raise TritonEnvMissing(
            f"{TRITON_VENV} has no working nvidia-pytriton ({done.stderr.strip()}): "
            "run 'make triton-env'"
        )
    return dict(json.loads(done.stdout))


def _prepare_backends(env: dict[str, str], workdir: Path) -> Path:
    """Backend directory with the Python backend and the stub for the venv's Python.

    The wheel keeps one stub per Python version aside; the backend expects its stub
    next to ``libtriton_python.so`` (pytriton does the same copy at start-up).
    """
    dist = Path(env["pytriton"]) / "tritonserver"
    backends = workdir / "backends"
    shutil.copytree(dist / "backends" / "python", backends / "python",
                    ignore=shutil.ignore_patterns("__pycache__"))
    stub = dist / "python_backend_stubs" / env["version"] / "triton_python_backend_stub"
    shutil.copy2(stub, backends / "python" / "triton_python_backend_stub")
    return backends


def _server_env(env: dict[str, str]) -> dict[str, str]:
    """LD_LIBRARY_PATH: the wheel's bundled libs, and the venv's own libpython.

    The stub links ``libpython3.X.so``; without the interpreter's LIBDIR first it picks
    the system one, which does not match the venv's standard library and fails with
    ``'_thread.RLock' object has no attribute '_recursion_count'``.
    """
    libs = [env["libdir"], str(Path(env["pytriton"]).parent / "nvidia_pytriton.libs")]
    result = dict(os.environ)
    if result.get("LD_LIBRARY_PATH"):
        libs.append(result["LD_LIBRARY_PATH"])
    result["LD_LIBRARY_PATH"] = ":".join(libs)
    result["PATH"] = f"{TRITON_VENV / 'bin'}:{result.get('PATH', '')}"
    result["PYTHONNOUSERSITE"] = "1"
    return result


def _ready(http_port: int) -> bool:
    url = f"http://127.0.0.1:{http_port}/v2/health/ready"
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes], timeout_s: float) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # graceful: finishes in-flight requests
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def run_triton(
    model_repository: Path,
    *,
    http_port: int | None = None,
    metrics_port: int | None = None,
    startup_timeout_s: float = 90.0,
    extra_args: tuple[str, ...] = (),
) -> Iterator[TritonProcess]:
    """Start ``tritonserver`` on ``model_repository``; yield it once ready; stop it.

    Raises RuntimeError (with the server log) when it exits or is not ready in time.
    The log is printed to stderr when the body raises, so pytest shows it.
    """
    env = _probe_env()
    http_port = http_port or free_port()
    metrics_port = metrics_port or free_port()
    with tempfile.TemporaryDirectory(prefix="triton-") as tmp:
        workdir = Path(tmp)
        log_path = workdir / "server.log"
        command = [
            str(Path(env["pytriton"]) / "tritonserver" / "bin" / "tritonserver"),
            f"--model-repository={Path(model_repository).resolve()}",
            "--model-control-mode=none",
            f"--backend-directory={_prepare_backends(env, workdir)}",
            "--http-address=127.0.0.1",
            f"--http-port={http_port}",
            "--allow-grpc=false",
            "--metrics-address=127.0.0.1",
            f"--metrics-port={metrics_port}",
            "--allow-gpu-metrics=false",
            "--allow-cpu-metrics=true",
            "--exit-timeout-secs=5",
            *extra_args,
        ]
        started = time.perf_counter()
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen(
                command, stdout=log_file, stderr=subprocess.STDOUT, env=_server_env(env),
                cwd=workdir,
            )
        try:
            deadline = started + startup_timeout_s
            while not _ready(http_port):
                if process.poll() is not None:
                    why = f"exited with {process.returncode}"
                elif time.perf_counter() > deadline:
                    why = f"was not ready after {startup_timeout_s:.0f}s"
                else:
                    time.sleep(0.1)
                    continue
                raise RuntimeError(f"tritonserver {why}; its log:\n{log_path.read_text()}")
            server = TritonProcess(process, http_port, metrics_port, log_path,
                                   time.perf_counter() - started)
            try:
                yield server
            except Exception:
                print(f"--- tritonserver log ({log_path}) ---\n{server.log()}", file=sys.stderr)
                raise
        finally:
            _stop(process, timeout_s=15)


def main(argv: list[str] | None = None) -> int:
    """Serve the local repository derived from ``--repository`` in the foreground."""
    from models.triton_python import local_repository

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--repository", type=Path, default=REPO_ROOT / "model_repository")
    parser.add_argument("--http-port", type=int, default=8010)
    parser.add_argument("--metrics-port", type=int, default=8012)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the server on SIGTERM too
    with tempfile.TemporaryDirectory(prefix="triton-repo-") as tmp:
        repository = local_repository(args.repository, Path(tmp) / "model_repository")
        try:
            with run_triton(repository, http_port=args.http_port,
                            metrics_port=args.metrics_port) as server:
                print(f"triton ready in {server.startup_s:.1f}s: http://{server.http_url} "
                      f"metrics {server.metrics_url} (Ctrl-C stops)", flush=True)
                while server.process.poll() is None:
                    time.sleep(0.5)
                print(server.log(), file=sys.stderr)
                return 1
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())

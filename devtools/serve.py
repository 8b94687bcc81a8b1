"""Run every service as its own local uvicorn process (``make serve``), or a chosen few.

    python -m devtools.serve            # gateway 8000, face 8001, text 8002, audio 8003, fusion 8004
    python -m devtools.serve --scaled   # + PostgreSQL, a 2nd API 8005 and 2 workers (metrics 8020, 8021)

Each process gets the environment it needs (the gateway finds the others through
``EMO_GATEWAY_FACE_URL`` etc.); the launcher waits until every ``/health/ready``
answers 200, then until Ctrl-C (or SIGTERM), and stops them all. ``LocalStack`` is
the same thing as a context manager for the demo, the benchmarks and the e2e tests
(free ports, logs in files, ``kill(name)`` to take one service down mid-job,
``terminate``/``restart`` for a graceful stop). Names starting with ``gateway`` are
API processes, names starting with ``worker`` are ``python -m gateway.worker``
processes (ready once their metrics port answers).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from emocore.settings import REPO_ROOT

APPS = {
    "face": "services.face.app:app",
    "text": "services.text.app:app",
    "audio": "services.audio.app:app",
    "fusion": "services.fusion.app:app",
    "gateway": "gateway.app:app",
}
PORTS = {"gateway": 8000, "face": 8001, "text": 8002, "audio": 8003, "fusion": 8004,
         "gateway2": 8005, "worker1": 8020, "worker2": 8021}
SCALED = ("face", "text", "audio", "fusion", "gateway", "gateway2", "worker1", "worker2")


EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST_PORT = 10000  # free ports are drawn from here up to the kernel's ephemeral range
_handed_out: set[int] = set()


def _ephemeral_start() -> int:
    """The first port the kernel may give an outgoing connection as its source port (Linux default 32768)."""
    try:
        return int(EPHEMERAL.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port nothing listens on, below the kernel's ephemeral range and not handed out before in this process.

    A port the kernel picks for ``bind(0)`` lies in the ephemeral range, where every outgoing connection
    (health checks, services calling each other) also takes its source port, so one of them could take it
    between now and the seconds later when the service binds it ("address already in use": seen in CI).
    """
    rng = random.SystemRandom()
    top = _ephemeral_start()
    if top - LOWEST_PORT < 1000:  # a machine whose ephemeral range starts low: the kernel's choice is all there is
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    for _ in range(1000):
        port = rng.randrange(LOWEST_PORT, top)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port between {LOWEST_PORT} and {top}")


class LocalStack:
    def __init__(
        self,
        names: tuple[str, ...] = tuple(APPS),
        *,
        ports: dict[str, int] | None = None,
        host: str = "127.0.0.1",
        env: dict[str, str] | None = None,
        per_process: dict[str, dict[str, str]] | None = None,
        base_env: dict[str, str] | None = None,
        log_dir: Path | None = None,
        ready_timeout_s: float = 180.0,
    ) -> None:
        self.names = names
        self.host = host
        self.ports = {**PORTS, **(ports or {})}
        self.env = env or {}
        self.per_process = per_process or {}
        self.base_env = dict(os.environ) if base_env is None else base_env  # what ``env`` adds to
        self.log_dir = log_dir or REPO_ROOT / "build" / "logs"
        self.ready_timeout_s = ready_timeout_s
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    @classmethod
    def on_free_ports(cls, names: tuple[str, ...] = tuple(APPS), **kwargs: object) -> LocalStack:
        return cls(names, ports={name: free_port() for name in (*APPS, *names)}, **kwargs)  # type: ignore[arg-type]

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.ports[name]}"

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def environment(self, name: str) -> dict[str, str]:
        env = {**self.base_env, **self.env, **self.per_process.get(name, {}), "PYTHONUNBUFFERED": "1"}
        if name.startswith(("gateway", "worker")):
            for service in ("face", "text", "audio", "fusion"):
                env.setdefault(f"EMO_GATEWAY_{service.upper()}_URL", self.url(service))
        if name.startswith("worker"):
            env["EMO_GATEWAY_WORKER_PORT"] = str(self.ports[name])
        return env

    def command(self, name: str) -> list[str]:
        if name.startswith("worker"):
            return [sys.executable, "-m", "gateway.worker"]
        return [
            sys.executable, "-m", "uvicorn", APPS["gateway" if name.startswith("gateway") else name],
            "--host", self.host, "--port", str(self.ports[name]),
            "--log-level", "warning", "--timeout-graceful-shutdown", "5",
        ]

    def spawn(self, name: str) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path(name).open("ab") as log:
            self.processes[name] = subprocess.Popen(
                self.command(name), cwd=REPO_ROOT, env=self.environment(name), stdout=log, stderr=subprocess.STDOUT
            )

    def wait_ready(self, names: tuple[str, ...] | None = None) -> None:
        deadline = time.monotonic() + self.ready_timeout_s
        pending = list(names or self.names)
        while pending:
            name = pending[0]
            process = self.processes[name]
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.log_tail(name)}")
            try:
                if httpx.get(f"{self.url(name)}/health/ready", timeout=2.0).status_code == 200:
                    pending.pop(0)
                    continue
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not ready after {self.ready_timeout_s:.0f} s:\n{self.log_tail(name)}")
            time.sleep(0.3)

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.log_path(name)
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def start(self) -> LocalStack:
        try:
            for name in self.names:
                self.spawn(name)
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def kill(self, name: str) -> None:
        """SIGKILL one service (a crash, as far as its callers can tell)."""
        process = self.processes.pop(name)
        process.kill()
        process.wait()

    def terminate(self, name: str, timeout_s: float = 60.0) -> int:
        """SIGTERM one process and wait for it to exit; its exit code."""
        process = self.processes.pop(name)
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout_s)

    def restart(self, name: str) -> None:
        """Stop one process gracefully, start it again, wait until it is ready."""
        self.terminate(name)
        self.spawn(name)
        self.wait_ready((name,))

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM every process, then SIGKILL (and name) those still up ``grace_s`` later, all together."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop within {grace_s:g} s of SIGTERM: killed (log: {self.log_path(name)})",
                      file=sys.stderr, flush=True)
                process.kill()
                process.wait()
        self.processes.clear()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops everything like Ctrl-C


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the services as local processes.")
    parser.add_argument("--only", nargs="+", choices=list(APPS), help="run only these services")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--scaled", action="store_true", help="PostgreSQL + 2 API processes + 2 workers")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    if args.scaled:
        from devtools.postgres import fresh_database, running_postgres

        with running_postgres() as server:
            url = fresh_database(server)
            print(f"PostgreSQL: {url}", flush=True)
            api = {"EMO_GATEWAY_JOB_WORKERS": "0"}  # the API processes run no jobs; the workers do
            stack = LocalStack(SCALED, host=args.host, env={"EMO_GATEWAY_DATABASE_URL": url},
                               per_process={"gateway": api, "gateway2": api})
            return _run(stack)
    return _run(LocalStack(tuple(args.only or APPS), host=args.host))


def _run(stack: LocalStack) -> int:
    print(f"starting {', '.join(stack.names)} (logs in {stack.log_dir}) ...", flush=True)
    try:
        stack.start()
        for name in stack.names:
            print(f"  {name:8s} {stack.url(name)}  (docs: {stack.url(name)}/docs)", flush=True)
        print("all ready; Ctrl-C stops them all", flush=True)
        while all(p.poll() is None for p in stack.processes.values()):
            time.sleep(0.5)
        dead = [n for n, p in stack.processes.items() if p.poll() is not None]
        print(f"{', '.join(dead)} exited; stopping the rest:\n{stack.log_tail(dead[0])}", flush=True)
        return 1
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())

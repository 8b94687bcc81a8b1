"""``make bench``: run every benchmark script ``bench/<name>.py`` in turn; each writes its report.

Each script runs as ``python -m bench.<name>`` from the repository root, in its own
process, one after the other (the machine's cores are shared: never two at once). A
failing script does not stop the others; the exit status is non-zero if any failed.
``python -m bench.run_all face_throughput face_vs_fer`` runs only the named ones.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO_ROOT = BENCH.parent


def scripts() -> list[str]:
    """Names of the benchmark scripts: every ``bench/*.py`` but this one and private modules."""
    own = Path(__file__).stem
    return sorted(p.stem for p in BENCH.glob("*.py") if p.stem != own and not p.stem.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="scripts to run (default: all)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per script")
    args = parser.parse_args(argv)
    available = scripts()
    unknown = sorted(set(args.names) - set(available))
    if unknown:
        parser.error(f"no such benchmark {unknown}; available: {available}")
    outcomes = []
    for name in args.names or available:
        print(f"=== bench/{name}.py", flush=True)
        began = time.perf_counter()
        try:
            code = subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=REPO_ROOT,
                                  timeout=args.timeout).returncode
        except subprocess.TimeoutExpired:
            code = -1
        outcomes.append((name, code, time.perf_counter() - began))
    print("=== summary")
    for name, code, seconds in outcomes:
        state = "ok" if code == 0 else ("timed out" if code == -1 else f"failed ({code})")
        print(f"{name:24} {state:12} {seconds:7.0f} s")
    return 0 if all(code == 0 for _, code, _ in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())

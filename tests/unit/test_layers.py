"""The layers stay apart: served code, training code, developer tooling, tests (read with ``ast``).

Served packages (emocore, services, gateway) never import training, models, dev tooling
or tests; models/ (the build step) may use training's network definitions but no dev
tooling or tests; training may use dev tooling (composed sample media) and the served
feature code it trains for (so features are computed alike in training and serving), never
benchmarks or tests; benchmarks use dev tooling, never tests; torch appears in no served
module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from emocore.settings import REPO_ROOT

FORBIDDEN = {
    "emocore": {"services", "gateway", "models", "training", "devtools", "tests", "bench", "demo"},
    "services": {"gateway", "models", "training", "devtools", "tests", "bench", "demo"},
    "gateway": {"services", "models", "training", "devtools", "tests", "bench", "demo"},
    "models": {"gateway", "devtools", "tests", "bench", "demo"},
    "training": {"tests", "bench", "demo"},
    "devtools": {"tests", "bench"},
    "bench": {"tests"},
    "demo": {"tests", "bench"},
}
SERVED = ("emocore", "services", "gateway")


def imports(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports (inside functions too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def modules(package: str) -> list[Path]:
    return sorted((REPO_ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_across_a_layer_boundary(package: str) -> None:
    found = {
        str(path.relative_to(REPO_ROOT)): sorted(imports(path) & FORBIDDEN[package])
        for path in modules(package)
    }
    assert {path: names for path, names in found.items() if names} == {}


@pytest.mark.parametrize("package", SERVED)
def test_served_code_runs_no_torch(package: str) -> None:
    assert [str(p.relative_to(REPO_ROOT)) for p in modules(package) if "torch" in imports(p)] == []


def test_the_boundary_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from training.text import network\n    import devtools.serve\n")
    assert imports(module) == {"training", "devtools"}

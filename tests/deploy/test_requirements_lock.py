"""Serving dependencies install from lock files with hashes, and the locks cover what is served.

``requirements/serve.txt`` states what the services need (lower bounds);
``requirements/serve.lock`` pins every distribution of its closure to one version
with the hash of every file (``make lock``). The images and ``make setup`` install
the lock with ``--require-hashes`` in a pip call of its own (hash mode is per call).
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.deploy.chart import REPO_ROOT
from tests.deploy.dockerfile import parse
from tests.deploy.imports import requirement_closure, requirement_names

REQUIREMENTS = REPO_ROOT / "requirements"
SERVE_LOCK = REQUIREMENTS / "serve.lock"
NODEPS_LOCKS = {"gateway": "gateway-nodeps.lock", "audio": "audio-nodeps.lock"}
SERVICE_IMAGES = ("gateway", "face", "text", "audio", "fusion")
_ENTRY = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+?)\s*(?:\\|$)")


def lock_entries(path: Path) -> dict[str, tuple[str, list[str]]]:
    """canonical name -> (pinned version, sha256 hashes) of a lock file."""
    entries: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in path.read_text().splitlines():
        if match := _ENTRY.match(line):
            current = canonicalize_name(match.group("name"))
            entries[current] = (match.group("version"), [])
        elif current and (found := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            entries[current][1].append(found.group(1))
        elif line.strip() and not line.lstrip().startswith("#"):
            raise AssertionError(f"{path.name}: unexpected line {line!r}")
    return entries


@pytest.mark.parametrize("name", ["serve.lock", *NODEPS_LOCKS.values()])
def test_every_entry_is_pinned_with_hashes(name: str) -> None:
    entries = lock_entries(REQUIREMENTS / name)
    assert entries
    for package, (_, hashes) in entries.items():
        assert hashes, f"{name}: {package} has no --hash"


def test_the_lock_covers_serve_txt_and_its_whole_closure() -> None:
    entries = lock_entries(SERVE_LOCK)
    wanted = requirement_names(REQUIREMENTS / "serve.txt")
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in entries, f"serve.lock lacks {name}"
        assert entries[name][0] in requirement.specifier, f"{name}=={entries[name][0]} outside {requirement}"
    missing = requirement_closure(wanted) - set(entries)
    assert missing == set(), f"serve.lock lacks dependencies of serve.txt: {sorted(missing)}"


def test_the_lock_pins_what_the_tests_run_on() -> None:
    differs = {
        name: (version, metadata.version(name))
        for name, (version, _) in lock_entries(SERVE_LOCK).items()
        if metadata.version(name) != version
    }
    assert differs == {}, "serve.lock and .venv disagree: run `make setup` (or `make lock`)"


@pytest.mark.parametrize("image", list(NODEPS_LOCKS))
def test_weight_packages_locked_as_pinned_in_weights_txt(image: str) -> None:
    weights = {canonicalize_name(r.name): r for r in requirement_names(REQUIREMENTS / "weights.txt")}
    for name, (version, _) in lock_entries(REQUIREMENTS / NODEPS_LOCKS[image]).items():
        assert weights[name].specifier == Requirement(f"{name}=={version}").specifier


def test_python_multipart_has_the_fix_for_cve_2024_53981() -> None:
    (requirement,) = [r for r in requirement_names(REQUIREMENTS / "serve.txt") if r.name == "python-multipart"]
    assert Version("0.0.17") not in requirement.specifier and Version("0.0.18") in requirement.specifier
    assert Version(lock_entries(SERVE_LOCK)["python-multipart"][0]) >= Version("0.0.18")


def pip_installs(commands: list[str]) -> list[list[str]]:
    """The words of every ``pip install`` among shell commands joined by ``&&``."""
    calls = []
    for command in commands:
        for part in command.split("&&"):
            words = part.split()
            if any(w.endswith("pip") for w in words[:2]) and "install" in words:
                calls.append(words)
    return calls


@pytest.mark.parametrize("image", SERVICE_IMAGES)
def test_images_install_only_from_locks_with_hashes(image: str) -> None:
    dockerfile = parse(REPO_ROOT / "docker" / f"{image}.Dockerfile")
    calls = pip_installs([run.arguments for run in dockerfile.all("RUN")])
    assert calls
    for words in calls:
        files = [words[i + 1] for i, w in enumerate(words) if w == "-r"]
        assert "--require-hashes" in words and files, " ".join(words)
        assert all(f.endswith(".lock") for f in files), " ".join(words)
    installed = {f.rsplit("/", 1)[-1] for words in calls for i, f in enumerate(words) if i and words[i - 1] == "-r"}
    assert "serve.lock" in installed
    assert installed - {"serve.lock"} == ({NODEPS_LOCKS[image]} if image in NODEPS_LOCKS else set())


def test_make_setup_installs_the_lock_with_hashes_in_its_own_pip_call() -> None:
    recipe = (REPO_ROOT / "Makefile").read_text().split("$(VENV)/.installed:", 1)[1].split("\n\n", 1)[0]
    calls = pip_installs(recipe.splitlines())
    hashed = [w for w in calls if "--require-hashes" in w]
    assert [w[w.index("-r") + 1] for w in hashed] == ["requirements/serve.lock"]
    assert all(w.count("-r") == 1 for w in hashed)  # hash mode covers its whole pip call
    assert "requirements/serve.txt" not in recipe

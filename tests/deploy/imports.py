"""What an image's code imports, read with ``ast`` (nothing is imported).

``first_party_closure`` follows our own packages from an entry module; ``third_party``
lists the other top-level imports; ``requirement_closure`` expands a requirements file
into every distribution pip would install for it, from the installed metadata.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata as metadata
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

FIRST_PARTY = ("emocore", "services", "gateway", "models", "training", "devtools")


def module_file(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(tree: ast.AST, module: str, is_package: bool) -> tuple[set[str], set[str]]:
    """``(modules, maybe modules)``: ``from a import b`` needs ``a``; ``a.b`` may be a name."""
    required: set[str] = set()
    optional: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            required.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".")
                keep = len(parts) - node.level + (1 if is_package else 0)
                base = ".".join(parts[:keep] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            required.add(base)
            optional.update(f"{base}.{alias.name}" for alias in node.names)
    return required, optional


def first_party_closure(root: Path, entries: list[str]) -> tuple[set[Path], set[str]]:
    """``(files, third-party top-level names)`` reachable from the entry modules.

    Raises ModuleNotFoundError for an import of ours that has no file.
    """
    files: set[Path] = set()
    external: set[str] = set()
    pending = [(entry, True) for entry in entries]
    seen: set[str] = set()
    while pending:
        module, required = pending.pop()
        top = module.split(".")[0]
        if top not in FIRST_PARTY:
            if top and top not in sys.stdlib_module_names and top != "__future__":
                external.add(top)
            continue
        path = module_file(root, module)
        if path is None and root.joinpath(*module.split(".")).is_dir():
            continue  # a namespace package: its modules are followed on their own
        if path is None:
            if required:
                raise ModuleNotFoundError(f"no file for module {module}", name=module)
            continue  # a name imported with "from package import name", not a module
        if module in seen:
            continue
        seen.add(module)
        files.add(path)
        parents = module.split(".")
        pending.extend((".".join(parents[:i]), True) for i in range(1, len(parents)))
        modules, maybe = _imported(ast.parse(path.read_text(), filename=str(path)), module,
                                   path.name == "__init__.py")
        pending.extend((m, True) for m in modules)
        pending.extend((m, False) for m in maybe)
    return files, external


def defines(path: Path, name: str) -> bool:
    """The module assigns ``name`` at top level (``app = create_app()``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
    return False


def requirement_names(path: Path) -> list[Requirement]:
    """The requirements of a requirements or lock file (``--hash`` options and comments skipped)."""
    lines = (line.split("#")[0].strip().removesuffix("\\").strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def requirement_closure(requirements: list[Requirement]) -> set[str]:
    """Canonical names of every distribution the requirements pull in (installed metadata)."""
    found: set[str] = set()
    pending = [(r, frozenset(r.extras)) for r in requirements]
    while pending:
        requirement, extras = pending.pop()
        name = canonicalize_name(requirement.name)
        key = f"{name}[{','.join(sorted(extras))}]"
        if key in found:
            continue
        found.add(key)
        found.add(name)
        try:
            requires = metadata.requires(requirement.name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            child = Requirement(text)
            environments = [{"extra": e} for e in extras] or [{"extra": ""}]
            if child.marker is None or any(child.marker.evaluate(env) for env in environments):
                pending.append((child, frozenset(child.extras)))
    return {n for n in found if "[" not in n}


@functools.cache
def _packages_distributions() -> dict[str, list[str]]:
    return dict(metadata.packages_distributions())


def distributions_of(import_name: str) -> set[str]:
    """Canonical names of the installed distributions that provide a top-level import."""
    return {canonicalize_name(d) for d in _packages_distributions().get(import_name, [])}

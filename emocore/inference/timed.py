"""One inference call, recorded in the service's metrics (latency and batch size)."""

from __future__ import annotations

import time

import numpy as np

from emocore.inference.base import InferenceBackend
from emocore.metrics import ServiceMetrics


async def timed_infer(
    backend: InferenceBackend,
    metrics: ServiceMetrics,
    model: str,
    inputs: dict[str, np.ndarray],
    outputs: list[str],
) -> dict[str, np.ndarray]:
    """``backend.infer``, observing its duration and batch (the inputs' first dimension)."""
    batch = len(next(iter(inputs.values())))
    began = time.perf_counter()
    result = await backend.infer(model, inputs, outputs)
    metrics.observe_inference(model, backend.name, time.perf_counter() - began, batch)
    return result

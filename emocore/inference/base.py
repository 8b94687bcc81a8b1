"""The backend interface the services program against."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class InferenceBackend(Protocol):
    """Runs a named model of the model repository on named input tensors.

    Both implementations use the same ONNX files and the same tensor names, so a
    service switches between them through settings only.
    """

    name: str

    async def infer(
        self, model: str, inputs: dict[str, np.ndarray], outputs: list[str]
    ) -> dict[str, np.ndarray]:
        """Run one batch; raise ModelNotReady or BackendUnavailable on failure."""
        ...

    async def is_ready(self, model: str) -> bool:
        """True when the model is loaded and answers."""
        ...

    async def close(self) -> None:
        """Release clients and sessions."""
        ...

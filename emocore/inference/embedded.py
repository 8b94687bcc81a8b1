"""Embedded backend: ONNX Runtime in process, reading the Triton model repository."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import numpy as np
import onnxruntime as ort

from emocore import memory
from emocore.errors import ModelNotReady


class EmbeddedBackend:
    """Loads ``<repository>/<model>/1/model.onnx`` lazily, once, and runs it in a thread."""

    name = "embedded"

    def __init__(self, repository: Path, *, threads: int = 0, memory_arena: bool = True) -> None:
        self._repository = Path(repository)
        self._threads = threads
        self._memory_arena = memory_arena  # False: activations are freed after each run
        self._sessions: dict[str, ort.InferenceSession] = {}
        self._lock = threading.Lock()

    def model_path(self, model: str) -> Path:
        return self._repository / model / "1" / "model.onnx"

    def session(self, model: str) -> ort.InferenceSession:
        """The ONNX Runtime session for a model, created on first use."""
        with self._lock:
            if model not in self._sessions:
                path = self.model_path(model)
                if not path.is_file():
                    raise ModelNotReady(
                        f"model '{model}' not found at {path}; run 'make models'"
                    )
                options = ort.SessionOptions()
                # Idle workers of one session would spin on the cores the next one needs
                # (the face service runs two models per request): they sleep instead.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                if self._threads:
                    options.intra_op_num_threads = self._threads
                options.enable_cpu_mem_arena = self._memory_arena
                self._sessions[model] = ort.InferenceSession(
                    str(path), options, providers=ort.get_available_providers()
                )
            return self._sessions[model]

    def infer_sync(
        self, model: str, inputs: dict[str, np.ndarray], outputs: list[str]
    ) -> dict[str, np.ndarray]:
        """Blocking inference (for scripts and benchmarks)."""
        results = self.session(model).run(outputs, inputs)
        if not self._memory_arena:  # the activations were freed: give their pages back too
            memory.release()
        return {name: np.asarray(value) for name, value in zip(outputs, results, strict=True)}

    async def infer(
        self, model: str, inputs: dict[str, np.ndarray], outputs: list[str]
    ) -> dict[str, np.ndarray]:
        return await asyncio.to_thread(self.infer_sync, model, inputs, outputs)

    async def is_ready(self, model: str) -> bool:
        try:
            await asyncio.to_thread(self.session, model)
        except ModelNotReady:
            return False
        return True

    async def close(self) -> None:
        with self._lock:
            self._sessions.clear()

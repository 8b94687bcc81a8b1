"""Inference backends: one interface, an embedded (ONNX Runtime) and a Triton implementation."""

from emocore.inference.base import InferenceBackend
from emocore.inference.factory import create_backend

__all__ = ["InferenceBackend", "create_backend"]

"""Inference backends: one interface, an embedded (ONNX Runtime) and a Triton implementation."""

from emocore.inference.base import InferenceBackend
from emocore.inference.factory import create_backend
from emocore.inference.timed import timed_infer

__all__ = ["InferenceBackend", "create_backend", "timed_infer"]

"""Triton Python-backend model that runs a repository's ``model.onnx`` with ONNX Runtime.

Used only by the local Triton server (``docs/triton_local.md``): the ``tritonserver``
shipped by ``nvidia-pytriton`` has the Python backend but no ``onnxruntime`` backend, so
``models.triton_python.local_repository`` links this file next to each ``model.onnx``
and switches the config's backend to ``python``. Production keeps ``onnxruntime``.

Runs inside Triton's Python stub with ``.venv-triton``'s packages (numpy<2): it must not
import anything of this project. Tensor names come from ``config.pbtxt``. Requests that
the dynamic batcher hands over together are concatenated along the batch axis (grouped by
their per-item shape) and run as one ONNX Runtime call, as the ``onnxruntime`` backend does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    """One ONNX Runtime session per model instance."""

    def initialize(self, args: dict[str, str]) -> None:
        config = json.loads(args["model_config"])
        version_dir = Path(args["model_repository"]) / args["model_version"]
        self._batched = int(config.get("max_batch_size", 0)) > 0
        self._inputs = [item["name"] for item in config["input"]]
        self._outputs = [item["name"] for item in config["output"]]
        self._output_dtypes = {
            item["name"]: pb_utils.triton_string_to_numpy(item["data_type"])
            for item in config["output"]
        }
        options = ort.SessionOptions()
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # as EmbeddedBackend
        threads = config.get("parameters", {}).get("intra_op_thread_count", {})
        if threads.get("string_value"):
            options.intra_op_num_threads = int(threads["string_value"])
        self._session = ort.InferenceSession(
            str(version_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        # Fail the load, as the onnxruntime backend does, when config and graph disagree.
        for kind, declared, actual in (
            ("input", self._inputs, [i.name for i in self._session.get_inputs()]),
            ("output", self._outputs, [o.name for o in self._session.get_outputs()]),
        ):
            unknown = sorted(set(declared) - set(actual))
            if unknown:
                raise ValueError(f"config.pbtxt {kind}s {unknown} are not in model.onnx {actual}")

    def execute(self, requests: list[Any]) -> list[Any]:
        responses: list[Any] = [None] * len(requests)
        groups: dict[tuple[Any, ...], list[int]] = {}
        feeds: list[dict[str, np.ndarray]] = []
        for index, request in enumerate(requests):
            feed = {
                name: pb_utils.get_input_tensor_by_name(request, name).as_numpy()
                for name in self._inputs
            }
            feeds.append(feed)
            key: tuple[Any, ...] = (index,)
            if self._batched:  # same per-item shapes and dtypes: one ONNX Runtime call
                key = tuple((n, a.dtype.str, a.shape[1:]) for n, a in feed.items())
            groups.setdefault(key, []).append(index)
        for indices in groups.values():
            self._run_group(requests, feeds, indices, responses)
        return responses

    def _run_group(
        self,
        requests: list[Any],
        feeds: list[dict[str, np.ndarray]],
        indices: list[int],
        responses: list[Any],
    ) -> None:
        """Run the requests of one shape group as one batch and split the results."""
        try:
            if len(indices) == 1:
                feed = feeds[indices[0]]
            else:
                feed = {n: np.concatenate([feeds[i][n] for i in indices]) for n in self._inputs}
            results = dict(zip(self._outputs, self._session.run(self._outputs, feed), strict=True))
        except Exception as exc:  # one bad batch must not take the instance down
            error = pb_utils.TritonError(f"onnxruntime failed: {exc}")
            for i in indices:
                responses[i] = pb_utils.InferenceResponse(output_tensors=[], error=error)
            return
        start = 0
        for i in indices:
            part = slice(None)
            if len(indices) > 1:  # only batched models form groups of several requests
                size = len(feeds[i][self._inputs[0]])
                part, start = slice(start, start + size), start + size
            wanted = set(requests[i].requested_output_names()) or set(self._outputs)
            tensors = [
                pb_utils.Tensor(name, results[name][part].astype(self._output_dtypes[name]))
                for name in self._outputs
                if name in wanted
            ]
            responses[i] = pb_utils.InferenceResponse(output_tensors=tensors)

    def finalize(self) -> None:
        self._session = None

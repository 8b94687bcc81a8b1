"""The local Triton server answers like the embedded backend, through TritonBackend.

Two tiny ONNX models (softmax over 7 logits; one of them over a sequence of any
length, as TransNetV2's windows are), written to a tmp repository with the
production ``render_config``, are served by the real ``tritonserver`` of ``.venv-triton``
via the Python-backend repository derived from it (docs/triton_local.md).
"""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from devtools.serve import free_port
from devtools.triton import TritonProcess, run_triton
from emocore.errors import BackendUnavailable, InvalidInput, ModelNotReady
from emocore.inference.embedded import EmbeddedBackend
from emocore.inference.triton import TritonBackend
from models.repository import ModelSpec, TensorSpec, render_config
from models.triton_python import local_repository

pytestmark = [pytest.mark.triton, pytest.mark.slow]

SPEC = ModelSpec(
    name="tiny_softmax",
    inputs=(TensorSpec("logits", "TYPE_FP32", (7,)),),
    outputs=(TensorSpec("probs", "TYPE_FP32", (7,)),),
    max_batch_size=16,
    preferred_batch_sizes=(4, 16),
    max_queue_delay_us=20_000,  # wide window, so a burst of requests surely batches
)
SEQUENCE = ModelSpec(  # a variable axis, as TransNetV2's time: dims -1
    name="tiny_sequence",
    inputs=(TensorSpec("logits", "TYPE_FP32", (-1, 7)),),
    outputs=(TensorSpec("probs", "TYPE_FP32", (-1, 7)),),
    max_batch_size=16,
    preferred_batch_sizes=(4, 16),
)
CPU_METRICS = (
    "nv_inference_request_success",
    "nv_inference_queue_duration_us",
    "nv_inference_compute_infer_duration_us",
    "nv_inference_count",
    "nv_inference_exec_count",
)


def _write_tiny_model(repository: Path, spec: ModelSpec) -> None:
    shape = ["batch", *("time" if d == -1 else d for d in spec.inputs[0].dims)]
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, shape)
    probs = helper.make_tensor_value_info("probs", TensorProto.FLOAT, shape)
    node = helper.make_node("Softmax", ["logits"], ["probs"], axis=-1)
    model = helper.make_model(
        helper.make_graph([node], spec.name, [logits], [probs]),
        opset_imports=[helper.make_opsetid("", 17)],
    )
    model.ir_version = 8  # readable by older ONNX Runtime builds too
    (repository / spec.name / "1").mkdir(parents=True)
    onnx.save(model, repository / spec.name / "1" / "model.onnx")
    (repository / spec.name / "config.pbtxt").write_text(render_config(spec))


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "model_repository"
    _write_tiny_model(path, SPEC)
    _write_tiny_model(path, SEQUENCE)
    return path


@pytest.fixture(scope="module")
def server(triton_env: None, repository: Path) -> Iterator[TritonProcess]:
    local = local_repository(repository, repository.parent / "local_repository")
    with run_triton(local) as process:
        yield process


def _burst(server: TritonProcess, model: str, requests: list[np.ndarray]) -> list[np.ndarray]:
    """``probs`` for each of ``requests``, all sent at once (so the dynamic batcher may merge them)."""

    async def send() -> list[np.ndarray]:
        backend = TritonBackend(server.http_url, timeout_s=10, retries=0)
        try:
            results = await asyncio.gather(*(backend.infer(model, {"logits": x}, ["probs"]) for x in requests))
        finally:
            await backend.close()
        return [r["probs"] for r in results]

    return asyncio.run(send())


def _logits(batch: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(scale=3.0, size=(batch, 7)).astype(np.float32)


def test_local_config_differs_from_production_only_in_backend(repository: Path) -> None:
    local = local_repository(repository, repository.parent / "check_repository")
    production = (repository / SPEC.name / "config.pbtxt").read_text()
    assert (local / SPEC.name / "config.pbtxt").read_text() == production.replace(
        'backend: "onnxruntime"', 'backend: "python"'
    )
    onnx_link = local / SPEC.name / "1" / "model.onnx"
    assert onnx_link.is_symlink()
    assert onnx_link.resolve() == (repository / SPEC.name / "1" / "model.onnx").resolve()


def test_triton_matches_embedded_for_a_batch(server: TritonProcess, repository: Path) -> None:
    batch = {"logits": _logits(8)}

    async def both() -> tuple[np.ndarray, np.ndarray]:
        triton = TritonBackend(server.http_url, timeout_s=10, retries=0)
        embedded = EmbeddedBackend(repository)
        try:
            remote = await triton.infer(SPEC.name, batch, ["probs"])
            local = await embedded.infer(SPEC.name, batch, ["probs"])
        finally:
            await triton.close()
            await embedded.close()
        return remote["probs"], local["probs"]

    remote, local = asyncio.run(both())
    assert remote.shape == (8, 7)
    assert remote.dtype == np.float32
    np.testing.assert_allclose(remote, local, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(remote.sum(axis=1), 1.0, rtol=1e-5)


def test_a_variable_axis_takes_requests_of_different_lengths_at_once(server: TritonProcess, repository: Path) -> None:
    """The cascade sends TransNetV2 windows of several lengths; the config's -1 dims take them all."""
    rng = np.random.default_rng(5)
    requests = [rng.normal(size=(2, length, 7)).astype(np.float32) for length in (100, 40, 100, 70)]

    embedded = EmbeddedBackend(repository)
    for sent, got in zip(requests, _burst(server, SEQUENCE.name, requests), strict=True):
        assert got.shape == sent.shape
        expected = embedded.infer_sync(SEQUENCE.name, {"logits": sent}, ["probs"])["probs"]
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


def test_ready_for_served_model_only(server: TritonProcess) -> None:
    async def check() -> tuple[bool, bool]:
        backend = TritonBackend(server.http_url, timeout_s=5, retries=0)
        try:
            return await backend.is_ready(SPEC.name), await backend.is_ready("no_such_model")
        finally:
            await backend.close()

    assert asyncio.run(check()) == (True, False)


def test_errors_map_to_domain_errors(server: TritonProcess) -> None:
    async def check() -> None:
        backend = TritonBackend(server.http_url, timeout_s=5, retries=2)
        try:
            with pytest.raises(ModelNotReady, match="no_such_model"):
                await backend.infer("no_such_model", {"logits": _logits(1)}, ["probs"])
            with pytest.raises(InvalidInput, match="shape"):
                await backend.infer(SPEC.name, {"logits": np.zeros((2, 5), np.float32)}, ["probs"])
        finally:
            await backend.close()

    asyncio.run(check())


def test_unreachable_server_is_backend_unavailable(caplog: pytest.LogCaptureFixture) -> None:
    address = f"127.0.0.1:{free_port()}"

    async def check() -> None:
        backend = TritonBackend(address, timeout_s=2, retries=1)
        try:
            assert not await backend.is_ready(SPEC.name)
            with pytest.raises(BackendUnavailable, match="unavailable for model") as caught:
                await backend.infer(SPEC.name, {"logits": _logits(1)}, ["probs"])
            assert address not in caught.value.message  # the address is for the log only
        finally:
            await backend.close()

    asyncio.run(check())
    assert f"triton at {address} failed for {SPEC.name} after 2 attempts" in caplog.text


def test_dynamic_batching_merges_concurrent_requests(
    server: TritonProcess, repository: Path
) -> None:
    requests = [_logits(1, seed) for seed in range(24)]

    before = _metrics(server)
    answers = _burst(server, SPEC.name, requests)
    after = _metrics(server)
    expected = EmbeddedBackend(repository).infer_sync(
        SPEC.name, {"logits": np.concatenate(requests)}, ["probs"]
    )["probs"]
    np.testing.assert_allclose(np.concatenate(answers), expected, rtol=1e-6, atol=1e-7)
    requests_done = after["nv_inference_request_success"] - before["nv_inference_request_success"]
    executions = after["nv_inference_exec_count"] - before["nv_inference_exec_count"]
    assert requests_done == len(requests)
    assert executions < len(requests), "the dynamic batcher never merged two requests"


def test_cpu_inference_metrics_are_exposed(server: TritonProcess) -> None:
    async def one() -> None:
        backend = TritonBackend(server.http_url, timeout_s=10, retries=0)
        try:
            await backend.infer(SPEC.name, {"logits": _logits(2)}, ["probs"])
        finally:
            await backend.close()

    asyncio.run(one())
    metrics = _metrics(server)
    assert set(CPU_METRICS) <= set(metrics)
    assert metrics["nv_inference_request_success"] >= 1
    assert metrics["nv_inference_count"] >= 2


def _metrics(server: TritonProcess) -> dict[str, float]:
    """The tiny model's ``nv_inference_*`` counters from Triton's Prometheus endpoint."""
    with urllib.request.urlopen(server.metrics_url, timeout=5) as response:
        text = response.read().decode()
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("nv_inference_") and f'model="{SPEC.name}"' in line:
            name = line.split("{", 1)[0]
            values[name] = values.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    return values

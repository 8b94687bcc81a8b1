"""The model repository builder: idempotent, checksum-verified, clear about what is missing."""

from __future__ import annotations

import types
from pathlib import Path

import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from models.build import build_one
from models.repository import MissingSource, ModelSpec, Source, TensorSpec, sha256_file

SPEC = ModelSpec(
    name="tiny_softmax",
    inputs=(TensorSpec("x", "TYPE_FP32", (7,)),),
    outputs=(TensorSpec("probs", "TYPE_FP32", (7,)),),
    max_batch_size=8,
    preferred_batch_sizes=(4, 8),
)


def builder(source: Path, pinned: str) -> types.ModuleType:
    """A builder module whose export writes a real ONNX softmax and counts its calls."""
    module = types.ModuleType("tiny_builder")
    module.__file__ = __file__
    module.SPEC = SPEC
    module.exports = 0

    def export(path: Path) -> None:
        module.exports += 1
        graph = helper.make_graph(
            [helper.make_node("Softmax", ["x"], ["probs"], axis=-1)],
            "tiny",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 7])],
            [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 7])],
        )
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)

    module.sources = lambda: [Source(source, pinned, "pip install --no-deps tiny==1.0")]
    module.export = export
    return module


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    path = tmp_path / "weights.bin"
    path.write_bytes(b"pretend weights")
    return path


def test_builds_once_then_reports_unchanged(tmp_path: Path, weights: Path) -> None:
    module = builder(weights, sha256_file(weights))
    repository = tmp_path / "repo"
    assert build_one(module, repository) == "built"
    assert build_one(module, repository) == "unchanged"
    assert module.exports == 1
    config = (repository / "tiny_softmax" / "config.pbtxt").read_text()
    assert 'backend: "onnxruntime"' in config and "dynamic_batching" in config
    assert "max_batch_size: 8" in config
    session = ort.InferenceSession(str(repository / "tiny_softmax" / "1" / "model.onnx"))
    assert [i.name for i in session.get_inputs()] == ["x"]


def test_a_damaged_output_is_rebuilt(tmp_path: Path, weights: Path) -> None:
    module = builder(weights, sha256_file(weights))
    repository = tmp_path / "repo"
    build_one(module, repository)
    (repository / "tiny_softmax" / "1" / "model.onnx").write_bytes(b"truncated")
    assert build_one(module, repository) == "built"
    assert module.exports == 2


def test_missing_source_names_the_file_and_how_to_get_it(tmp_path: Path) -> None:
    module = builder(tmp_path / "absent.bin", "0" * 64)
    with pytest.raises(MissingSource) as caught:
        build_one(module, tmp_path / "repo")
    assert "absent.bin" in caught.value.message
    assert "pip install --no-deps tiny==1.0" in caught.value.message
    assert not (tmp_path / "repo" / "tiny_softmax").exists()


def test_altered_source_fails_its_checksum(tmp_path: Path, weights: Path) -> None:
    module = builder(weights, sha256_file(weights))
    weights.write_bytes(b"someone else's weights")
    with pytest.raises(MissingSource, match=r"checksum mismatch for .*weights\.bin"):
        build_one(module, tmp_path / "repo")

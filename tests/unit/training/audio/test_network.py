"""The audio emotion network in torch matches its references, and the built ONNX matches it.

References: faster-whisper's own log-mel features and CTranslate2's Whisper encoder
(``encode()``) on the same tiny.en weights; then the ONNX file ``make models`` put in
the model repository against the torch model it was exported from.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

from devtools.audio import ANGRY_CLIP, SAD_CLIP, clip, synth_music
from emocore.settings import DEFAULT_MODEL_REPOSITORY
from models.audio_emotion import load_net, whisper_model_bin
from services.audio.model import WINDOW_SAMPLES
from training.audio.ct2 import read_variables
from training.audio.network import LogMel, WhisperEncoder, valid_steps

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def thirty_seconds() -> np.ndarray:
    """Whisper's native 30 s input: a real sentence, then silence."""
    audio = np.zeros(30 * 16000, np.float32)
    speech = clip(ANGRY_CLIP)
    audio[: speech.shape[0]] = speech
    return audio


def test_ct2_reader_finds_the_encoder_in_float16_weights() -> None:
    variables = read_variables(whisper_model_bin(), prefix="encoder/")
    assert variables["encoder/conv1/weight"].shape == (384, 80, 3)
    assert variables["encoder/position_encodings/encodings"].shape == (1500, 384)
    assert all(v.dtype == np.float32 for k, v in variables.items() if k != "encoder/num_heads")


def test_log_mel_matches_faster_whisper(thirty_seconds: np.ndarray) -> None:
    from faster_whisper.feature_extractor import FeatureExtractor

    reference = FeatureExtractor()(thirty_seconds, padding=0)
    ours = LogMel()(torch.from_numpy(thirty_seconds)[None])[0].numpy()
    assert ours.shape == reference.shape == (80, 3000)
    assert np.abs(ours - reference).max() < 1e-4


def test_encoder_matches_ctranslate2(thirty_seconds: np.ndarray) -> None:
    import ctranslate2
    from faster_whisper.feature_extractor import FeatureExtractor

    mel = FeatureExtractor()(thirty_seconds, padding=0)[None].astype(np.float32)
    whisper = ctranslate2.models.Whisper(str(whisper_model_bin().parent), device="cpu",
                                         compute_type="float32")
    reference = np.array(whisper.encode(ctranslate2.StorageView.from_array(mel)))
    with torch.no_grad():
        ours = WhisperEncoder.from_ct2(whisper_model_bin())(torch.from_numpy(mel))[-1].numpy()
    assert ours.shape == reference.shape == (1, 1500, 384)
    assert np.abs(ours - reference).max() < 1e-3


def test_valid_steps_ignore_trailing_zero_padding() -> None:
    audio = torch.zeros(3, WINDOW_SAMPLES)
    audio[0, :16000] = 0.1  # 1 s -> 50 encoder steps
    audio[1] = 0.1
    assert valid_steps(audio).tolist() == [50.0, 200.0, 1.0]


def test_built_onnx_matches_torch_on_real_windows() -> None:
    path = DEFAULT_MODEL_REPOSITORY / "audio_emotion" / "1" / "model.onnx"
    windows = np.zeros((3, WINDOW_SAMPLES), np.float32)
    for row, audio in enumerate([clip(ANGRY_CLIP), clip(SAD_CLIP), synth_music(4.0)]):
        windows[row, : min(WINDOW_SAMPLES, audio.shape[0])] = audio[:WINDOW_SAMPLES]
    served = ort.InferenceSession(str(path)).run(["probs"], {"audio": windows})[0]
    with torch.no_grad():
        reference = load_net()(torch.from_numpy(windows)).numpy()
    assert served.shape == (3, 7)
    assert np.allclose(served.sum(axis=1), 1.0, atol=1e-5)
    assert np.abs(served - reference).max() < 1e-4

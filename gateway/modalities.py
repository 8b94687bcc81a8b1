"""Per-shot modality results: what is sent to each service and how its answer is shaped.

- Face: the shot's sampled frames go to the face service in batches; per frame the
  *primary* (largest) face counts, and the frames are aggregated with the configured
  rule (emocore.aggregation: mean by default, or max_pooling / max_count). No face
  in any frame gives ``label``/``scores`` null and ``frames_with_face`` 0.
- Audio: the shot's 16 kHz mono audio as a WAV file; ``speech: false`` answers keep
  ``label``/``scores`` null. No audio track or a shot shorter than the minimum is
  ``speech: false`` with a ``reason`` (not sent).
- Text: each whole line is classified once (batched across shots), with the lines
  before it as context when given (``gateway.linecontext``); a shot's scores
  are the mean of its lines' scores weighted by their word counts times the share of
  each line's time in the shot (``gateway.assign``). No line gives ``label``/``scores``
  null.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Sequence
from typing import Any

import numpy as np

from emocore.aggregation import Rule, aggregate
from emocore.labels import scores_dict, scores_vector, top_label
from gateway.assign import Line, texts
from gateway.clients import ServiceClients

AUDIO_RATE = 16000


def wav_bytes(audio: np.ndarray, rate: int = AUDIO_RATE) -> bytes:
    """Float samples in [-1, 1] -> a 16-bit PCM mono WAV file."""
    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())
    return buffer.getvalue()


def primary_scores(faces: list[dict[str, Any]]) -> dict[str, float] | None:
    """Scores of the frame's primary face (the first face if none is marked), or None."""
    if not faces:
        return None
    primary = next((f for f in faces if f.get("primary")), faces[0])
    return primary["scores"]


async def face_result(
    clients: ServiceClients, jpegs: Sequence[bytes], *, batch_size: int, rule: Rule
) -> dict[str, Any]:
    per_frame: list[np.ndarray | None] = []
    for start in range(0, len(jpegs), batch_size):
        for faces in await clients.faces(jpegs[start : start + batch_size]):
            scores = primary_scores(faces)
            per_frame.append(None if scores is None else scores_vector(scores))
    return aggregate(per_frame, rule).as_dict()


def no_speech(reason: str) -> dict[str, Any]:
    return {"speech": False, "label": None, "scores": None, "reason": reason}


async def audio_result(clients: ServiceClients, audio: np.ndarray) -> dict[str, Any]:
    body = await clients.audio_emotion(wav_bytes(audio))
    speech = bool(body.get("speech"))
    result = {
        "speech": speech,
        "label": body.get("label") if speech else None,
        "scores": body.get("scores") if speech else None,
    }
    if "speech_s" in body:
        result["speech_s"] = body["speech_s"]
    return result


def text_result(source: str | None, lines: Sequence[Line], predictions: list[dict[str, Any]]) -> dict[str, Any]:
    """A shot's text result from its lines and their predictions (same order)."""
    if not lines:
        return {"source": source, "lines": [], "label": None, "scores": None}
    weights = np.array([max(1, len(line.text.split())) * line.share for line in lines], dtype=np.float64)
    vectors = np.stack([scores_vector(p["scores"]) for p in predictions])
    pooled = (weights[:, None] * vectors).sum(axis=0) / weights.sum()
    pooled = pooled / pooled.sum()
    return {"source": source, "lines": texts(lines), "label": top_label(pooled), "scores": scores_dict(pooled)}


async def predict_lines(
    clients: ServiceClients,
    lines: Sequence[str],
    *,
    batch_size: int,
    contexts: Sequence[Sequence[str]] | None = None,
) -> list[dict[str, Any]]:
    """Predictions for every line, in order, in batches of ``batch_size``; ``contexts[i]``
    (when given): the lines before ``lines[i]``, oldest first."""
    predictions: list[dict[str, Any]] = []
    for start in range(0, len(lines), batch_size):
        batch = slice(start, start + batch_size)
        predictions.extend(await clients.texts(lines[batch], None if contexts is None else contexts[batch]))
    return predictions

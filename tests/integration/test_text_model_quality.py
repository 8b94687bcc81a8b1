"""The built ``text_emotion`` model is the trained network, and it is as good as its card says.

- Export parity: the ONNX file that ``make models`` builds (adapters merged, softmax in the
  graph) gives the probabilities of the trained torch network (base encoder plus the
  committed adapter) on real MELD dev lines, alone and with their context, within 1e-4.
- Quality: the service, over HTTP with the built model, classifies every MELD dev line
  with the lines before it in its dialogue as ``contexts``, and again without; both
  weighted F1 figures stay above their floors and equal the model card's (the card is
  written from the same artifact, so they can differ only in float rounding).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import onnxruntime as ort
import pytest
import torch
from fastapi.testclient import TestClient

from emocore.labels import LABELS
from emocore.settings import DEFAULT_MODEL_REPOSITORY
from services.text.app import create_app
from services.text.settings import TextSettings
from services.text.tokenizer import TextTokenizer
from training.text.evaluation import evaluate
from training.text.meld import DEFAULT_DATA_DIR, Utterance, preceding, read_split
from training.text.network import load_trained
from training.text.train import ARTIFACT, CARD

CONTEXT_LINES = 3  # as the model was trained (the card's configuration)

pytestmark = pytest.mark.slow

PARITY_TOLERANCE = 1e-4
F1_FLOOR = 0.58  # MELD dev weighted F1 with context; the card reports the measured figure
ALONE_FLOOR = 0.577  # without context: no worse than the previous one-line model (MiniLM-L6, 0.5772)


@pytest.fixture(scope="module")
def dev() -> list[Utterance]:
    return read_split(DEFAULT_DATA_DIR / "dev.csv")


def test_onnx_export_matches_the_trained_network_on_meld_dev_lines(dev: list[Utterance]) -> None:
    tokenizer = TextTokenizer(DEFAULT_MODEL_REPOSITORY / "text_emotion" / "1" / "tokenizer.json")
    net = load_trained(ARTIFACT)
    session = ort.InferenceSession(str(DEFAULT_MODEL_REPOSITORY / "text_emotion" / "1" / "model.onnx"),
                                   providers=["CPUExecutionProvider"])
    texts = [u.text for u in dev[:128]]  # many lengths, padded per batch of 64 as the service does
    contexts = preceding(dev[:128], CONTEXT_LINES)
    worst = 0.0
    for start in range(0, 2 * len(texts), 64):
        rows = slice(start % len(texts), start % len(texts) + 64)
        encoded = tokenizer.encode(texts[rows], contexts[rows] if start >= len(texts) else None)
        (onnx_probs,) = session.run(["probs"], {"input_ids": encoded.input_ids,
                                                "attention_mask": encoded.attention_mask})
        with torch.no_grad():
            logits = net(torch.from_numpy(encoded.input_ids), torch.from_numpy(encoded.attention_mask))
        torch_probs = torch.softmax(logits, dim=-1).numpy()
        worst = max(worst, float(np.abs(onnx_probs - torch_probs).max()))
    assert worst <= PARITY_TOLERANCE, f"ONNX export differs from the trained network by {worst:.2e}"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(TextSettings())) as test_client:
        assert test_client.get("/health/ready").status_code == 200
        yield test_client


def dev_f1(client: TestClient, dev: list[Utterance], contexts: list[list[str]] | None) -> float:
    predicted = []
    for start in range(0, len(dev), 256):
        body: dict[str, object] = {"texts": [u.text for u in dev[start : start + 256]]}
        if contexts is not None:
            body["contexts"] = contexts[start : start + 256]
        response = client.post("/v1/predict", json=body)
        assert response.status_code == 200, response.text
        predicted += [LABELS.index(p["label"]) for p in response.json()["predictions"]]
    return evaluate([u.label for u in dev], predicted).weighted_f1


def card_figures() -> list[float]:
    """The dev weighted F1 figures of the card: with context first, then without."""
    return [float(f) for f in re.findall(r"weighted F1: ([0-9.]+)", CARD.read_text(encoding="utf-8"))]


def test_built_model_scores_meld_dev_as_its_card_says(client: TestClient, dev: list[Utterance]) -> None:
    with_context = dev_f1(client, dev, preceding(dev, CONTEXT_LINES))
    alone = dev_f1(client, dev, None)
    assert with_context >= F1_FLOOR and alone >= ALONE_FLOOR
    card = card_figures()
    assert len(card) >= 2, "the model card gives no dev weighted F1 with and without context"
    assert with_context == pytest.approx(card[0], abs=0.002)
    assert alone == pytest.approx(card[1], abs=0.002)

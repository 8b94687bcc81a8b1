"""The text service in Triton mode (real local Triton server) gives the embedded probabilities,
for lines alone and with their context."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from devtools.triton import TritonProcess
from services.text.app import create_app
from services.text.settings import TextSettings
from training.text.meld import DEFAULT_DATA_DIR, preceding, read_split

pytestmark = [pytest.mark.triton, pytest.mark.slow]

EXTRA = ["I love you so much, this is wonderful!", "Je suis tr\u00e8s en col\u00e8re.", "word " * 100]


def predict(settings: TextSettings, texts: list[str], contexts: list[list[str]] | None = None) -> list[dict]:
    with TestClient(create_app(settings)) as client:
        assert client.get("/health/ready").status_code == 200
        body: dict[str, object] = {"texts": texts} if contexts is None else {"texts": texts, "contexts": contexts}
        response = client.post("/v1/predict", json=body)
        assert response.status_code == 200, response.text
        return response.json()["predictions"]


@pytest.mark.parametrize("with_context", [False, True], ids=["alone", "with-context"])
def test_triton_backend_matches_embedded(triton_server: TritonProcess, with_context: bool) -> None:
    # 150 real subtitle lines of many lengths: several batches of different padded widths;
    # with context, each line with the 3 lines before it in its dialogue (wider rows).
    dev = read_split(DEFAULT_DATA_DIR / "dev.csv")[:150]
    texts = [u.text for u in dev] + EXTRA
    contexts = [*preceding(dev, 3), [], ["word " * 80], ["Hi.", "Bonjour."]] if with_context else None
    embedded = predict(TextSettings(), texts, contexts)
    served = predict(TextSettings(triton_url=triton_server.http_url), texts, contexts)
    assert len(served) == len(embedded) == len(texts)
    for ours, theirs in zip(embedded, served, strict=True):
        assert ours["label"] == theirs["label"]
        assert ours["truncated"] == theirs["truncated"]
        for label, p in ours["scores"].items():
            assert theirs["scores"][label] == pytest.approx(p, abs=1e-5)


def test_ready_reflects_the_triton_model(triton_server: TritonProcess) -> None:
    settings = TextSettings(triton_url=triton_server.http_url, model_name="no_such_model")
    with TestClient(create_app(settings)) as client:
        response = client.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "not_ready"

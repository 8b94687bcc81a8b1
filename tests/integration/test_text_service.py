"""The text service over HTTP with the real model: clear emotions, order, limits, bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emocore.labels import LABELS
from services.text.app import create_app
from services.text.settings import TextSettings

HAPPY = "I love you so much, this is wonderful!"
ANGRY = "Get out of my apartment right now! I am sick of your lies, you jerk!"
LINES = [
    HAPPY,
    ANGRY,
    "Okay, so the meeting is at three.",
    "Oh my God, I can't believe he's dead. I miss him so much.",
    "Wow! You got married?!",
    "Ew, that's disgusting, get it away from me!",
]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(TextSettings(max_lines=100))) as test_client:
        assert test_client.get("/health/ready").status_code == 200
        yield test_client


def predict(client: TestClient, texts: list[str]) -> list[dict]:
    response = client.post("/v1/predict", json={"texts": texts})
    assert response.status_code == 200, response.text
    return response.json()["predictions"]


def test_clear_emotions_are_recognised(client: TestClient) -> None:
    happy, angry = predict(client, [HAPPY, ANGRY])
    assert happy["label"] == "happiness"
    assert angry["label"] == "anger"
    for prediction in (happy, angry):
        assert set(prediction["scores"]) == set(LABELS)
        assert sum(prediction["scores"].values()) == pytest.approx(1.0, abs=1e-4)
        assert prediction["label"] == max(prediction["scores"], key=prediction["scores"].get)
        assert prediction["truncated"] is False


def test_a_batch_keeps_request_order_and_matches_single_lines(client: TestClient) -> None:
    texts = LINES * 4 + list(reversed(LINES))  # lines of mixed lengths, grouped internally
    batched = predict(client, texts)
    assert len(batched) == len(texts)
    alone = {text: predict(client, [text])[0] for text in LINES}
    for text, prediction in zip(texts, batched, strict=True):
        assert prediction["label"] == alone[text]["label"]
        for label, p in prediction["scores"].items():
            assert p == pytest.approx(alone[text]["scores"][label], abs=1e-5)


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_blank_line_is_422_naming_its_index(client: TestClient, blank: str) -> None:
    response = client.post("/v1/predict", json={"texts": [HAPPY, ANGRY, blank]})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "empty_text"
    assert "texts[2]" in error["message"]


def test_more_lines_than_the_limit_is_413(client: TestClient) -> None:
    response = client.post("/v1/predict", json={"texts": ["fine"] * 101})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert "limit of 100" in response.json()["error"]["message"]


def test_body_over_the_byte_limit_is_413_before_parsing(client: TestClient) -> None:
    response = client.post("/v1/predict", json={"texts": ["a" * (3 * 1024 * 1024)]})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_long_line_is_truncated_and_still_answered(client: TestClient) -> None:
    long_line = HAPPY + " " + "And then we talked about the weather for a while. " * 30
    prediction = predict(client, [long_line])[0]
    assert prediction["truncated"] is True
    assert prediction["label"] in LABELS


def test_non_english_lines_are_accepted(client: TestClient) -> None:
    predictions = predict(client, ["Je t'aime tellement, c'est merveilleux !", "\u4f60\u597d\u5417"])
    assert [p["label"] in LABELS for p in predictions] == [True, True]


def test_context_moves_a_line_the_way_the_conversation_goes(client: TestClient) -> None:
    line = "I can't believe it."
    conversations = [["Your grandmother died this morning.", "The funeral is on Friday."],
                     ["You got the job! They loved you!", "We're going to celebrate tonight!"],
                     ["You slept with my sister?", "You lied to me for a year!"], []]
    response = client.post("/v1/predict", json={"texts": [line] * 4, "contexts": conversations})
    assert response.status_code == 200, response.text
    grief, joy, betrayal, alone = [p["scores"] for p in response.json()["predictions"]]
    assert grief["sadness"] > 2 * joy["sadness"]
    assert betrayal["anger"] + betrayal["disgust"] > 2 * (joy["anger"] + joy["disgust"])
    assert alone == predict(client, [line])[0]["scores"]  # an empty context reads the line alone


def test_contexts_that_do_not_match_the_texts_are_422(client: TestClient) -> None:
    response = client.post("/v1/predict", json={"texts": [HAPPY, ANGRY], "contexts": [["Hi."]]})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "contexts_mismatch" and "contexts has 1 entries for 2 texts" in error["message"]


@pytest.mark.parametrize(
    "body", [{}, {"texts": []}, {"texts": "just a string"}, {"texts": [1, 2]}, {"lines": ["hi"]},
             {"texts": ["hi"], "contexts": "earlier"}, {"texts": ["hi"], "contexts": [[1]]},
             {"texts": ["hi"], "contexts": ["earlier line"]}]
)
def test_malformed_bodies_are_422(client: TestClient, body: dict) -> None:
    response = client.post("/v1/predict", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_metrics_count_lines_and_inference_batches(client: TestClient) -> None:
    predict(client, LINES)
    text = client.get("/metrics").text
    assert 'emo_items_processed_total{kind="lines",service="text"}' in text
    assert 'emo_inference_batch_size_count{model="text_emotion",service="text"}' in text


def test_missing_tokenizer_means_not_ready_and_503(tmp_path: Path) -> None:
    settings = TextSettings(tokenizer_path=tmp_path / "absent.json")
    with TestClient(create_app(settings)) as other:
        assert other.get("/health/ready").status_code == 503
        response = other.post("/v1/predict", json={"texts": [HAPPY]})
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "model_not_ready"
        assert "absent.json" in response.json()["error"]["message"]

"""Request and response models of the text service (the contract in ARCHITECTURE.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PredictRequest(BaseModel):
    texts: list[str] = Field(
        min_length=1,
        description="lines to classify (subtitle lines, transcript segments); each must contain "
        "words: empty or whitespace-only lines are rejected with 422",
        examples=[["I love you so much, this is wonderful!", "Get out of my apartment!"]],
    )
    contexts: list[list[str]] | None = Field(
        default=None,
        description="optional: per line, the lines that preceded it in the same conversation, oldest "
        "first (possibly empty); one list per line. The model reads a line with its context (the newest "
        "lines first, up to the context token limit); without contexts each line is read alone",
        examples=[[["Where were you last night?"], ["I waited for two hours.", "You said eight."]]],
    )


class Prediction(BaseModel):
    label: str = Field(description="the most probable of the seven labels")
    scores: dict[str, float] = Field(description="probability per label, summing to 1")
    truncated: bool = Field(description="true when the line was cut at the token limit")


class PredictResponse(BaseModel):
    predictions: list[Prediction] = Field(description="one prediction per line, in order")

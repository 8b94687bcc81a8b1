"""Fusion service settings (env prefix ``EMO_FUSION_``, e.g. ``EMO_FUSION_WEIGHT_TEXT``).

Weights: the reference thesis found text 0.7 / face 0.3 best for two modalities. We
keep that ratio and give audio 0.2, so text 0.56, face 0.24, audio 0.20: with audio
missing, renormalisation gives back exactly 0.7 / 0.3. Temperatures are 1 (scores
used as the models give them) until a fit on annotated shots says otherwise.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from emocore.settings import ServiceSettings


class FusionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EMO_FUSION_", extra="ignore")

    weight_face: float = 0.24
    weight_text: float = 0.56
    weight_audio: float = 0.20
    temperature_face: float = 1.0
    temperature_text: float = 1.0
    temperature_audio: float = 1.0
    # needs_review: two modalities with different top labels, each at least this sure ...
    review_confidence: float = 0.5
    # ... or any two modalities' Jensen-Shannon divergence (base 2, in [0, 1]) above this.
    review_divergence: float = 0.5
    # A model saved by `python -m training.fusion.train` (.joblib; metadata .json beside it).
    learned_model: Path | None = None
    max_shots: int = 5000  # shots per request

    def weights(self) -> dict[str, float]:
        return {"face": self.weight_face, "text": self.weight_text, "audio": self.weight_audio}

    def temperatures(self) -> dict[str, float]:
        return {
            "face": self.temperature_face,
            "text": self.temperature_text,
            "audio": self.temperature_audio,
        }

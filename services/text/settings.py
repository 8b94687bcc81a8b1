"""Text service settings (env prefix ``EMO_TEXT_``, which applies to the shared fields too)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from emocore.settings import ServiceSettings
from services.text.tokenizer import DEFAULT_MAX_CONTEXT_TOKENS, DEFAULT_MAX_TOKENS


class TextSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EMO_TEXT_", extra="ignore")

    model_name: str = "text_emotion"
    # The tokenizer must be the one the model was trained with; ``make models`` puts it
    # beside the ONNX file. Set it explicitly when the service runs without the repository
    # (Triton mode in a cluster).
    tokenizer_path: Path | None = None
    max_tokens: int = DEFAULT_MAX_TOKENS  # per line, <s> and </s> included; longer lines are cut
    max_context_tokens: int = DEFAULT_MAX_CONTEXT_TOKENS  # word pieces of a line's context read (trained at 64)
    max_lines: int = 512  # lines per request; above: 413
    batch_size: int = 64  # lines per inference call (<= the model's max_batch_size)
    max_request_bytes: int = 2 * 1024 * 1024

    def resolved_tokenizer_path(self) -> Path:
        if self.tokenizer_path is not None:
            return self.tokenizer_path
        return self.model_repository / self.model_name / "1" / "tokenizer.json"

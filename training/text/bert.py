"""A compact BERT encoder in torch, laid out so the base checkpoint loads by name.

all-MiniLM-L6-v2 is a plain post-LayerNorm BERT (6 layers, 384 wide, 12 heads,
exact GELU). Writing the ~80 lines here instead of depending on ``transformers``
keeps training able to run the frozen bottom layers once and cache their output,
and gives a small, predictable ONNX graph. Parameter names follow the
checkpoint's (``encoder.layer.0.attention.self.query.weight`` ...).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Self

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn


class _Residual(nn.Module):
    """dense -> dropout -> LayerNorm(x + residual) (BERT's ``*.output`` blocks)."""

    def __init__(self, inner: int, width: int, eps: float, dropout: float) -> None:
        super().__init__()
        self.dense = nn.Linear(inner, width)
        self.LayerNorm = nn.LayerNorm(width, eps=eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


def attend(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, bias: torch.Tensor, heads: int,
           dropout: float) -> torch.Tensor:
    """Multi-head scaled dot-product attention of projected [N, L, W] tensors with an additive
    bias (cast to the query's dtype: bf16 under autocast) -> [N, L, W]."""
    n, length, width = query.shape

    def split(t: torch.Tensor) -> torch.Tensor:
        return t.view(n, length, heads, width // heads).transpose(1, 2)

    context = F.scaled_dot_product_attention(
        split(query), split(key), split(value), attn_mask=bias.to(query.dtype), dropout_p=dropout
    )
    return context.transpose(1, 2).reshape(n, length, width)


class _SelfAttention(nn.Module):
    def __init__(self, width: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(width, width)
        self.key = nn.Linear(width, width)
        self.value = nn.Linear(width, width)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        dropout = self.dropout if self.training else 0.0
        return attend(self.query(x), self.key(x), self.value(x), bias, self.heads, dropout)


class _Attention(nn.Module):
    def __init__(self, width: int, heads: int, eps: float, dropout: float) -> None:
        super().__init__()
        self.self = _SelfAttention(width, heads, dropout)
        self.output = _Residual(width, width, eps, dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return self.output(self.self(x, bias), x)


class _Intermediate(nn.Module):
    def __init__(self, width: int, inner: int) -> None:
        super().__init__()
        self.dense = nn.Linear(width, inner)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.dense(x))


class TransformerLayer(nn.Module):
    """attention -> feed-forward with its residual LayerNorm (the attention block brings its own)."""

    def __init__(self, attention: nn.Module, width: int, inner: int, eps: float, dropout: float) -> None:
        super().__init__()
        self.attention = attention
        self.intermediate = _Intermediate(width, inner)
        self.output = _Residual(inner, width, eps, dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        attended = self.attention(x, bias)
        return self.output(self.intermediate(attended), attended)


class _Embeddings(nn.Module):
    def __init__(self, vocab: int, positions: int, types: int, width: int, eps: float, dropout: float) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, width)
        self.position_embeddings = nn.Embedding(positions, width)
        self.token_type_embeddings = nn.Embedding(types, width)
        self.LayerNorm = nn.LayerNorm(width, eps=eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        summed = (
            self.word_embeddings(input_ids)
            + self.position_embeddings(positions)[None]
            + self.token_type_embeddings.weight[0]
        )
        return self.dropout(self.LayerNorm(summed))


class Layers(nn.Module):
    """The transformer layers, under the checkpoint's name ``encoder.layer``."""

    def __init__(self, layers: list[nn.Module]) -> None:
        super().__init__()
        self.layer = nn.ModuleList(layers)


class CheckpointConfig:
    """Reads the fields a dataclass names from a Hugging Face ``config.json``."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls(**{f.name: data[f.name] for f in fields(cls)})  # type: ignore[arg-type]


@dataclass(frozen=True)
class BertConfig(CheckpointConfig):
    """The fields of a Hugging Face BERT ``config.json`` this encoder uses."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float
    hidden_dropout_prob: float


class Encoder(nn.Module):
    """What every encoder here shares: embeddings -> N layers (``encoder.layer``), the
    attention bias of a mask, ``run_layers`` to run a slice, loading a checkpoint by name."""

    config_type: type[CheckpointConfig]
    embeddings: nn.Module
    encoder: Layers
    width: int

    def attention_bias(self, attention_mask: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def run_layers(self, hidden: torch.Tensor, bias: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        for layer in self.encoder.layer[start:stop]:
            hidden = layer(hidden, bias)
        return hidden

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        bias = self.attention_bias(attention_mask)
        return self.run_layers(self.embeddings(input_ids), bias, 0, len(self.encoder.layer))

    @classmethod
    def from_directory(cls, directory: Path) -> Self:
        """Build from a checkpoint directory (``config.json`` + ``model.safetensors``)."""
        model = cls(cls.config_type.from_dict(json.loads((directory / "config.json").read_text())))
        state = load_file(str(directory / "model.safetensors"))
        state = {k: v for k, v in state.items() if not k.startswith("pooler.") and k != "embeddings.position_ids"}
        model.load_state_dict(state, strict=True)
        return model


class Bert(Encoder):
    """BERT: token embeddings -> N post-LayerNorm transformer layers."""

    config_type = BertConfig

    def __init__(self, c: BertConfig) -> None:
        super().__init__()
        width, eps, drop = c.hidden_size, c.layer_norm_eps, c.hidden_dropout_prob
        self.width = width
        self.embeddings = _Embeddings(
            c.vocab_size, c.max_position_embeddings, c.type_vocab_size, width, eps, drop
        )
        self.encoder = Layers([
            TransformerLayer(_Attention(width, c.num_attention_heads, eps, drop), width, c.intermediate_size, eps, drop)
            for _ in range(c.num_hidden_layers)
        ])

    def attention_bias(self, attention_mask: torch.Tensor) -> torch.Tensor:
        """[N, L] 1/0 mask -> additive [N, 1, 1, L] bias (0 for tokens, very negative for padding)."""
        return (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min

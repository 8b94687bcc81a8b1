"""A compact MPNet encoder in torch, laid out so the all-mpnet-base-v2 checkpoint loads by name.

MPNet (Song et al., 2020) is a post-LayerNorm transformer like BERT with two
differences that matter here: no token-type embeddings, positions counted from 2
(RoBERTa style: 0 and 1 are taken by ``<s>`` and ``<pad>``), and a learned
relative-position bias (32 buckets, shared by all layers) added to every
attention score. Same interface as ``training.text.bert.Bert`` (``embeddings``,
``encoder.layer``, ``attention_bias``, ``run_layers``), so the text network takes
either. Parameter names follow the checkpoint's
(``encoder.layer.0.attention.attn.q.weight`` ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from training.text.bert import CheckpointConfig, Encoder, Layers, TransformerLayer, attend

FIRST_POSITION = 2  # position ids 0 and 1 belong to <s> and <pad> in MPNet's table
MAX_DISTANCE = 128  # relative distances beyond this share the last bucket


class _SelfAttention(nn.Module):
    def __init__(self, width: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(width, width)
        self.k = nn.Linear(width, width)
        self.v = nn.Linear(width, width)
        self.o = nn.Linear(width, width)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        dropout = self.dropout if self.training else 0.0
        return self.o(attend(self.q(x), self.k(x), self.v(x), bias, self.heads, dropout))


class _Attention(nn.Module):
    def __init__(self, width: int, heads: int, eps: float, dropout: float) -> None:
        super().__init__()
        self.attn = _SelfAttention(width, heads, dropout)
        self.LayerNorm = nn.LayerNorm(width, eps=eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.attn(x, bias)) + x)


class _Embeddings(nn.Module):
    def __init__(self, vocab: int, positions: int, width: int, eps: float, dropout: float) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, width)
        self.position_embeddings = nn.Embedding(positions, width)
        self.LayerNorm = nn.LayerNorm(width, eps=eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        # Right padding: real tokens sit at 0..len-1 and get ids 2..len+1, as in the
        # checkpoint's training; padded positions are masked out of attention and pooling.
        positions = torch.arange(input_ids.shape[1], device=input_ids.device) + FIRST_POSITION
        summed = self.word_embeddings(input_ids) + self.position_embeddings(positions)[None]
        return self.dropout(self.LayerNorm(summed))


class _Encoder(Layers):
    """The layers and the relative-position bias they share (``encoder.*`` in the checkpoint)."""

    def __init__(self, layers: list[nn.Module], buckets: int, heads: int) -> None:
        super().__init__(layers)
        self.relative_attention_bias = nn.Embedding(buckets, heads)


def relative_buckets(length: int, buckets: int, device: torch.device) -> torch.Tensor:
    """[L, L] bucket of each key position relative to each query position (T5/MPNet scheme):
    half the buckets per direction, exact up to a quarter of them, logarithmic up to
    ``MAX_DISTANCE``."""
    position = torch.arange(length, device=device)
    n = position[:, None] - position[None, :]  # query - key
    half = buckets // 2
    ahead = (n < 0).to(torch.int64) * half
    n = n.abs()
    exact = half // 2
    scaled = torch.log(n.float().clamp(min=1.0) / exact) / math.log(MAX_DISTANCE / exact) * (half - exact)
    far = torch.clamp(exact + scaled.to(torch.int64), max=half - 1)
    return ahead + torch.where(n < exact, n, far)


@dataclass(frozen=True)
class MPNetConfig(CheckpointConfig):
    """The fields of a Hugging Face MPNet ``config.json`` this encoder uses."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    layer_norm_eps: float
    hidden_dropout_prob: float
    relative_attention_num_buckets: int


class MPNet(Encoder):
    """MPNet: token embeddings -> N transformer layers with a shared relative-position bias."""

    config_type = MPNetConfig
    encoder: _Encoder

    def __init__(self, c: MPNetConfig) -> None:
        super().__init__()
        width, eps, drop = c.hidden_size, c.layer_norm_eps, c.hidden_dropout_prob
        self.width = width
        self.buckets = c.relative_attention_num_buckets
        self.embeddings = _Embeddings(c.vocab_size, c.max_position_embeddings, width, eps, drop)
        self.encoder = _Encoder(
            [TransformerLayer(_Attention(width, c.num_attention_heads, eps, drop), width, c.intermediate_size, eps, drop)
             for _ in range(c.num_hidden_layers)],
            self.buckets, c.num_attention_heads,
        )

    def attention_bias(self, attention_mask: torch.Tensor) -> torch.Tensor:
        """[N, L] 1/0 mask -> additive [N, heads, L, L] bias: relative positions, and very
        negative for padded keys."""
        buckets = relative_buckets(attention_mask.shape[1], self.buckets, attention_mask.device)
        position = self.encoder.relative_attention_bias(buckets).permute(2, 0, 1)[None]
        padding = (1.0 - attention_mask[:, None, None, :].to(position.dtype)) * torch.finfo(position.dtype).min
        return position + padding

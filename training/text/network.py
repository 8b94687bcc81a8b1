"""The text emotion network for training and export (torch; never imported by the service).

A pretrained encoder (``training.text.bases``: all-MiniLM-L6-v2 or
all-mpnet-base-v2) with its embeddings and bottom layers frozen, LoRA adapters on
every projection of its top ``trained_layers`` layers (their LayerNorms trainable
too), mean pooling over real tokens and a small MLP head over the seven project
labels. Only adapters, LayerNorms and head are saved (``adapter.safetensors``,
with the configuration in its metadata); the base weights always come from the
base's registry packages.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from emocore.labels import NUM_LABELS
from training.text.bases import BASES
from training.text.bert import Bert
from training.text.mpnet import MPNet


@dataclass(frozen=True)
class NetConfig:
    base: str = "minilm"  # a key of training.text.bases.BASES
    trained_layers: int = 2  # top encoder layers that get adapters; the rest stay frozen
    rank: int = 8
    alpha: float = 16.0
    hidden: int = 256
    dropout: float = 0.1

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> NetConfig:
        return cls(**json.loads(text))


class LoRALinear(nn.Module):
    """``base(x) + scale * x A^T B^T`` with the base frozen; ``merged()`` folds it back."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float) -> None:
        super().__init__()
        self.base = base
        self.scale = alpha / rank
        self.lora_a = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_a.T @ self.lora_b.T) * self.scale

    def merged(self) -> nn.Linear:
        linear = nn.Linear(self.base.in_features, self.base.out_features)
        with torch.no_grad():
            linear.weight.copy_(self.base.weight + self.scale * self.lora_b @ self.lora_a)
            linear.bias.copy_(self.base.bias)
        return linear


def _replace(root: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(root.get_submodule(parent), child, module)


class TextEmotionNet(nn.Module):
    """input_ids, attention_mask [N, L] -> logits [N, 7]."""

    def __init__(self, config: NetConfig, base_dir: Path | None = None) -> None:
        super().__init__()
        self.config = config
        self.encoder: Bert | MPNet = BASES[config.base].load(base_dir)
        self.encoder.requires_grad_(False)
        layers = len(self.encoder.encoder.layer)
        self.first_trained = layers - config.trained_layers
        for index in range(self.first_trained, layers):
            layer = self.encoder.encoder.layer[index]
            for name, module in list(layer.named_modules()):
                if isinstance(module, nn.Linear):
                    _replace(layer, name, LoRALinear(module, config.rank, config.alpha))
                elif isinstance(module, nn.LayerNorm):
                    module.requires_grad_(True)
        self.head = nn.Sequential(
            nn.Dropout(config.dropout),
            nn.Linear(self.encoder.width, config.hidden),
            nn.GELU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden, NUM_LABELS),
        )

    def freeze_dropout(self) -> None:
        """Embeddings and frozen layers in eval mode (no dropout), as when their output was cached."""
        self.encoder.embeddings.eval()
        for layer in self.encoder.encoder.layer[: self.first_trained]:
            layer.eval()

    @torch.no_grad()
    def frozen_features(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Output of the frozen bottom layers (deterministic: call in eval mode)."""
        bias = self.encoder.attention_bias(attention_mask)
        return self.encoder.run_layers(self.encoder.embeddings(input_ids), bias, 0, self.first_trained)

    def classify(self, features: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Trained top layers, mean pooling and head on frozen features -> logits."""
        bias = self.encoder.attention_bias(attention_mask)
        hidden = self.encoder.run_layers(features, bias, self.first_trained, len(self.encoder.encoder.layer))
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.head(pooled)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        bias = self.encoder.attention_bias(attention_mask)
        features = self.encoder.run_layers(self.encoder.embeddings(input_ids), bias, 0, self.first_trained)
        return self.classify(features, attention_mask)

    def trained_state(self) -> dict[str, torch.Tensor]:
        """The tensors training changes (adapters, LayerNorms, head), contiguous copies."""
        return {n: p.detach().clone().contiguous() for n, p in self.named_parameters() if p.requires_grad}

    def save_adapter(self, path: Path, dtype: torch.dtype = torch.float32) -> None:
        """Write the trained tensors (stored as ``dtype``; ``load_trained`` reads them back as float32)."""
        state = {name: tensor.to(dtype) for name, tensor in self.trained_state().items()}
        save_file(state, str(path), metadata={"config": self.config.to_json()})

    def merge_lora(self) -> None:
        """Fold every adapter into its base projection (for export)."""
        for name, module in list(self.encoder.named_modules()):
            if isinstance(module, LoRALinear):
                _replace(self.encoder, name, module.merged())


def load_trained(path: Path) -> TextEmotionNet:
    """Base encoder from its packages plus the trained tensors of ``adapter.safetensors``."""
    with safe_open(str(path), framework="pt") as handle:
        config = NetConfig.from_json((handle.metadata() or {})["config"])
    net = TextEmotionNet(config)
    state = load_file(str(path))
    expected = set(net.trained_state())
    if set(state) != expected:
        raise ValueError(f"{path} does not match the network: differing tensors {sorted(set(state) ^ expected)[:5]}")
    net.load_state_dict(state, strict=False)
    return net.eval()

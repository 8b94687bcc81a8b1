"""``python -m training.text.train``: fit the text emotion adapter on MELD train, select on
held-out train dialogues, score dev once.

Reproduces ``models/artifacts/text_emotion/adapter.safetensors`` from the shared
MELD CSVs with a fixed seed. MELD train is split by dialogue (``--held-out``, 10%
of the dialogues, chosen with the seed): the model is fitted on the rest and the
epoch with the best weighted F1 on the held-out dialogues is kept. Dev takes no
part in any choice: it is scored once, at the end, and that score goes into the
model card between its ``metrics`` markers (with the score on the dev lines that
train does not repeat word for word). ``--select-only`` stops before dev, to
compare settings. With ``--context-lines`` each utterance is read with the lines
before it in its dialogue (a ``--no-context`` share of them alone, drawn per epoch);
held-out and dev are scored with context and alone. Each batch runs the frozen
bottom layers without gradients (eval mode, no dropout) and trains the adapters of
the top layers and the head with class-weighted cross-entropy; ``--device cuda``
trains in bf16 autocast (``--base-dir``: a ``training.text.bundle`` copy of the base).
``--adapter`` scores an adapter trained elsewhere (or a ``training.text.soup``)
instead of training. Deterministic on the CPU for a given torch build and thread
count (``--threads``, default 2); on a GPU within float noise.
"""

from __future__ import annotations

import os

# Before torch loads OpenMP: idle OpenMP threads sleep instead of spinning. On a machine
# whose cores are shared, spinning threads made each training step ~50x slower.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import json
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
from services.text.tokenizer import (
    DEFAULT_MAX_TOKENS,
    Encoded,
    TextTokenizer,
)
from training.text.bases import BASES
from training.text.evaluation import Evaluation, evaluate, to_markdown
from training.text.meld import (
    DEFAULT_DATA_DIR,
    Utterance,
    preceding,
    read_split,
    seen_in,
    split_by_dialogue,
)
from training.text.network import NetConfig, TextEmotionNet, load_trained

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
    context_lines: int = 0  # lines before each utterance in its dialogue given as context
    max_context_tokens: int = 64  # pieces of context per line in training (the service reads 32 by default)
    no_context: float = 0.25  # share of training examples shown without context, drawn per epoch
    held_out: float = 0.1  # fraction of train dialogues kept out of fitting, for selection


@dataclass
class Rows:
    """Token ids of a set of utterances, alone and with their context, and their labels."""

    alone: list[list[int]]
    with_context: list[list[int]]
    labels: np.ndarray

    @classmethod
    def of(cls, utterances: list[Utterance], tokenizer: TextTokenizer, context_lines: int) -> Rows:
        texts = [u.text for u in utterances]
        return cls(
            _rows(tokenizer.encode(texts)),
            _rows(tokenizer.encode(texts, preceding(utterances, context_lines))),
            np.array([u.label for u in utterances]),
        )


def _rows(encoded: Encoded) -> list[list[int]]:
    return [ids[: int(n)].tolist() for ids, n in zip(encoded.input_ids, encoded.lengths, strict=True)]


def collate(rows: Sequence[list[int]], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded (input_ids, attention_mask) [B, L] on ``device``."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.int64)
    mask = torch.zeros((len(rows), width), dtype=torch.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return ids.to(device), mask.to(device)


def length_batches(lengths: list[int], batch_size: int, generator: torch.Generator) -> list[list[int]]:
    """Shuffled batches of similar length (less padding), in shuffled order."""
    perm = torch.randperm(len(lengths), generator=generator).tolist()
    pool = batch_size * 50
    batches = []
    for start in range(0, len(perm), pool):
        block = sorted(perm[start : start + pool], key=lambda i: lengths[i])
        batches += [block[j : j + batch_size] for j in range(0, len(block), batch_size)]
    return [batches[k] for k in torch.randperm(len(batches), generator=generator).tolist()]


def logits_of(net: TextEmotionNet, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Frozen layers without gradients, trained layers and head with them (bf16 on a GPU)."""
    with torch.autocast(ids.device.type, dtype=torch.bfloat16, enabled=ids.device.type == "cuda"):
        with torch.no_grad():
            features = net.frozen_features(ids, mask)
        return net.classify(features, mask).float()


@torch.no_grad()
def predict(net: TextEmotionNet, rows: list[list[int]], pad_id: int) -> np.ndarray:
    """Probabilities [N, 7], in eval mode, batches sorted by length."""
    net.eval()
    device = next(net.parameters()).device
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    probs = np.zeros((len(rows), NUM_LABELS), dtype=np.float32)
    for start in range(0, len(order), 128):
        chunk = order[start : start + 128]
        ids, mask = collate([rows[i] for i in chunk], pad_id, device)
        probs[chunk] = torch.softmax(logits_of(net, ids, mask), dim=-1).cpu().numpy()
    return probs


def score(net: TextEmotionNet, rows: list[list[int]], labels: np.ndarray, pad_id: int) -> Evaluation:
    """The network's evaluation on token rows (alone or with context) against their labels."""
    return evaluate(labels, predict(net, rows, pad_id).argmax(axis=1))


def class_weights(labels: np.ndarray, classes: int, power: float) -> torch.Tensor:
    counts = np.bincount(labels, minlength=classes).astype(np.float64)
    weights = (len(labels) / (classes * np.maximum(counts, 1.0))) ** power
    weights /= (weights * counts).sum() / len(labels)  # mean weight per example = 1
    return torch.tensor(weights, dtype=torch.float32)


def tokenizer_for(config: TrainConfig, base_dir: Path) -> TextTokenizer:
    return TextTokenizer(base_dir / "tokenizer.json", max_tokens=config.max_tokens,
                         max_context_tokens=config.max_context_tokens)


def seed_everything(seed: int, threads: int, device: torch.device) -> None:
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    # CUDA kernels (attention backward) have no deterministic variant: warn there, fail on CPU.
    torch.use_deterministic_algorithms(True, warn_only=device.type == "cuda")


def train(config: TrainConfig, train_set: list[Utterance], val_set: list[Utterance], threads: int,
          device: torch.device, base_dir: Path) -> tuple[TextEmotionNet, Evaluation, list[str]]:
    """Fit on ``train_set``; returns the network at its best epoch on ``val_set`` (held-out
    train dialogues, never dev; read with context when the model uses it), its evaluation
    there and a log."""
    seed_everything(config.seed, threads, device)
    generator = torch.Generator().manual_seed(config.seed)
    tokenizer = tokenizer_for(config, base_dir)
    net = TextEmotionNet(config.net, base_dir).to(device)
    train_rows = Rows.of(train_set, tokenizer, config.context_lines)
    val_rows = Rows.of(val_set, tokenizer, config.context_lines)
    uses_context = config.context_lines > 0
    loss_fn = nn.CrossEntropyLoss(
        weight=class_weights(train_rows.labels, NUM_LABELS, config.weight_power).to(device),
        label_smoothing=config.label_smoothing,
    )
    params = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    steps = config.epochs * -(-len(train_set) // config.batch_size)
    warmup = max(1, int(config.warmup * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup)))
    )
    labels = torch.from_numpy(train_rows.labels).to(device)
    log: list[str] = []
    best: tuple[float, dict[str, torch.Tensor], Evaluation] | None = None
    for epoch in range(1, config.epochs + 1):
        net.train()
        net.freeze_dropout()
        began, total = time.perf_counter(), 0.0
        alone = torch.rand(len(train_set), generator=generator) < config.no_context
        rows = [a if (alone[i] or not uses_context) else c
                for i, (a, c) in enumerate(zip(train_rows.alone, train_rows.with_context, strict=True))]
        for indices in length_batches([len(r) for r in rows], config.batch_size, generator):
            ids, mask = collate([rows[i] for i in indices], tokenizer.pad_id, device)
            loss = loss_fn(logits_of(net, ids, mask), labels[indices])
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            total += float(loss.detach()) * len(indices)
        result = score(net, val_rows.with_context, val_rows.labels, tokenizer.pad_id)
        line = f"epoch {epoch}: train loss {total / len(train_set):.4f}, held-out {result.headline()}"
        if uses_context:
            alone_result = score(net, val_rows.alone, val_rows.labels, tokenizer.pad_id)
            line += f"; without context weighted F1 {alone_result.weighted_f1:.4f}"
        log.append(f"{line} ({time.perf_counter() - began:.0f}s)")
        print(log[-1], flush=True)
        if best is None or result.weighted_f1 > best[0]:
            best = (result.weighted_f1, net.trained_state(), result)
    assert best is not None
    net.load_state_dict(best[1], strict=False)
    return net.eval(), best[2], log


def rescore(adapter: Path, config: TrainConfig, val_set: list[Utterance], base_dir: Path,
            log_from: Path | None) -> tuple[TextEmotionNet, Evaluation, list[str]]:
    """A trained adapter (e.g. from a GPU run) scored here on the held-out dialogues, with its
    training log. Its LoRA rank may differ from the training's (``training.text.soup --rank``
    re-factors adapters); everything else must match."""
    net = load_trained(adapter)
    if replace(net.config, rank=config.net.rank, alpha=config.net.alpha) != config.net:
        raise ValueError(f"{adapter} was trained as {net.config}, not {config.net}")
    tokenizer = tokenizer_for(config, base_dir)
    rows = Rows.of(val_set, tokenizer, config.context_lines)
    selection = score(net, rows.with_context, rows.labels, tokenizer.pad_id)
    log = json.loads(log_from.read_text(encoding="utf-8"))["log"] if log_from else []
    return net, selection, [*log, f"scored again on this machine: held-out {selection.headline()}"]


@dataclass(frozen=True)
class DevScore:
    """The one dev evaluation: with context and without, all lines and the lines train
    does not repeat."""

    context: Evaluation
    alone: Evaluation
    unseen: Evaluation  # with context, on the lines train does not repeat
    repeated: int  # dev lines whose text (as the model sees it) also occurs in train


def score_dev(net: TextEmotionNet, dev_set: list[Utterance], train_set: list[Utterance], config: TrainConfig,
              base_dir: Path) -> DevScore:
    """Dev scored once, with the kept network; nothing is chosen from it."""
    tokenizer = tokenizer_for(config, base_dir)
    rows = Rows.of(dev_set, tokenizer, config.context_lines)
    context = predict(net, rows.with_context, tokenizer.pad_id).argmax(axis=1)
    alone = predict(net, rows.alone, tokenizer.pad_id).argmax(axis=1)
    repeated = seen_in(dev_set, train_set)
    truth = rows.labels
    return DevScore(evaluate(truth, context), evaluate(truth, alone), evaluate(truth[~repeated], context[~repeated]),
                    int(repeated.sum()))


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
        f"({int(dev.context.support.sum()):,} utterances) took no part in any choice and was scored once, "
        f"with the kept network, each line with the {config.context_lines} lines before it in its dialogue "
        "as context:",
        "",
        to_markdown(dev.context),
        "",
        "The same network on the same dev lines **without context** (each line alone):",
        "",
        to_markdown(dev.alone),
        "",
        f"{dev.repeated} dev lines occur word for word in train (as the model sees them: normalised, "
        f"uncased; mostly short lines such as \"Okay.\" or \"What?\"). On the other {unseen:,} dev lines, "
        f"with context: {dev.unseen.headline()}.",
        "",
        f"Kept epoch on the held-out train dialogues (with context): {selection.headline()}.",
        "",
        "Training log:",
        "",
        *[f"    {line}" for line in log],
        end,
    ])
    pattern = re.escape(start) + ".*?" + re.escape(end)
    card.write_text(re.sub(pattern, lambda _: body, text, flags=re.S), encoding="utf-8")


def write_report(path: Path, config: TrainConfig, selection: Evaluation, dev: DevScore | None, log: list[str]) -> None:
    """The run's figures as JSON (for comparing configurations)."""
    figures: dict[str, object] = {"config": str(config), "held_out": selection.headline(), "log": log}
    if dev is not None:
        figures |= {"dev_context": dev.context.headline(), "dev_alone": dev.alone.headline(),
                    "dev_context_weighted_f1": dev.context.weighted_f1, "dev_alone_weighted_f1": dev.alone.weighted_f1}
    path.write_text(json.dumps(figures, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=ARTIFACT, help="adapter file to write")
    parser.add_argument("--card", type=Path, default=CARD, help="model card to update")
    parser.add_argument("--no-card", action="store_true", help="leave the model card alone")
    parser.add_argument("--report", type=Path, help="also write the run's figures to this JSON file")
    parser.add_argument("--select-only", action="store_true",
                        help="fit and score the held-out train dialogues only: no dev, no adapter written")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="torch device: cpu, or cuda (bf16 autocast)")
    parser.add_argument("--adapter", type=Path,
                        help="score this trained adapter (held-out dialogues and dev, on this machine, with the "
                        "packages' base) instead of training; give the configuration it was trained with")
    parser.add_argument("--log-from", type=Path, help="with --adapter: the --report JSON of the run that wrote it")
    parser.add_argument("--base-dir", type=Path,
                        help="read the base checkpoint from here instead of its packages (training.text.bundle)")
    defaults = TrainConfig()
    for name in ("epochs", "batch_size", "lr", "weight_power", "label_smoothing", "seed", "max_tokens",
                 "context_lines", "max_context_tokens", "no_context", "held_out"):
        default = getattr(defaults, name)
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    parser.add_argument("--base", choices=sorted(BASES), default=defaults.net.base)
    for name in ("trained_layers", "rank", "hidden"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults.net, name))
    args = parser.parse_args(argv)
    net_config = replace(defaults.net, base=args.base, trained_layers=args.trained_layers, rank=args.rank,
                         hidden=args.hidden)
    config = replace(
        defaults, net=net_config, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        weight_power=args.weight_power, label_smoothing=args.label_smoothing, seed=args.seed,
        max_tokens=args.max_tokens, context_lines=args.context_lines, max_context_tokens=args.max_context_tokens,
        no_context=args.no_context, held_out=args.held_out,
    )
    base_dir = args.base_dir or BASES[config.net.base].directory()
    device = torch.device(args.device)
    train_set = read_split(args.data_dir / "train.csv")
    fit_set, val_set = split_by_dialogue(train_set, config.held_out, config.seed)
    if args.adapter:
        net, selection, log = rescore(args.adapter, config, val_set, base_dir, args.log_from)
    else:
        net, selection, log = train(config, fit_set, val_set, args.threads, device, base_dir)
    print(f"kept epoch, held-out train dialogues: {selection.headline()}")
    if args.select_only:
        if args.report:
            write_report(args.report, config, selection, None, log)
        return 0
    dev = score_dev(net, read_split(args.data_dir / "dev.csv"), train_set, config, base_dir)
    if not args.adapter:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        net.cpu().save_adapter(args.out)
        print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    print(f"dev (scored once) with context: {dev.context.headline()}; without: {dev.alone.headline()}")
    if args.report:
        write_report(args.report, config, selection, dev, log)
    if not args.no_card:
        command = "python -m training.text.train " + " ".join(argv if argv is not None else sys.argv[1:])
        write_card(args.card, config, (len(fit_set), len(val_set)), selection, dev, log, command.strip())
        print(f"updated {args.card}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

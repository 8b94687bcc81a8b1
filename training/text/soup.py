"""``python -m training.text.soup INGREDIENT.safetensors ... --out adapter.safetensors``: a model
soup of text adapters, chosen greedily on the held-out train dialogues.

Runs of one configuration that differ only in learning rate and epochs, with the same
seed, start from the same initial adapters and head and see the same batches; their
weights can be averaged (Wortsman et al., 2022, *Model soups*). The ingredients are
given best first (by the held-out figure of their training runs); the first starts the
soup, and each next one stays in only if the averaged network scores a higher weighted
F1 on the held-out train dialogues (read with context, as the service reads them): dev
takes no part (``python -m
training.text.train --adapter`` scores the result once). The average of the adapters'
weight changes ``B_i A_i`` is put back into one LoRA pair of ``--rank`` per projection by
a truncated SVD; LayerNorms and head are averaged as they are. The soup is stored as
float16 (half the bytes; ``load_trained`` reads it back as float32) and scored again as
stored. With one ingredient it re-factors that adapter at ``--rank``: the shipped file is
the two-run soup re-factored at rank 12 (under the 5-MB limit on committed files).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import torch

from training.text.bases import BASES
from training.text.meld import DEFAULT_DATA_DIR, read_split, split_by_dialogue
from training.text.network import TextEmotionNet, load_trained
from training.text.train import Rows, TrainConfig, score, tokenizer_for


def average(states: list[dict[str, torch.Tensor]], rank: int) -> dict[str, torch.Tensor]:
    """Mean of the networks' trained tensors, adapters as the rank-``rank`` SVD of their mean
    weight change (scale alpha / rank = 1)."""
    out: dict[str, torch.Tensor] = {}
    for name in states[0]:
        if name.endswith("lora_b"):
            continue
        if name.endswith("lora_a"):
            stem = name[: -len("lora_a")]
            delta = torch.stack([s[stem + "lora_b"] @ s[stem + "lora_a"] for s in states]).mean(dim=0)
            u, sigma, vh = torch.linalg.svd(delta, full_matrices=False)
            out[stem + "lora_b"] = (u[:, :rank] * sigma[:rank]).contiguous()
            out[stem + "lora_a"] = vh[:rank].contiguous()
        else:
            out[name] = torch.stack([s[name] for s in states]).mean(dim=0)
    return out


def soup_network(ingredients: list[TextEmotionNet], rank: int) -> TextEmotionNet:
    """One network holding the average of ``ingredients`` (all of one configuration, scale 1)."""
    config = ingredients[0].config
    if any(net.config != config for net in ingredients) or config.alpha != config.rank:
        raise ValueError("soup ingredients must share one configuration with alpha == rank")
    net = TextEmotionNet(replace(config, rank=rank, alpha=float(rank)))
    net.load_state_dict(average([n.trained_state() for n in ingredients], rank), strict=False)
    return net.eval()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ingredients", type=Path, nargs="+", help="adapters trained with one configuration")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rank", type=int, default=16, help="LoRA rank of the soup's adapters")
    parser.add_argument("--context-lines", type=int, default=3)
    parser.add_argument("--max-context-tokens", type=int, default=32, help="as the service reads context")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--seed", type=int, default=13, help="the ingredients' seed: it chose the held-out dialogues")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    config = TrainConfig(context_lines=args.context_lines, max_context_tokens=args.max_context_tokens, seed=args.seed)
    nets = [load_trained(path) for path in args.ingredients]
    tokenizer = tokenizer_for(config, BASES[nets[0].config.base].directory())
    _, held = split_by_dialogue(read_split(args.data_dir / "train.csv"), config.held_out, config.seed)
    rows = Rows.of(held, tokenizer, config.context_lines)
    best = score(nets[0], rows.with_context, rows.labels, tokenizer.pad_id).weighted_f1
    chosen, names = [nets[0]], [args.ingredients[0].name]
    print(f"{names[0]}: held-out weighted F1 {best:.4f}", flush=True)
    for path, net in zip(args.ingredients[1:], nets[1:], strict=True):
        result = score(soup_network([*chosen, net], args.rank), rows.with_context, rows.labels, tokenizer.pad_id)
        kept = result.weighted_f1 > best
        print(f"+ {path.name}: held-out {result.headline()} -> {'kept' if kept else 'left out'}", flush=True)
        if kept:
            chosen.append(net)
            names.append(path.name)
            best = result.weighted_f1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    soup_network(chosen, args.rank).save_adapter(args.out, torch.float16)
    result = score(load_trained(args.out), rows.with_context, rows.labels, tokenizer.pad_id)
    print(f"soup of {names} at rank {args.rank}, stored as float16: held-out {result.headline()}")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

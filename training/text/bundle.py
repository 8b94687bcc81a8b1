"""``python -m training.text.bundle --base mpnet --out DIR``: a small copy of a base checkpoint
for training on a machine the packages cannot reach (a lent GPU machine takes 64 MiB a call).

The copy holds the base's ``config.json`` and ``tokenizer.json`` and its weights in
float16, with every word-embedding row that no MELD train or dev line uses set to
zero (those rows are frozen and never read in training; zeros compress to almost
nothing). ``python -m training.text.train --base-dir DIR`` trains on it; export and
serving always use the full float32 weights of the packages. The only difference a
bundle makes is float16 rounding of the frozen base during training (relative
error below 1e-3).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from services.text.tokenizer import TextTokenizer
from training.text.bases import BASES
from training.text.meld import DEFAULT_DATA_DIR, read_split

KEEP_BELOW = 1000  # special and single-character pieces of both vocabularies


def used_ids(tokenizer: TextTokenizer, texts: list[str]) -> set[int]:
    encoded = tokenizer.encode(texts)
    return {int(i) for i in encoded.input_ids[encoded.attention_mask.astype(bool)]}


def write_bundle(base: str, data_dir: Path, out: Path) -> None:
    source = BASES[base].directory()
    texts = [u.text for split in ("train.csv", "dev.csv") for u in read_split(data_dir / split)]
    ids = used_ids(TextTokenizer(source / "tokenizer.json", max_tokens=512), texts)
    state = load_file(str(source / "model.safetensors"))
    embeddings = state["embeddings.word_embeddings.weight"]
    keep = torch.zeros(embeddings.shape[0], dtype=torch.bool)
    keep[sorted(ids)] = True
    keep[:KEEP_BELOW] = True
    keep[-1] = True  # MPNet's <mask>
    state["embeddings.word_embeddings.weight"] = embeddings * keep[:, None]
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.half().contiguous() if v.is_floating_point() else v for k, v in state.items()},
              str(out / "model.safetensors"))
    for name in ("config.json", "tokenizer.json"):
        shutil.copyfile(source / name, out / name)
    print(f"{out}: {int(keep.sum())} of {len(keep)} embedding rows kept")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", choices=sorted(BASES), required=True)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    write_bundle(args.base, args.data_dir, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

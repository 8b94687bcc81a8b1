"""Speed of the text model alone, and of a previous build beside it, with and without context.

``.venv/bin/python -m bench.text_candidates [--other DIR]`` writes
``bench/reports/text_candidates.md``: lines per second of ``text_emotion``'s ONNX file in
ONNX Runtime on this machine's cores (2 threads), on MELD dev lines, each line alone and
with the 3 lines before it in its dialogue at several context budgets (word pieces).
Batches as the service makes them (length-sorted, 64 lines, each padded to its longest
row). ``--other`` names another build's ``text_emotion/1`` folder (``model.onnx`` and its
``tokenizer.json``, e.g. the previous model built in a checkout of the old code): both are
measured round by round, alternating, and the report gives medians. The model card's
table of candidates quotes these figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from bench._common import load_average, write_report
from emocore.settings import DEFAULT_MODEL_REPOSITORY, REPO_ROOT
from services.text.tokenizer import TextTokenizer
from training.text.meld import DEFAULT_DATA_DIR, preceding, read_split

REPORT = REPO_ROOT / "bench" / "reports" / "text_candidates.md"
BUDGETS = (0, 32, 64)  # word pieces of context; 0: each line alone


def lines_per_second(session: ort.InferenceSession, tokenizer: TextTokenizer, texts: list[str],
                     contexts: list[list[str]] | None) -> tuple[float, float]:
    """(lines/s, mean tokens per row) for one pass over ``texts``."""
    encoded = tokenizer.encode(texts, contexts)
    order = np.argsort(encoded.lengths, kind="stable")
    began = time.perf_counter()
    for start in range(0, len(order), 64):
        rows = order[start : start + 64]
        width = int(encoded.lengths[rows].max())
        session.run(["probs"], {"input_ids": encoded.input_ids[rows, :width],
                                "attention_mask": encoded.attention_mask[rows, :width]})
    return len(texts) / (time.perf_counter() - began), float(encoded.lengths.mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--other", type=Path, help="another build's text_emotion/1 folder, measured beside")
    parser.add_argument("--lines", type=int, default=256, help="MELD dev lines per pass")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    dev = read_split(DEFAULT_DATA_DIR / "dev.csv")[: args.lines]
    texts, contexts = [u.text for u in dev], preceding(dev, 3)
    folders = {"this build": DEFAULT_MODEL_REPOSITORY / "text_emotion" / "1"}
    if args.other:
        folders["other build"] = args.other
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    sessions = {name: ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
                for name, folder in folders.items()}
    load = [load_average()]
    speeds: dict[tuple[str, int], list[float]] = {}
    tokens: dict[tuple[str, int], float] = {}
    for _ in range(args.rounds):
        for name, folder in folders.items():
            for budget in BUDGETS:
                tokenizer = TextTokenizer(folder / "tokenizer.json", max_context_tokens=budget)
                speed, mean = lines_per_second(sessions[name], tokenizer, texts, contexts if budget else None)
                speeds.setdefault((name, budget), []).append(speed)
                tokens[(name, budget)] = mean
                print(f"{name}, context {budget}: {speed:.1f} lines/s", flush=True)
    load.append(load_average())
    lines = [
        "# Text model speed, alone and with context",
        "",
        f"Reproduce: `.venv/bin/python -m bench.text_candidates{' --other ' + str(args.other) if args.other else ''}`. "
        f"ONNX Runtime, 2 threads, this machine's CPU (load average {load[0]} before, {load[1]} after). "
        f"The first {len(texts)} MELD dev lines, each alone or with the 3 lines before it in its dialogue "
        f"cut at a context budget; batches of 64, length-sorted; median of {args.rounds} rounds.",
        "",
        "| build | model file | context budget (pieces) | mean tokens per row | lines/s |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for (name, budget), values in speeds.items():
        model = folders[name] / "model.onnx"
        lines.append(f"| {name} | {model.stat().st_size / 1e6:.0f} MB | {budget or 'alone'} | "
                     f"{tokens[(name, budget)]:.1f} | **{statistics.median(values):.1f}** |")
    write_report(REPORT, "\n".join(lines) + "\n", "bench.text_candidates")
    print(REPORT.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())

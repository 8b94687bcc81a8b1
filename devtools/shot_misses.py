"""Why the cascade errs on tuning videos: each false boundary and missed transition, with what decided it.

    .venv/bin/python -m devtools.shot_misses --family tune-480-camera --videos 70 --first 30

Runs the cascade (stage 1, the model on what it reads, its decision, the product's shot
length limits) with the shipped settings on a tuning family's videos and prints, for every
boundary that matches no transition and every transition no boundary matches
(``devtools.shot_matching``, as the benchmarks score), the stage-1 candidates around it,
the gradual head over them and the detector's boundaries before the shot length limits:
the listing that found run 23's two rules (docs/shots.md).
Tuning families only: reading held-out errors to choose a change makes them tuning results.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace

import numpy as np

from devtools.shot_families import FAMILIES, FamilyVideo, family_videos
from devtools.shot_matching import match
from emocore.inference import InferenceBackend
from emocore.inference.embedded import EmbeddedBackend
from emocore.settings import DEFAULT_MODEL_REPOSITORY
from gateway.shots.cascade import Candidates, CascadeDetector, CascadeParams, decide, span_values
from gateway.shots.timeline import build_shots

NEAR = 25  # frames around an error whose candidates and boundaries are listed


def sources(frame: int, found: Candidates, head: np.ndarray) -> list[str]:
    """What stage 1 put near ``frame`` (cuts within 3 frames, spans within 2); ``head``: the gradual head ([N], NaN unread)."""
    out = [f"sure cut {f}" for f in found.sure if abs(f - frame) <= 3]
    out += [f"cut candidate {int(c)}" for c in found.cuts if abs(int(c) - frame) <= 3]
    out += [
        f"sure dissolve span {s.first}-{s.last} (peak {s.peak}, score {s.score:.3f})"
        for s in found.fades
        if s.first - 2 <= frame <= s.last + 2
    ]
    for kind, listed in (("uncertain", found.gradual), ("checked sure", found.checked)):
        for s in listed:
            if s.first - 2 <= frame <= s.last + 2:
                values = span_values(head, s)
                out.append(f"{kind} span {s.first}-{s.last} (head max {values.max():.3f}, mean {values.mean():.3f})")
    out += [f"span {s.first}-{s.last} dropped by the judge" for s in found.dropped if s.first - 2 <= frame <= s.last + 2]
    out += [f"dip {first}-{last}" for _, first, last in found.flat if first - 2 <= frame <= last + 2]
    return out or ["no candidate"]


def explain(video: FamilyVideo, found: Candidates, probs: dict[str, np.ndarray], p: CascadeParams) -> list[str]:
    """Lines for each error of the cascade on ``video`` (none when every boundary matches)."""
    raw = decide(probs["single_frame"], probs["gradual"], found, p)
    predicted: list[tuple[int, str]] = [
        (s.start_frame, s.transition) for s in build_shots(raw, len(video.frames), video.fps)[1:]
    ]
    pairs = match(predicted, video.transitions)
    hit, found_truth = {i for i, _ in pairs}, {j for _, j in pairs}

    def around(frame: int) -> str:
        near = [b for b in raw if abs(b.frame - frame) < NEAR]
        truth = [f"{t.kind} {t.first}-{t.last}" for t in video.transitions if abs(t.first - frame) < NEAR]
        looks = [f"{a}-{b}" for a, b in video.negatives if a - 3 <= frame <= b + 3]
        return (
            f"    detector: {[(b.frame, b.kind, round(b.confidence, 2)) for b in near]}; truth near: {truth};"
            f" look-alikes: {looks}"
        )

    lines = []
    for i, (frame, kind) in enumerate(predicted):
        if i not in hit:
            lines += [f"{video.name}: false {kind} at {frame}: {'; '.join(sources(frame, found, probs['gradual']))}",
                      around(frame)]
    for j, t in enumerate(video.transitions):
        if j not in found_truth:
            lines += [f"{video.name}: missed {t.kind} {t.first}-{t.last} (HSV step {found.delta[t.first]:.1f}): "
                      f"{'; '.join(sources((t.first + t.last) // 2, found, probs['gradual']))}",
                      around(t.first)]
    return lines


async def run(videos: list[FamilyVideo], backend: InferenceBackend) -> list[str]:
    """Every video's error lines, the cascade (shipped settings) run as the product runs it."""
    cascade, lines = CascadeDetector(backend), []
    for video in videos:
        found, probs = await cascade.read(video.frames)
        lines += explain(video, found, probs, cascade.params)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", required=True, help="a tuning family's name")
    parser.add_argument("--videos", type=int, default=None, help="videos to compose (default: the family's own)")
    parser.add_argument("--first", type=int, default=0, help="skip the videos before this one")
    args = parser.parse_args(argv)
    family = next((f for f in FAMILIES if f.name == args.family), None)
    if family is None or family.split != "tuning":
        tuning = ", ".join(f.name for f in FAMILIES if f.split == "tuning")
        parser.error(f"--family must name a tuning family ({tuning}), not {args.family!r}")
    videos = family_videos(replace(family, videos=args.videos) if args.videos else family)[args.first :]

    async def go() -> list[str]:
        backend = EmbeddedBackend(DEFAULT_MODEL_REPOSITORY, threads=2)
        try:
            return await run(videos, backend)
        finally:
            await backend.close()

    lines = asyncio.run(go())
    print("\n".join(lines) if lines else f"no errors on {len(videos)} videos")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

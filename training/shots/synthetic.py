"""Synthetic training windows for TransNetV2, made on any torch device from clean pieces of real footage.

Pieces are joined by hard cuts, linear dissolves of 4-40 frames and fades through
black; inside a shot come the look-alikes a detector must not take for transitions:
flashes, fast motion (3x), camera moves (zoom and pan of the picture, letterbox bars
kept still) and light changes. Frames are composed at 96x54 and averaged down to
the 48x27 the network reads. This is how the network's authors trained it
(transitions made from clean ranges of real footage), and it is not the benchmark's
generator (``devtools.shot_families`` composes at the family's size, writes H.264 and
decodes it like an upload): the benchmark's families score the network on a generator
it never saw.

A batch is planned in numpy (one ``Generator``, so a seed fixes it) as two layers of
per-frame instructions (which source frame, its framing and camera, tint, gain and flash;
the second layer only inside dissolves), rendered in one pass of ``grid_sample`` on the
device and mirrored left to right in half the windows.
Labels: ``single`` marks a transition's frame (a cut: the outgoing shot's last frame,
where TransNetV2's ``single_frame`` fires; a gradual one: its middle), ``many`` every
frame of a transition (a cut: the frames on both sides), ``gradual`` frames inside a
dissolve or fade (1), away from every transition (0) or near one (-1, ignored), as the
cascade's gradual scorer is labelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

HEIGHT, WIDTH = 54, 96  # composed at twice the network's 48x27
FIELDS = ("index", "gain", "flash", "scale", "x", "y", "red", "green", "blue")  # one layer's instruction per frame


@dataclass(frozen=True)
class Mix:
    """What a window holds: shot lengths, transitions and look-alikes (shares and frame ranges)."""

    cut: float = 0.45
    dissolve: float = 0.4  # the rest are fades through black
    short_shots: float = 0.3  # share of shots of 14-40 frames (else 30-130)
    short_dissolves: float = 0.5  # share of dissolves of 4-14 frames (else 10-40)
    flash: float = 0.2
    fast: float = 0.15
    camera: float = 0.25
    light: float = 0.2


@dataclass(frozen=True)
class Footage:
    """Clean pieces of footage end to end on one device."""

    frames: torch.Tensor  # uint8 [F, 54, 96, 3]
    starts: np.ndarray  # [P] first frame of each piece in ``frames``
    lengths: np.ndarray  # [P]
    boxes: np.ndarray  # [P, 4] picture box of each piece (top, bottom, left, right; bars outside)

    @classmethod
    def load(cls, path: Path, device: torch.device) -> Footage:
        with np.load(path) as stored:
            return cls(torch.from_numpy(stored["frames"]).to(device), stored["starts"], stored["lengths"],
                       stored["boxes"])


def save_footage(path: Path, pieces: list[np.ndarray], boxes: list[tuple[int, int, int, int]]) -> None:
    """Pieces ([N, 54, 96, 3] uint8 each) and their picture boxes, for ``Footage.load``."""
    lengths = np.array([len(p) for p in pieces])
    np.savez_compressed(path, frames=np.concatenate(pieces), starts=np.concatenate([[0], np.cumsum(lengths)[:-1]]),
                        lengths=lengths, boxes=np.array(boxes, np.int64))


@dataclass
class Batch:
    frames: torch.Tensor  # uint8 [B, T, 27, 48, 3]
    single: torch.Tensor  # float [B, T]
    many: torch.Tensor  # float [B, T]
    gradual: torch.Tensor  # float [B, T]: 1, 0 or -1 (ignored)
    lookalike: torch.Tensor  # bool [B, T]: inside a look-alike and no transition


class _Layer:
    """Per-frame instructions of one shot (``FIELDS``) plus its picture box."""

    def __init__(self, footage: Footage, piece: int, start: int, count: int, step: int,
                 rng: np.random.Generator) -> None:
        """A shot framed by a random still view (75-100% of the picture) in a random tint (+-15%
        per channel): more pictures from little footage."""
        self.box = footage.boxes[piece]
        first = footage.starts[piece] + start
        self.values = {name: np.ones(count, np.float64) for name in FIELDS}
        self.values["index"] = first + step * np.arange(count)
        self.values["flash"][:] = 0.0
        top, bottom, left, right = self.box
        self.framing = float(rng.uniform(0.75, 1.0))
        self.values["scale"][:] = self.framing
        self.values["x"][:] = (right - left) * (1.0 - self.framing) * rng.random()
        self.values["y"][:] = (bottom - top) * (1.0 - self.framing) * rng.random()
        for name in ("red", "green", "blue"):
            self.values[name][:] = rng.uniform(0.85, 1.15)

    def __len__(self) -> int:
        return len(self.values["index"])

    def camera(self, at: int, count: int, zoom: float, shift: tuple[float, float]) -> None:
        """Zoom in to ``zoom`` and pan by ``shift`` over ``count`` frames from ``at``, then hold."""
        top, bottom, left, right = self.box
        progress = np.clip((np.arange(len(self)) - at + 1) / count, 0.0, 1.0)
        scale = 1.0 - (1.0 - zoom) * progress  # of the still view
        self.values["scale"] = self.framing * scale
        self.values["x"] += (right - left) * self.framing * (1.0 - scale) / 2 * (1.0 + shift[0] * progress)
        self.values["y"] += (bottom - top) * self.framing * (1.0 - scale) / 2 * (1.0 + shift[1] * progress)

    def light(self, at: int, count: int, gain: float) -> None:
        """Brightness from 1 to ``gain`` over ``count`` frames from ``at``, then held."""
        progress = np.clip((np.arange(len(self)) - at + 1) / count, 0.0, 1.0)
        self.values["gain"] *= 1.0 + (gain - 1.0) * progress

    def take(self, lo: int, hi: int) -> dict[str, np.ndarray]:
        out = {name: v[lo:hi].copy() for name, v in self.values.items()}
        out["box"] = np.tile(self.box, (hi - lo, 1))
        return out


class Windows:
    """Draws labelled windows of ``length`` frames; ``batch(size, length)``."""

    def __init__(self, footage: Footage, seed: int, mix: Mix = Mix()) -> None:
        self.footage = footage
        self.rng = np.random.default_rng(seed)
        self.mix = mix

    def _shot(self) -> tuple[_Layer, list[tuple[int, int]]]:
        """One shot from a random piece, with its look-alikes' frame ranges."""
        rng, mix, footage = self.rng, self.mix, self.footage
        short = rng.random() < mix.short_shots
        count = int(rng.integers(14, 41) if short else rng.integers(30, 131))
        piece = int(rng.integers(len(footage.lengths)))
        available = int(footage.lengths[piece])
        fast = rng.random() < mix.fast and available >= 3 * min(count, 20)
        step = 3 if fast else 1
        count = min(count, available // step)
        layer = _Layer(footage, piece, int(rng.integers(0, available - step * count + 1)), count, step, rng)
        marks = [(0, count - 1)] if fast else []
        if rng.random() < mix.flash and count >= 12:
            at, gains = int(rng.integers(4, count - 6)), [0.85, 0.5, 0.2][: int(rng.integers(1, 4))]
            layer.values["flash"][at : at + len(gains)] = gains
            marks.append((at, at + len(gains)))
        if rng.random() < mix.camera and count >= 20:
            at, frames = int(rng.integers(0, count - 12)), int(rng.integers(8, 41))
            layer.camera(at, frames, float(rng.uniform(0.55, 0.9)), (float(rng.uniform(-1, 1)),
                                                                        float(rng.uniform(-1, 1))))
            marks.append((at, min(count, at + frames) - 1))
        if rng.random() < mix.light and count >= 16:
            at, frames = int(rng.integers(0, count - 8)), int(rng.integers(6, 31))
            layer.light(at, frames, float(rng.uniform(0.35, 0.7) if rng.random() < 0.5 else rng.uniform(1.3, 1.8)))
            marks.append((at, min(count, at + frames) - 1))
        return layer, marks

    def _join(self, a: int, b: int) -> tuple[str, int, int]:
        """(kind, frames, black) between shots of ``a`` and ``b`` frames, as devtools' joins."""
        rng, mix = self.rng, self.mix
        draw = rng.random()
        room = min(a, b) // 2 - 1
        if draw < mix.cut or room < 4:
            return "cut", 0, 0
        if draw < mix.cut + mix.dissolve:
            low, high = (4, 14) if rng.random() < mix.short_dissolves else (10, 40)
            return "dissolve", min(room, int(rng.integers(low, high + 1))), 0
        return "fade", min(room, int(rng.integers(3, 16))), int(rng.integers(0, 5))

    def _sequence(self, length: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray, dict]:
        """Two layers of instructions, the second layer's weight, and the labels of one window."""
        shot, marks = self._shot()
        shots, joins, all_marks = [shot], [], [marks]
        total = len(shot)
        while total < length + 40:
            shot, marks = self._shot()
            how = self._join(len(shots[-1]), len(shot))
            shots.append(shot)
            joins.append(how)
            all_marks.append(marks)
            total += len(shot) - how[1]
        first_layer = [shots[0].take(0, len(shots[0]))]
        second = [_blank(len(shots[0]))]
        weight = [np.zeros(len(shots[0]))]
        transitions: list[tuple[str, int, int]] = []
        negatives: list[tuple[int, int]] = list(all_marks[0])
        position = len(shots[0])
        for shot, (kind, n, black), marks in zip(shots[1:], joins, all_marks[1:], strict=True):
            start = position - n  # a cut: n = 0, the new shot starts here
            middle = 0  # frames of the transition itself
            if kind == "dissolve":
                first_layer.append(_tail(first_layer, second, weight, n))
                second.append(shot.take(0, n))
                weight.append(np.arange(1, n + 1) / (n + 1))
                middle = n
            elif kind == "fade":
                out = _tail(first_layer, second, weight, n)
                out["gain"] *= 1.0 - np.arange(1, n + 1) / (n + 1)
                dark = shot.take(0, 1)
                dark = {k: np.repeat(v, black, axis=0) for k, v in dark.items()}
                dark["gain"][:] = 0.0
                into = shot.take(0, n)
                into["gain"] *= np.arange(1, n + 1) / (n + 1)
                first_layer += [out, dark, into]
                second += [_blank(n), _blank(black), _blank(n)]
                weight += [np.zeros(n), np.zeros(black), np.zeros(n)]
                middle = 2 * n + black
            transitions.append(("cut", start, start) if kind == "cut" else ("gradual", start, start + middle - 1))
            first_layer.append(shot.take(n, len(shot)))
            second.append(_blank(len(shot) - n))
            weight.append(np.zeros(len(shot) - n))
            offset = start + middle - n
            negatives += [(offset + a, offset + b) for a, b in marks]
            position = start + middle + len(shot) - n
        layer_a, layer_b = _stack(first_layer), _stack(second)
        mixed = np.concatenate(weight)
        at = int(self.rng.integers(0, len(mixed) - length + 1))
        cut = slice(at, at + length)
        labels = _labels(len(mixed), transitions, negatives)
        return ({k: v[cut] for k, v in layer_a.items()}, {k: v[cut] for k, v in layer_b.items()}, mixed[cut],
                {k: v[cut] for k, v in labels.items()})

    def batch(self, size: int, length: int) -> Batch:
        plans = [self._sequence(length) for _ in range(size)]
        device = self.footage.frames.device
        layers = [_stack([p[0] for p in plans]), _stack([p[1] for p in plans])]
        weight = torch.tensor(np.stack([p[2] for p in plans]), dtype=torch.float32, device=device).view(-1, 1, 1, 1)
        a, b = (render(self.footage, layer) for layer in layers)
        frames = (1.0 - weight) * a + weight * b
        flip = torch.from_numpy(self.rng.random(size) < 0.5).to(device).repeat_interleave(length)
        frames = torch.where(flip.view(-1, 1, 1, 1), frames.flip(3), frames)
        small = F.avg_pool2d(frames, 2).round().clamp(0, 255).to(torch.uint8)
        small = small.permute(0, 2, 3, 1).reshape(size, length, HEIGHT // 2, WIDTH // 2, 3)
        labels = {k: torch.tensor(np.stack([p[3][k] for p in plans]), device=device) for k in plans[0][3]}
        return Batch(small, labels["single"].float(), labels["many"].float(), labels["gradual"].float(),
                     labels["lookalike"])


def _blank(count: int) -> dict[str, np.ndarray]:
    out = {name: np.ones(count) for name in FIELDS}
    out["index"][:] = out["flash"][:] = out["x"][:] = out["y"][:] = 0.0
    out["box"] = np.tile([0, HEIGHT, 0, WIDTH], (count, 1))
    return out


def _tail(first: list[dict], second: list[dict], weight: list[np.ndarray], n: int) -> dict[str, np.ndarray]:
    """Remove the last ``n`` frames from the three aligned lists and return the first layer's."""
    last_a, last_b, last_w = first[-1], second[-1], weight[-1]
    keep = len(last_w) - n
    first[-1] = {k: v[:keep] for k, v in last_a.items()}
    second[-1] = {k: v[:keep] for k, v in last_b.items()}
    weight[-1] = last_w[:keep]
    return {k: v[keep:] for k, v in last_a.items()}


def _labels(count: int, transitions: list[tuple[str, int, int]], negatives: list[tuple[int, int]]) -> dict:
    single, many = np.zeros(count, np.float32), np.zeros(count, np.float32)
    gradual = np.zeros(count, np.int8)
    lookalike = np.zeros(count, bool)
    for a, b in negatives:
        lookalike[max(0, a) : b + 1] = True
    for kind, first, last in transitions:
        gradual[max(0, first - 2) : last + 3] = -1
        lookalike[max(0, first - 2) : last + 3] = False
        if kind == "cut":
            single[first - 1] = 1.0
            many[first - 1 : first + 1] = 1.0
        else:
            single[(first + last) // 2] = 1.0
            many[first : last + 1] = 1.0
    for kind, first, last in transitions:
        if kind == "gradual":
            gradual[first : last + 1] = 1
    return {"single": single, "many": many, "gradual": gradual, "lookalike": lookalike}


def _stack(layers: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([layer[k] for layer in layers]) for k in layers[0]}


def render(footage: Footage, layer: dict[str, np.ndarray]) -> torch.Tensor:
    """float [N, 3, 54, 96] (0-255) of one layer's instructions: the source frame seen through its
    camera (inside its picture box; bars stay), tinted, brightened by its flash, times its gain."""
    device = footage.frames.device
    source = footage.frames[torch.from_numpy(layer["index"].astype(np.int64)).to(device)]
    source = source.permute(0, 3, 1, 2).float()
    count = len(layer["index"])
    box = torch.from_numpy(layer["box"]).to(device, torch.float32)
    top, bottom, left, right = (box[:, i].view(-1, 1, 1) for i in range(4))
    values = {k: torch.from_numpy(layer[k]).to(device, torch.float32).view(-1, 1, 1) for k in FIELDS[1:]}
    rows = torch.arange(HEIGHT, device=device, dtype=torch.float32).view(1, -1, 1).expand(count, HEIGHT, WIDTH)
    cols = torch.arange(WIDTH, device=device, dtype=torch.float32).view(1, 1, -1).expand(count, HEIGHT, WIDTH)
    inside = (rows >= top) & (rows < bottom) & (cols >= left) & (cols < right)
    scale = values["scale"]
    src_x = (left + values["x"] + (cols - left + 0.5) * scale - 0.5).clamp(min=left, max=right - 1)
    src_y = (top + values["y"] + (rows - top + 0.5) * scale - 0.5).clamp(min=top, max=bottom - 1)
    src_x, src_y = torch.where(inside, src_x, cols), torch.where(inside, src_y, rows)
    grid = torch.stack([(src_x + 0.5) / WIDTH * 2 - 1, (src_y + 0.5) / HEIGHT * 2 - 1], dim=3)
    picture = F.grid_sample(source, grid, mode="bilinear", padding_mode="border", align_corners=False)
    tint = torch.stack([values[name] for name in ("red", "green", "blue")], dim=1)  # [N, 3, 1, 1]
    picture = (picture * tint).clamp(0, 255)
    flash = values["flash"].unsqueeze(1)
    picture = picture + (255.0 - picture) * flash
    return (picture * values["gain"].unsqueeze(1)).clamp(0, 255)

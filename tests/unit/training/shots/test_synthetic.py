"""TransNetV2's fine-tuning data: labels sit on the transitions a viewer would see, and a checkpoint applies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from models.transnetv2 import TransNetV2, apply_finetune, trained_names
from training.shots.synthetic import HEIGHT, WIDTH, Footage, Mix, Windows, save_footage
from training.shots.transnet_finetune import LoRA, save_checkpoint


def _footage(tmp_path: Path) -> Footage:
    """Eight flat-coloured pieces (each its own colour, slowly drifting) inside a pillarbox."""
    rng = np.random.default_rng(0)
    pieces = []
    for _ in range(8):
        colour = rng.integers(40, 220, 3)
        frames = np.zeros((60, HEIGHT, WIDTH, 3), np.uint8)
        drift = np.linspace(0, 10, 60).reshape(-1, 1, 1, 1)
        frames[:, :, 12:84] = np.clip(colour + drift, 0, 255).astype(np.uint8)
        pieces.append(frames)
    save_footage(tmp_path / "footage.npz", pieces, [(0, HEIGHT, 12, 84)] * 8)
    return Footage.load(tmp_path / "footage.npz", torch.device("cpu"))


def test_cut_labels_sit_on_the_change_and_gradual_frames_are_blends(tmp_path: Path) -> None:
    footage = _footage(tmp_path)
    batch = Windows(footage, seed=3, mix=Mix(flash=0, fast=0, camera=0, light=0)).batch(6, 100)
    frames = batch.frames.float().mean(dim=(2, 3))  # [B, T, 3]: mean colour per frame
    step = (frames[:, 1:] - frames[:, :-1]).abs().sum(-1)  # change from t to t+1
    cuts = (batch.single[:, :-1] == 1) & (batch.many[:, :-1] == 1) & (batch.many[:, 1:] == 1) & (
        batch.gradual[:, :-1] != 1)
    assert cuts.any()
    assert float(step[cuts].min()) > 10 * float(step[(batch.many[:, :-1] == 0) & (batch.many[:, 1:] == 0)].max())
    inside = batch.gradual == 1
    assert inside.any() and bool((batch.many[inside] == 1).all())
    # a shot's own frames never count as a transition, and the labels come from the seed alone
    again = Windows(footage, seed=3, mix=Mix(flash=0, fast=0, camera=0, light=0)).batch(6, 100)
    assert torch.equal(again.frames, batch.frames) and torch.equal(again.single, batch.single)


def test_lookalikes_are_marked_and_never_labelled_as_transitions(tmp_path: Path) -> None:
    footage = _footage(tmp_path)
    batch = Windows(footage, seed=5, mix=Mix(flash=0.9, camera=0.9, light=0.9)).batch(8, 100)
    assert batch.lookalike.any()
    assert float(batch.single[batch.lookalike].sum()) == 0 and float(batch.many[batch.lookalike].sum()) == 0
    # bars outside the picture box stay black whatever the camera and the light do (a flash lights them)
    moving = Windows(footage, seed=5, mix=Mix(flash=0, camera=0.9, light=0.9)).batch(8, 100)
    assert int(moving.frames[:, :, :, :6].max()) == 0 and int(moving.frames[:, :, :, 42:].max()) == 0


def test_a_checkpoint_with_untrained_adapters_changes_only_what_it_holds(tmp_path: Path) -> None:
    torch.manual_seed(0)
    trained = TransNetV2().eval()
    trained.fc1 = LoRA(trained.fc1, 4, seed=1)  # type: ignore[assignment]
    names = set(trained_names(trained))
    for name, parameter in trained.named_parameters():
        parameter.requires_grad_(name in names)
    with torch.no_grad():
        trained.cls_layer1.bias.fill_(0.25)
        trained.fc1.lora_b.fill_(0.01)  # type: ignore[union-attr]
    save_checkpoint(trained, tmp_path / "finetune.pt")
    plain = TransNetV2().eval()
    plain.load_state_dict({k.replace("fc1.base.", "fc1."): v for k, v in trained.state_dict().items()
                           if "lora_" not in k})
    apply_finetune(plain, tmp_path / "finetune.pt")
    frames = torch.randint(0, 256, (1, 30, 27, 48, 3), dtype=torch.uint8)
    with torch.no_grad():
        expected, actual = trained(frames)[0], plain(frames)[0]
    assert float(plain.cls_layer1.bias.detach()) == 0.25
    assert float((expected - actual).abs().max()) < 2e-3  # float16 storage of the trained tensors

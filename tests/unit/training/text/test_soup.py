"""Model soups of text adapters: the averaged weight change, re-factored at a given rank."""

from __future__ import annotations

import pytest
import torch

from training.text.soup import average


def state(seed: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {
        "encoder.layer.0.q.lora_a": torch.randn(4, 12, generator=generator),
        "encoder.layer.0.q.lora_b": torch.randn(10, 4, generator=generator),
        "head.1.weight": torch.randn(3, 12, generator=generator),
    }


def test_the_soup_holds_the_mean_weight_change_and_the_mean_head() -> None:
    states = [state(1), state(2)]
    mean_delta = (states[0]["encoder.layer.0.q.lora_b"] @ states[0]["encoder.layer.0.q.lora_a"]
                  + states[1]["encoder.layer.0.q.lora_b"] @ states[1]["encoder.layer.0.q.lora_a"]) / 2
    soup = average(states, rank=8)  # two rank-4 changes: rank 8 holds their mean exactly
    assert soup["encoder.layer.0.q.lora_a"].shape == (8, 12) and soup["encoder.layer.0.q.lora_b"].shape == (10, 8)
    assert torch.allclose(soup["encoder.layer.0.q.lora_b"] @ soup["encoder.layer.0.q.lora_a"], mean_delta, atol=1e-5)
    assert torch.allclose(soup["head.1.weight"], (states[0]["head.1.weight"] + states[1]["head.1.weight"]) / 2)


def test_a_lower_rank_keeps_the_largest_directions_of_the_change() -> None:
    states = [state(1), state(2)]
    full = average(states, rank=8)
    low = average(states, rank=4)
    delta = full["encoder.layer.0.q.lora_b"] @ full["encoder.layer.0.q.lora_a"]
    approx = low["encoder.layer.0.q.lora_b"] @ low["encoder.layer.0.q.lora_a"]
    sigma = torch.linalg.svdvals(delta)  # the best rank-4 error (Eckart-Young): the dropped singular values
    assert float(torch.linalg.matrix_norm(delta - approx) ** 2) == pytest.approx(float((sigma[4:] ** 2).sum()), rel=1e-4)

"""The training/export network: LoRA merging, padding invariance, adapter round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from training.text.mpnet import relative_buckets
from training.text.network import LoRALinear, NetConfig, TextEmotionNet, load_trained


@pytest.fixture(scope="module")
def net() -> TextEmotionNet:
    torch.manual_seed(0)
    model = TextEmotionNet(NetConfig(trained_layers=2))
    with torch.no_grad():  # non-zero adapters, as after training
        for module in model.modules():
            if isinstance(module, LoRALinear):
                module.lora_b.normal_(0, 0.02)
    return model.eval()


def test_merged_lora_layer_computes_the_same_function() -> None:
    torch.manual_seed(1)
    layer = LoRALinear(torch.nn.Linear(8, 5), rank=2, alpha=4.0)
    with torch.no_grad():
        layer.lora_b.normal_()
    x = torch.randn(3, 8)
    assert torch.allclose(layer.merged()(x), layer(x), atol=1e-5)


def test_only_adapters_layer_norms_of_top_layers_and_head_train(net: TextEmotionNet) -> None:
    names = set(net.trained_state())
    assert all(".layer.4." in n or ".layer.5." in n or n.startswith("head.") for n in names)
    assert any("lora_a" in n for n in names) and any("LayerNorm" in n for n in names)
    assert sum(v.numel() for v in net.trained_state().values()) < 1_000_000


def test_padding_does_not_change_a_line_s_logits(net: TextEmotionNet) -> None:
    ids = torch.tensor([[101, 1045, 2293, 2017, 102]])
    padded = torch.tensor([[101, 1045, 2293, 2017, 102, 0, 0, 0], [101, 2054, 1029, 102, 0, 0, 0, 0]])
    with torch.no_grad():
        alone = net(ids, torch.ones_like(ids))
        batched = net(padded, (padded != 0).long())
    assert torch.allclose(alone[0], batched[0], atol=1e-5)


def test_cached_features_path_equals_the_full_forward(net: TextEmotionNet) -> None:
    ids = torch.tensor([[101, 1045, 2293, 2017, 102], [101, 2054, 1029, 102, 0]])
    mask = (ids != 0).long()
    with torch.no_grad():
        assert torch.allclose(net.classify(net.frozen_features(ids, mask), mask), net(ids, mask), atol=1e-6)


@pytest.mark.slow
def test_adapter_round_trip_and_merge_keep_the_outputs(net: TextEmotionNet, tmp_path: Path) -> None:
    path = tmp_path / "adapter.safetensors"
    net.save_adapter(path)
    assert path.stat().st_size < 4_000_000
    ids = torch.tensor([[101, 1045, 2293, 2017, 102]])
    mask = torch.ones_like(ids)
    loaded = load_trained(path)
    with torch.no_grad():
        expected = net(ids, mask)
        assert torch.allclose(loaded(ids, mask), expected, atol=1e-6)
        loaded.merge_lora()
        assert not any(isinstance(m, LoRALinear) for m in loaded.modules())
        assert torch.allclose(loaded(ids, mask), expected, atol=1e-4)


def test_mpnet_relative_position_buckets_follow_the_t5_scheme() -> None:
    buckets = relative_buckets(200, 32, torch.device("cpu"))
    query = 150  # row: the query position; column: the key position
    assert buckets[query, query].item() == 0
    assert buckets[query, query - 1].item() == 1 and buckets[query, query + 1].item() == 17  # behind / ahead
    assert buckets[query, query - 7].item() == 7 and buckets[query, query - 8].item() == 8  # exact up to 8
    assert buckets[query, query - 127].item() == 15 and buckets[query, 0].item() == 15  # log-spaced, then capped
    assert buckets[0, 199].item() == 31


def test_mpnet_network_ignores_right_padding() -> None:
    torch.manual_seed(0)
    net = TextEmotionNet(NetConfig(base="mpnet", trained_layers=1)).eval()
    ids = torch.tensor([[0, 1049, 2298, 2021, 2]])
    padded = torch.tensor([[0, 1049, 2298, 2021, 2, 1, 1], [0, 2054, 1033, 2, 1, 1, 1]])
    with torch.no_grad():
        alone = net(ids, torch.ones_like(ids))
        batched = net(padded, (padded != 1).long())
    assert torch.allclose(alone[0], batched[0], atol=1e-5)

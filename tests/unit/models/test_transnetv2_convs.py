"""models/transnetv2.py: its (2+1)D convolutions, run as 2D ones for speed, equal the 3D layers they hold."""

from __future__ import annotations

import pytest
import torch

from models.transnetv2 import Conv3DConfigurable


@pytest.mark.parametrize("dilation", [1, 2, 4, 8])
def test_2d_form_equals_the_3d_convolutions(dilation: int) -> None:
    torch.manual_seed(dilation)
    conv = Conv3DConfigurable(5, 4, dilation).eval()
    x = torch.randn(2, 5, 20, 9, 16)  # batch, channels, time, height, width
    with torch.no_grad():
        expected = conv.layers[1](conv.layers[0](x))
        got = conv(x)
    assert got.shape == expected.shape == (2, 4, 20, 9, 16)
    assert torch.allclose(got, expected, atol=1e-5)

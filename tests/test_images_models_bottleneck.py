"""The bottleneck option of the image autoencoders (chapter 06's saturating and
normalised variants)."""

from __future__ import annotations

import pytest
import torch

from latentlib.images.config import MseGapConfig
from latentlib.images.models import ConvConfig, MLPConfig


@pytest.mark.parametrize("config_class", [MLPConfig, ConvConfig])
def test_bottlenecks_bound_the_code_as_named(config_class):
    x = torch.rand(16, 1, 28, 28)
    torch.manual_seed(0)
    sigmoid = config_class(embedding_size=4, bottleneck="sigmoid").build().encode(x)
    assert ((sigmoid > 0) & (sigmoid < 1)).all()
    unit = config_class(embedding_size=4, bottleneck="l2").build().encode(x)
    assert torch.allclose(unit.norm(dim=1), torch.ones(16), atol=1e-5)
    linear = config_class(embedding_size=4).build()
    assert not any(isinstance(m, torch.nn.Sigmoid) for m in linear.encoder.modules())


def test_an_unknown_bottleneck_names_the_parameter_and_the_choices():
    with pytest.raises(ValueError, match=r"bottleneck must be one of 'linear', 'sigmoid', 'l2'.*got 'relu'"):
        MLPConfig(bottleneck="relu")


def test_gap_config_refuses_variant_seeds_outside_the_seeds_and_unknown_hypotheses():
    with pytest.raises(ValueError, match="variant_seeds must be a subset of seeds"):
        MseGapConfig.from_profile("quick", variant_seeds=(7,))
    with pytest.raises(ValueError, match="hypotheses must be a non-empty list of"):
        MseGapConfig.from_profile("quick", hypotheses=("moon_phase",))

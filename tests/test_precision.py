"""The fit engine's precision option: fp32 (the default, unchanged) or bf16 autocast."""

from __future__ import annotations

import hashlib
import json
import os
import socket

import numpy as np
import pytest
import torch
from torch import nn

from latentlib.training.autoencoder import ReconstructionTrainer, TrainConfig
from latentlib.evaluation.evaluate import encode, reconstruct
from latentlib.training.fit import batch_indices, cache_dir, code_digest, fit_key, run_fit, set_seed, temporary_path
from latentlib.images.config import EmbeddingSizeConfig
from latentlib.images.models import MLPConfig
from latentlib.studies import config_class, names

MODEL = MLPConfig(input_shape=(1, 8, 8), hidden_sizes=(32, 16), embedding_size=4)
TRAIN = TrainConfig(epochs=6, batch_size=32, learning_rate=3e-3, seed=0)


@pytest.fixture(scope="module")
def x():
    """Images with 3 degrees of freedom in [0, 1]: something an autoencoder can learn in seconds."""
    rng = np.random.default_rng(0)
    codes, basis = rng.normal(size=(256, 3)), rng.normal(size=(3, 64))
    return (1 / (1 + np.exp(-codes @ basis))).astype(np.float32).reshape(256, 1, 8, 8)


def trainer(x):
    return ReconstructionTrainer(MODEL, TRAIN, x)


def fit(x, **kwargs):
    return run_fit(trainer(x), device="cpu", use_cache=False, progress=False, **kwargs)


def weights(result):
    return result.model.state_dict()


def test_fp32_is_the_default_and_trains_exactly_as_a_plain_loop(x):
    default, again, explicit = fit(x), fit(x), fit(x, precision="fp32")
    # the engine's own steps, by hand, with no precision machinery at all
    plain = trainer(x)
    set_seed(plain.seed)
    modules = plain.build()
    plain.start(modules, torch.device("cpu"))
    for _ in range(plain.epochs):
        plain.epoch()
    for other in (again, explicit):
        assert other.curves == default.curves
    for state in (weights(again), weights(explicit), modules["model"].state_dict()):
        assert all(torch.equal(state[k], v) for k, v in weights(default).items())
    assert default.info["precision"] == "fp32" and default.info["device"] == "cpu"


def test_fp32_keeps_the_key_it_had_before_precision_existed_and_bf16_changes_it(x):
    fits = trainer(x)
    payload = {"kind": fits.kind, **fits.payload(), "code": code_digest(("latentlib.training.fit", *fits.code))}
    before = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:20]
    assert fit_key(fits) == fit_key(fits, "fp32") == before
    assert fit_key(fits, "bf16") != before


def test_bf16_on_cpu_learns_and_ends_close_to_fp32(x):
    full, half = fit(x), fit(x, precision="bf16")
    loss = np.array(half.history)
    assert np.all(np.isfinite(loss)) and loss[-1] < 0.8 * loss[0]
    np.testing.assert_allclose(loss, full.history, rtol=0.05)  # measured: 1.2% apart at the end
    assert all(value.dtype == torch.float32 for value in weights(half).values())  # weights stay fp32
    assert half.info["precision"] == "bf16"
    # the two models reconstruct alike: far closer to each other than to the data
    gap = np.abs(reconstruct(half.model, x) - reconstruct(full.model, x)).mean()
    assert gap < 0.2 * np.abs(reconstruct(full.model, x) - x).mean()  # measured: 0.007 vs 0.146
    z = encode(half.model, x, precision="bf16")
    assert z.dtype == np.float32 and np.allclose(z, encode(half.model, x), rtol=0.05, atol=0.05)


class TextbookTrainer(ReconstructionTrainer):
    """ReconstructionTrainer's epoch with autocast around forward and loss only (the
    usual recipe), to check the engine's one autocast around the whole epoch."""

    def epoch(self):
        total = 0.0
        for idx in batch_indices(len(self.x), self.train_config.batch_size, self.generator):
            batch = self.x[idx]
            with torch.autocast("cpu", dtype=torch.bfloat16):
                reconstruction, _ = self.model(batch)
                loss = nn.functional.mse_loss(reconstruction, batch)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            total += float(loss.detach()) * len(idx)
        return {"loss": total / len(self.x)}


def test_bf16_in_the_engine_gives_the_bits_of_the_textbook_recipe(x):
    engine = fit(x, precision="bf16")
    textbook = run_fit(TextbookTrainer(MODEL, TRAIN, x), device="cpu", use_cache=False, progress=False)
    assert all(torch.equal(weights(textbook)[k], v) for k, v in weights(engine).items())


def test_a_bf16_fit_is_cached_apart_and_loads_with_its_precision(x):
    full = run_fit(trainer(x), device="cpu", progress=False)
    half = run_fit(trainer(x), device="cpu", precision="bf16", progress=False)
    assert not half.from_cache and half.key != full.key
    again = run_fit(trainer(x), device="cpu", precision="bf16", progress=False)
    assert again.from_cache and again.info["precision"] == "bf16"
    assert not [p.name for p in cache_dir().iterdir() if p.name.endswith(".tmp")]  # no temporary left


def test_a_bad_precision_is_refused_naming_the_parameter_and_the_choices(x):
    message = "precision must be one of 'fp32', 'bf16', got 'fp16x'"
    with pytest.raises(ValueError, match=message):
        fit(x, precision="fp16x")
    with pytest.raises(ValueError, match=message):
        EmbeddingSizeConfig.from_profile("quick", precision="fp16x")


@pytest.mark.parametrize("study", names())
def test_every_study_takes_precision_and_every_profile_keeps_fp32(study):
    cls = config_class(study)
    assert all(cls.from_profile(profile).precision == "fp32" for profile in ("smoke", "quick", "paper"))
    assert cls.from_profile("smoke", precision="bf16").precision == "bf16"


def test_temporary_names_never_collide(tmp_path):
    path = tmp_path / "ae-0123.pt"
    one, two = temporary_path(path), temporary_path(path)
    assert one != two and one.parent == two.parent == tmp_path
    assert path.name in one.name and socket.gethostname() in one.name and str(os.getpid()) in one.name

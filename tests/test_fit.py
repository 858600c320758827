"""The one fit engine: seeding, cache keyed by payload and code, cache I/O, threads."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from latentlib.training.fit import Trainer, cache_dir, code_digest, fit_key, run_fit, torch_threads


class LineTrainer(Trainer):
    """Least squares of y = 2x + 1 by SGD: a trainer small enough to reason about."""

    kind = "line"

    def __init__(self, *, seed: int = 0, epochs: int = 3, code: tuple[str, ...] = ()) -> None:
        self.seed, self.epochs, self.code = seed, epochs, code
        self.calls = 0

    def payload(self):
        return {"what": "line", "seed": self.seed, "epochs": self.epochs}

    def build(self):
        return {"model": nn.Linear(1, 1)}

    def start(self, modules, device):
        self.model = modules["model"]
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)
        self.x = torch.linspace(-1, 1, 32, device=device)[:, None]

    def epoch(self):
        self.calls += 1
        loss = nn.functional.mse_loss(self.model(self.x), 2 * self.x + 1)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return {"loss": float(loss.detach()), "slope": float(self.model.weight.detach())}


def test_a_fit_trains_caches_and_loads_the_same_weights():
    trainer = LineTrainer()
    first = run_fit(trainer, device="cpu", progress=False)
    assert not first.from_cache and trainer.calls == 3
    assert list(first.curves) == ["loss", "slope"] and len(first.history) == 3
    assert first.history[-1] < first.history[0]
    again_trainer = LineTrainer()
    again = run_fit(again_trainer, device="cpu", progress=False)
    assert again.from_cache and again_trainer.calls == 0
    assert again.curves == first.curves and again.key == first.key
    assert torch.equal(again.model.weight, first.model.weight)
    assert (cache_dir() / f"line-{first.key}.pt").exists()


def test_same_seed_same_numbers_other_seed_other_numbers():
    one = run_fit(LineTrainer(seed=5), device="cpu", use_cache=False, progress=False)
    two = run_fit(LineTrainer(seed=5), device="cpu", use_cache=False, progress=False)
    other = run_fit(LineTrainer(seed=6), device="cpu", use_cache=False, progress=False)
    assert one.curves == two.curves
    assert one.curves != other.curves


def test_the_key_follows_the_code_that_trains(tmp_path, monkeypatch):
    module = tmp_path / "line_model_v.py"
    module.write_text("SCALE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = fit_key(LineTrainer(code=("line_model_v",)))
    assert fit_key(LineTrainer(code=("line_model_v",))) == before
    module.write_text(textwrap.dedent("SCALE = 2  # a changed model\n"))
    sys.modules.pop("line_model_v", None)
    assert fit_key(LineTrainer(code=("line_model_v",))) != before


LOSS = '''"""A loss."""


def loss(x):
    """Squared error."""
    return x ** 2  # the plain one
'''


def test_the_code_digest_follows_code_not_docstrings_or_comments(tmp_path, monkeypatch):
    module = tmp_path / "line_loss_v.py"
    module.write_text(LOSS)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("line_loss_v", None)
    before = code_digest(("line_loss_v",))
    key = fit_key(LineTrainer(code=("line_loss_v",)))
    for old, new in [('"""Squared error."""', '"""The squared error,\n    summed over nothing."""'),
                     ("# the plain one", "# plain"), ('"""A loss."""\n', "")]:
        module.write_text(LOSS.replace(old, new))
        assert code_digest(("line_loss_v",)) == before, (old, new)
        assert fit_key(LineTrainer(code=("line_loss_v",))) == key  # the cached fits stay valid
    module.write_text(LOSS.replace("x ** 2", "x ** 3"))  # a changed function body
    assert code_digest(("line_loss_v",)) != before
    assert fit_key(LineTrainer(code=("line_loss_v",))) != key


def test_fit_store_and_store_choose_the_cache_without_touching_the_environment(tmp_path):
    import os

    from latentlib.training.fit import fit_store

    env = os.environ.get("LATENTLIB_CACHE")
    explicit = run_fit(LineTrainer(seed=11), device="cpu", progress=False, store=tmp_path / "explicit")
    assert (tmp_path / "explicit" / f"line-{explicit.key}.pt").exists()
    assert not (cache_dir() / f"line-{explicit.key}.pt").exists()
    with fit_store(tmp_path / "scoped") as store:
        assert cache_dir() == store == tmp_path / "scoped"
        assert os.environ.get("LATENTLIB_CACHE") == env
        scoped = run_fit(LineTrainer(seed=12), device="cpu", progress=False)
        assert cache_dir(tmp_path / "other") == tmp_path / "other"  # an explicit store wins
    assert (tmp_path / "scoped" / f"line-{scoped.key}.pt").exists()
    assert cache_dir() == Path(env) and os.environ.get("LATENTLIB_CACHE") == env


def test_an_unreadable_cache_entry_is_refitted_with_a_warning():
    first = run_fit(LineTrainer(epochs=2), device="cpu", progress=False)
    (cache_dir() / f"line-{first.key}.pt").write_bytes(b"truncated")
    trainer = LineTrainer(epochs=2)
    with pytest.warns(UserWarning, match="unreadable cached fit"):
        again = run_fit(trainer, device="cpu", progress=False)
    assert not again.from_cache and trainer.calls == 2
    assert again.curves == first.curves


def test_torch_threads_sets_and_restores():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with torch_threads(None):
        assert torch.get_num_threads() == before


def test_fingerprint_is_about_content():
    from latentlib.training.fit import fingerprint

    a = np.arange(6, dtype=np.float32)
    assert fingerprint(a) == fingerprint(a.copy())
    assert fingerprint(a) != fingerprint(a.reshape(2, 3))
    assert fingerprint(a) != fingerprint(a + 1)

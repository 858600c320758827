"""Stacked fits: several seeds of one shape as one batched model equal the same fits run
one by one, each is cached under its own key and loads back through run_fit, nothing in
an epoch waits on the host, and fits that cannot share a stack are refused by name."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from image_fixtures import noisy_blobs

from latentlib.images.losses import TripletConfig, TripletMarginLoss
from latentlib.images.models import ConvConfig, MLPConfig
from latentlib.images.training import TripletTrainer
from latentlib.training import device_data, stacked, stacked_triplet
from latentlib.training.autoencoder import ReconstructionTrainer, TrainConfig
from latentlib.training.fit import fit_key, run_fit
from latentlib.training.stacked import (StackError, check_stackable, group_stackable, run_stacked,
                                        stacked_enabled, train_stack)

MODEL = MLPConfig(input_shape=(1, 8, 8), hidden_sizes=(32,), embedding_size=3)
SEEDS = (0, 1, 2)
# float32 rounding of a batched product against one member's: measured 0 on every
# objective here (3e-8 for the conv stack) on the weights after 3 epochs; the bound
# leaves room for other BLAS libraries
WEIGHT_TOLERANCE = 1e-5
CURVE_TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def blobs():
    """Four noisy classes of 8 x 8 images."""
    return noisy_blobs()


def trainer(blobs, seed, *, miner=None, model=MODEL, epochs=3):
    x, labels = blobs
    train = TrainConfig(epochs=epochs, batch_size=50, seed=seed)
    if miner is None:
        return ReconstructionTrainer(model, train, x)
    return TripletTrainer(model, train, x, y_train=labels,
                          objective=TripletConfig(classes_per_batch=4, samples_per_class=8, miner=miner))


def largest_difference(a, b):
    """Largest absolute difference of two fits' weights and of their curves."""
    weights = max(float((p - q).abs().max()) for p, q in zip(a.model.state_dict().values(),
                                                                 b.model.state_dict().values()))
    curves = max(abs(u - v) for name in a.curves for u, v in zip(a.curves[name], b.curves[name]))
    return weights, curves


@pytest.mark.parametrize("miner", [None, "all", "semi_hard", "batch_hard"])
def test_a_stack_equals_the_fits_run_one_by_one(blobs, miner):
    one_by_one = [run_fit(trainer(blobs, s, miner=miner), device="cpu", use_cache=False, progress=False)
                  for s in SEEDS]
    together = train_stack([trainer(blobs, s, miner=miner) for s in SEEDS], device="cpu", progress=False)
    for a, b in zip(one_by_one, together):
        assert list(a.curves) == list(b.curves)
        weights, curves = largest_difference(a, b)
        assert weights <= WEIGHT_TOLERANCE and curves <= CURVE_TOLERANCE
        assert b.info["stacked"] == len(SEEDS)
        if miner is not None:  # the last epoch's distances, as the sequential trainer keeps them
            assert b.info["final_d_an"] == pytest.approx(a.info["final_d_an"], rel=1e-6)
    # the members are three fits, not one: their seeds gave them other weights
    first, second = (r.model.state_dict() for r in together[:2])
    assert any(not torch.equal(first[k], second[k]) for k in first)


def test_a_stack_of_conv_autoencoders_equals_the_sequential_fits(blobs):
    x, _ = blobs
    conv = ConvConfig(input_shape=(1, 8, 8), channels=(4, 8), embedding_size=3)
    one_by_one = [run_fit(trainer(blobs, s, model=conv, epochs=2), device="cpu", use_cache=False, progress=False)
                  for s in SEEDS[:2]]
    together = train_stack([trainer(blobs, s, model=conv, epochs=2) for s in SEEDS[:2]], device="cpu",
                           progress=False)
    for a, b in zip(one_by_one, together):
        weights, curves = largest_difference(a, b)
        assert weights <= WEIGHT_TOLERANCE and curves <= CURVE_TOLERANCE


@pytest.mark.parametrize("miner", ["all", "semi_hard", "batch_hard"])
def test_the_dense_triplet_loss_equals_the_sequential_loss_and_gradient(miner):
    torch.manual_seed(0)
    labels = torch.tensor([0] * 5 + [1] * 5 + [2] * 5)
    z = torch.randn(2, 15, 3, requires_grad=True)
    criterion = TripletConfig(miner=miner, margin=0.5).build()
    dense, stats = stacked_triplet.triplet_terms(stacked_triplet.pairwise_distances(z, False),
                                                 labels.expand(2, -1), margin=0.5, miner=miner)
    dense.sum().backward()
    for member in range(2):
        zm = z.detach()[member].clone().requires_grad_()
        loss = criterion(zm, labels)
        loss.backward()
        assert float(dense[member].detach()) == pytest.approx(float(loss.detach()), rel=1e-5, abs=1e-7)
        assert torch.allclose(z.grad[member], zm.grad, atol=1e-6)
        assert float(stats[member, 0]) == pytest.approx(criterion.last_stats["active"], rel=1e-6)
        assert float(stats[member, 2]) == pytest.approx(criterion.last_stats["d_an"], rel=1e-5)


def test_no_triplet_mined_gives_zero_loss_and_nan_distances():
    z = torch.randn(1, 4, 2, requires_grad=True)
    labels = torch.tensor([[0, 1, 2, 3]])  # no positive pair: no triplet
    loss, stats = stacked_triplet.triplet_terms(stacked_triplet.pairwise_distances(z, False), labels,
                                                margin=1.0, miner="all")
    loss.sum().backward()
    assert float(loss[0]) == 0.0 and float(stats[0, 0]) == 0.0 and torch.isnan(stats[0, 1:]).all()
    assert isinstance(TripletMarginLoss()(z[0], labels[0]), torch.Tensor)  # the sequential loss agrees: 0
    assert torch.equal(z.grad, torch.zeros_like(z))


def test_each_member_is_cached_under_its_own_key_and_loads_through_run_fit(blobs, tmp_path):
    trainers = [trainer(blobs, s, miner="all") for s in SEEDS]
    stacked_fits = run_stacked(trainers, device="cpu", store=tmp_path, progress=False)
    expected = sorted(f"{t.kind}-{fit_key(t)}.pt" for t in trainers)
    assert sorted(p.name for p in tmp_path.glob("*.pt")) == expected
    run_fit(trainer(blobs, 1, miner="all"), device="cpu", store=tmp_path / "one", progress=False)
    saved_stacked = torch.load(tmp_path / f"{trainers[0].kind}-{fit_key(trainers[0])}.pt", weights_only=True)
    saved_sequential = torch.load(next((tmp_path / "one").glob("*.pt")), weights_only=True)
    assert set(saved_stacked) == set(saved_sequential)  # the same file format
    assert saved_stacked["payload"] == json_like(trainers[0].payload())
    for t, fit in zip(trainers, stacked_fits):
        loaded = run_fit(trainer(blobs, t.seed, miner="all"), device="cpu", store=tmp_path, progress=False)
        assert loaded.from_cache and loaded.key == fit.key == fit_key(t)
        assert loaded.curves == fit.curves
        for name, value in fit.model.state_dict().items():
            assert torch.equal(loaded.model.state_dict()[name], value)
    again = run_stacked([trainer(blobs, s, miner="all") for s in SEEDS], device="cpu", store=tmp_path,
                        progress=False)
    assert all(fit.from_cache for fit in again)


def json_like(payload):
    import json

    return json.loads(json.dumps(payload, default=str))


SYNC_METHODS = ("item", "tolist", "numpy", "__float__", "__int__", "__bool__", "__index__", "__array__",
                "nonzero")


@pytest.mark.parametrize("miner", [None, "all"])
@pytest.mark.parametrize("draw", ["host", "device"])
def test_no_host_read_inside_an_epoch(blobs, monkeypatch, miner, draw):
    """Inside the step loop no library code reads a tensor on the host (on CUDA each such
    read waits for the device); the epoch's sums are read once, after the loop."""
    import inspect
    from pathlib import Path

    import latentlib

    library = str(Path(latentlib.__file__).parent)
    armed = {"on": False, "reads": [], "steps": 0, "epoch_reads": 0}

    def watch(name):
        original = getattr(torch.Tensor, name)

        def wrapper(self, *args, **kwargs):
            if armed["on"]:
                caller = inspect.stack()[1].filename
                if caller.startswith(library):
                    armed["reads"].append((name, caller))
            return original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, wrapper)

    for name in SYNC_METHODS:
        watch(name)
    original_cpu = torch.Tensor.cpu

    def cpu(self, *args, **kwargs):  # the epoch's one read ends the loop
        if armed["on"]:
            armed["on"] = False
            armed["epoch_reads"] += 1
        return original_cpu(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "cpu", cpu)
    objective = stacked.MseObjective if miner is None else stacked_triplet.TripletObjective
    original_batches = objective.batches

    def batches(self):  # the host draws the epoch's indices before the loop
        drawn = original_batches(self)
        armed["on"] = True
        return drawn

    monkeypatch.setattr(objective, "batches", batches)
    trainers = [trainer(blobs, s, miner=miner, epochs=2) for s in SEEDS]
    train_stack(trainers, device="cpu", draw=draw, progress=False,
                step_hook=lambda: armed.__setitem__("steps", armed["steps"] + 1))
    assert armed["steps"] > 4 and armed["epoch_reads"] == 2
    assert armed["reads"] == []


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("draw", ["host", "device"])
def test_device_syncs_do_not_grow_with_the_steps_on_cuda(blobs, draw):
    """CUDA's own sync check: a fit of 3 epochs x 5 steps syncs once per epoch (the
    sums' read) and once at the end, never per step."""
    import warnings

    trainers = [trainer(blobs, s, miner="all", epochs=1) for s in SEEDS]
    train_stack(trainers, device="cuda", draw=draw, progress=False)  # warm up: allocator, kernels
    trainers = [trainer(blobs, s, miner="all", epochs=3) for s in SEEDS]
    steps = []
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            train_stack(trainers, device="cuda", draw=draw, progress=False, step_hook=lambda: steps.append(1))
    finally:
        torch.cuda.set_sync_debug_mode(0)
    syncs = [w for w in caught if "synchroniz" in str(w.message)]
    assert len(steps) == 15 and len(syncs) <= 3 + 2


def test_device_draws_are_pk_batches_and_permutations(blobs):
    _, labels = blobs
    table = device_data.ClassTable(labels, 8, torch.device("cpu"))
    drawn = table.draw(10, 3, 8, torch.Generator().manual_seed(0))
    assert drawn.shape == (10, 24)
    for batch in drawn:
        values, counts = np.unique(labels[batch.numpy()], return_counts=True)
        assert len(values) == 3 and set(counts) == {8} and len(set(batch.tolist())) == 24
    order = device_data.permutations_on_device(50, device_data.device_generators([0, 1], torch.device("cpu")),
                                               torch.device("cpu"))
    assert all(sorted(row.tolist()) == list(range(50)) for row in order)
    assert not torch.equal(order[0], order[1])


def test_fits_of_other_shapes_or_objectives_are_refused_by_name(blobs):
    wider = MLPConfig(input_shape=(1, 8, 8), hidden_sizes=(32,), embedding_size=4)
    with pytest.raises(StackError, match=r"model\.embedding_size \(3 vs 4\)"):
        check_stackable([trainer(blobs, 0), trainer(blobs, 1, model=wider)])
    with pytest.raises(StackError, match="train.epochs"):
        check_stackable([trainer(blobs, 0), trainer(blobs, 1, epochs=5)])
    with pytest.raises(StackError, match="differ only in their seed"):
        check_stackable([trainer(blobs, 0), trainer(blobs, 1, miner="all")])
    with pytest.raises(StackError, match="distinct seeds"):
        check_stackable([trainer(blobs, 0), trainer(blobs, 0)])
    with pytest.raises(StackError, match="at least one fit"):
        train_stack([], device="cpu")
    with pytest.raises(ValueError, match="draw must be one of"):
        train_stack([trainer(blobs, 0)], device="cpu", draw="gpu")


def test_fits_are_grouped_by_shape_and_objective(blobs):
    wider = MLPConfig(input_shape=(1, 8, 8), hidden_sizes=(32,), embedding_size=4)
    trainers = [trainer(blobs, 0), trainer(blobs, 0, model=wider), trainer(blobs, 1), trainer(blobs, 0, miner="all"),
                trainer(blobs, 2), trainer(blobs, 1, model=wider)]
    assert group_stackable(trainers) == [[0, 2, 4], [1, 5], [3]]
    assert group_stackable(trainers, most=2) == [[0, 2], [4], [1, 5], [3]]


def test_stacking_is_chosen_by_device_or_environment(monkeypatch):
    monkeypatch.delenv(stacked.STACKED_ENV, raising=False)
    assert stacked_enabled("cpu") is False
    monkeypatch.setenv(stacked.STACKED_ENV, "1")
    assert stacked_enabled("cpu") is True
    monkeypatch.setenv(stacked.STACKED_ENV, "0")
    assert stacked_enabled("cpu") is False
    monkeypatch.setenv(stacked.STACKED_ENV, "maybe")
    with pytest.raises(ValueError, match="LATENTLIB_STACKED must be 1"):
        stacked_enabled("cpu")
    monkeypatch.setenv(stacked.STACK_SIZE_ENV, "0")
    with pytest.raises(ValueError, match="LATENTLIB_STACK_SIZE must be a positive int"):
        stacked.stack_size()


def test_the_read_watch_catches_the_sequential_triplet_step(blobs, monkeypatch):
    """The watch of the test above can fail: the sequential triplet trainer reads its
    loss and statistics on the host every step."""
    import inspect
    from pathlib import Path

    import latentlib

    library = str(Path(latentlib.__file__).parent)
    reads = []
    original = torch.Tensor.__float__

    def wrapper(self):
        if inspect.stack()[1].filename.startswith(library):
            reads.append(1)
        return original(self)

    monkeypatch.setattr(torch.Tensor, "__float__", wrapper)
    run_fit(trainer(blobs, 0, miner="all", epochs=1), device="cpu", use_cache=False, progress=False)
    assert len(reads) >= 8  # at least one per step (8 P x K batches)


@pytest.fixture
def mnist_smoke(tmp_path, monkeypatch):
    from latentlib.data.sources import DatasetNotFoundError
    from latentlib.images.plan import load_data
    from latentlib.studies import config_for

    monkeypatch.setenv("LATENTLIB_CACHE", str(tmp_path / "store"))
    try:
        return load_data(config_for("02_triplet_vs_mse", "smoke"))
    except DatasetNotFoundError as error:
        pytest.skip(f"MNIST is not available here: {error}")


def test_the_stacked_scheduler_fills_the_store_the_chapter_reads(mnist_smoke, tmp_path):
    """``--scheduler stacked`` on chapter 02's smoke plan: one stack per (objective,
    size), every fit under the key the chapter computes, loaded back by its own fit call."""
    from latentlib.images.plan import run_spec
    from latentlib.training.executor import execute, parse_scheduler
    from latentlib.training.plan import plan_study

    assert parse_scheduler("stacked") == ("stacked", None)
    specs = plan_study("02_triplet_vs_mse", "smoke", {"embedding_sizes": [8]})
    assert len(specs) == 4
    outcomes = execute(specs, "stacked", store=tmp_path / "store")
    assert [o.status for o in outcomes] == ["done"] * 4
    for spec in specs:
        assert spec.path(tmp_path / "store").exists()
        assert run_spec(spec)["from_cache"] is True
    assert [o.status for o in execute(specs, "stacked", store=tmp_path / "store")] == ["cached"] * 4


def test_cuda_graphs_are_off_on_a_cpu_and_a_bad_setting_is_named(monkeypatch):
    monkeypatch.setenv(stacked.GRAPHS_ENV, "1")
    assert stacked.graphs_enabled(torch.device("cpu"), "fp32") is False
    monkeypatch.setenv(stacked.GRAPHS_ENV, "yes please")
    with pytest.raises(ValueError, match="LATENTLIB_CUDA_GRAPHS must be 1"):
        stacked.graphs_enabled(torch.device("cpu"), "fp32")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("miner", [None, "all"])
def test_a_graphed_stack_equals_the_eager_stack_on_cuda(blobs, monkeypatch, miner):
    monkeypatch.setenv(stacked.GRAPHS_ENV, "0")
    eager = train_stack([trainer(blobs, s, miner=miner) for s in SEEDS], device="cuda", progress=False)
    monkeypatch.setenv(stacked.GRAPHS_ENV, "1")
    graphed = train_stack([trainer(blobs, s, miner=miner) for s in SEEDS], device="cuda", progress=False)
    for a, b in zip(eager, graphed):
        weights, curves = largest_difference(a, b)
        assert weights <= WEIGHT_TOLERANCE and curves <= CURVE_TOLERANCE

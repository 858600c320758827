"""Planned fits, the executor and sweeps: keys equal the chapters', a dask cluster gives
the same fits as this process, and faults (a failing fit, a killed worker) are survived."""

from __future__ import annotations

import dataclasses
import json
import os
import signal

import pytest
import torch

from latentlib.training.executor import execute, parse_scheduler
from latentlib.training.fit import torch_threads
from latentlib.training.plan import NotPlanned, plan_study
from latentlib.data.sources import DatasetNotFoundError
from latentlib.studies import config_for
from latentlib.training.sweep import combinations, plan_sweep, study_axes, warm

# the smoke profile of chapter 02, one size: four fits (two objectives x two seeds)
SMALL = {"embedding_sizes": [8]}


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch):
    path = tmp_path / "store"
    monkeypatch.setenv("LATENTLIB_CACHE", str(path))
    return path


@pytest.fixture(scope="module")
def mnist_smoke():
    from latentlib.images.plan import load_data

    try:
        return load_data(config_for("02_triplet_vs_mse", "smoke"))
    except DatasetNotFoundError as error:
        pytest.skip(f"MNIST is not available here: {error}")


def log_lines(report):
    return [json.loads(line) for line in report.log.read_text().splitlines()]


def bad(spec):
    """A triplet spec whose P x K batches cannot be drawn from the data: it fails on the worker."""
    return dataclasses.replace(spec, parameters={**spec.parameters, "samples_per_class": 10_000},
                               name="bad", key="0" * 20, file="ae-" + "0" * 20 + ".pt")


def test_scheduler_values_are_checked():
    assert parse_scheduler(None) == ("serial", None)
    assert parse_scheduler("local:2") == ("dask-local", 2)
    assert parse_scheduler("processes:3") == ("processes", 3)
    assert parse_scheduler("tcp://10.0.0.1:8786") == ("dask", "tcp://10.0.0.1:8786")
    for value in ("local:0", "local:x", "cluster", "local"):
        with pytest.raises(ValueError, match="--scheduler must be"):
            parse_scheduler(value)


def test_grid_combinations():
    points = combinations("02_triplet_vs_mse", {"epochs": [1, 2], "embedding_sizes": [4, [8, 16]]}, seeds=[0, 1])
    assert len(points) == 4
    assert {p["embedding_sizes"] for p in points} == {(4,), (8, 16)}
    assert all(p["seeds"] == (0, 1) for p in points)  # one chapter with both seeds
    assert [p["seeds"] for p in combinations("01_embedding_size", {}, seeds=[0, 1, 2])] == [(0, 1, 2)]
    assert [p["seeds"] for p in combinations("05_text_yelp_daae", {}, seeds=[0, 1, 2])] == [(0, 1, 2)]
    with pytest.raises(ValueError, match="did you mean 'epochs'"):
        combinations("02_triplet_vs_mse", {"epoch": [1]})


def test_unplanned_studies_say_so():
    with pytest.raises(NotPlanned, match="not planned yet"):
        plan_study("04_audio_urbansound", "smoke")
    with pytest.raises(ValueError, match="learning_rate"):
        plan_study("02_triplet_vs_mse", "smoke", {"learning_rate": -1.0})


@pytest.mark.slow
def test_planned_keys_are_the_chapters_keys(mnist_smoke):
    """After a planned sweep, the chapter's own grid loads every fit from the store."""
    from latentlib.images.study import run_embedding_sizes, run_objective_grid

    plan = plan_sweep(["02_triplet_vs_mse", "03_pca_vs_autoencoder"], profile="smoke", grid={"embedding_sizes": [8]})
    assert len(plan.specs) == 4  # 03 asks for the fits of 02
    report = warm(plan.specs, progress=False)
    assert report.counts() == {"cached": 0, "done": 4, "failed": 0}
    grid = run_objective_grid(config_for("02_triplet_vs_mse", "smoke", **SMALL), mnist_smoke, write=False,
                              progress=False)
    assert [r["run"]["fit_from_cache"] for r in grid.records] == [True] * 4
    assert {r["run"]["fit_key"] for r in grid.records} == {s.key for s in plan.specs}

    specs = plan_study("01_embedding_size", "smoke", {"embedding_sizes": [2, 8], "seeds": [0]})
    assert warm(specs, progress=False).counts()["done"] == 2
    grid = run_embedding_sizes(config_for("01_embedding_size", "smoke", embedding_sizes=[2, 8], seeds=[0]), mnist_smoke,
                               write=False, progress=False)
    assert all(r["run"]["fit_from_cache"] for r in grid.records)

    again = warm(plan.specs, progress=False)  # a re-run trains nothing
    assert again.counts() == {"cached": 4, "done": 0, "failed": 0}


@pytest.mark.slow
def test_a_failing_fit_is_recorded_and_the_others_finish(mnist_smoke):
    good = plan_study("02_triplet_vs_mse", "smoke", {"embedding_sizes": [4], "seeds": [0]})
    report = warm([bad(good[1]), *good], "processes:2", progress=False)  # local processes, without dask
    assert [o.status for o in report.outcomes] == ["failed", "done", "done"]
    assert "samples_per_class=10000" in report.outcomes[0].error
    failed = [line for line in log_lines(report) if line["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["name"] == "bad" and "samples_per_class" in failed[0]["error"]
    assert "failed: 02_triplet_vs_mse/bad" in report.table()


# --- on a dask LocalCluster of two worker processes ---

@pytest.fixture(scope="module")
def client(mnist_smoke):
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def weights(path):
    return torch.load(path, weights_only=True)["modules"]


@pytest.mark.slow
def test_a_cluster_trains_the_same_fits_as_this_process(client, store, tmp_path):
    specs = plan_study("02_triplet_vs_mse", "smoke", SMALL)
    on_cluster = warm(specs, client=client, progress=False)
    assert on_cluster.counts() == {"cached": 0, "done": 4, "failed": 0}
    assert {o.worker for o in on_cluster.outcomes} <= set(client.scheduler_info()["workers"])
    with torch_threads(1):  # the workers' one thread: the same float sums, bit for bit
        here = warm(specs, store=tmp_path / "here", progress=False)
    assert here.counts()["done"] == 4
    for spec in specs:
        cluster_fit, local_fit = weights(spec.path(store)), weights(spec.path(tmp_path / "here"))
        for name, state in local_fit.items():
            assert all(torch.equal(state[k], cluster_fit[name][k]) for k in state), spec.name

    again = warm(specs, client=client, progress=False)  # every finished fit is reused, nothing submitted
    assert again.counts() == {"cached": 4, "done": 0, "failed": 0}
    assert all(line["status"] == "cached" for line in log_lines(again))


@pytest.mark.slow
def test_a_failing_fit_on_the_cluster_is_recorded(client):
    good = plan_study("02_triplet_vs_mse", "smoke", {"embedding_sizes": [8], "seeds": [0]})
    report = warm([*good, bad(good[1])], client=client, progress=False)
    assert [o.status for o in report.outcomes] == ["done", "done", "failed"]
    assert "samples_per_class=10000" in report.outcomes[2].error
    attempts = [line for line in log_lines(report) if line["name"] == "bad" and line["status"] == "running"]
    assert len(attempts) == 3  # the first try and two retries


@pytest.mark.slow
def test_a_killed_worker_does_not_lose_the_sweep(client):
    specs = plan_study("02_triplet_vs_mse", "smoke", {"embedding_sizes": [8], "seeds": [1, 2], "epochs": 4})
    killed: dict[str, str] = {}
    attempts: dict[str, int] = {}

    def kill_first_running(spec, status, outcome):
        if status != "running":
            return
        attempts[spec.key] = attempts.get(spec.key, 0) + 1
        if not killed:  # the worker that started the sweep's first fit dies in it
            pid = client.run(os.getpid, workers=[outcome.worker])[outcome.worker]
            os.kill(pid, signal.SIGKILL)
            killed[spec.key] = outcome.worker

    outcomes = execute(specs, client=client, on_status=kill_first_running)
    assert [o.status for o in outcomes] == ["done"] * 4, [o.error for o in outcomes]
    (key, worker), = killed.items()
    assert attempts[key] == 2  # started again on a live worker after the kill
    assert next(o for o in outcomes if o.spec.key == key).worker != worker
    assert all(spec.path().exists() for spec in specs)


def test_sweep_command_refuses_bad_input(capsys, tmp_path):
    from latentlib.cli import main

    assert main(["sweep", "02", "--profile", "smoke", "--scheduler", "cluster"]) == 2
    assert "--scheduler must be" in capsys.readouterr().err
    assert main(["sweep", "02", "--profile", "smoke", "-p", "epoch", "[1, 2]"]) == 2
    assert "did you mean 'epochs'" in capsys.readouterr().err
    grid = tmp_path / "grid.yaml"
    grid.write_text("studies: [02]\nparameter: {epochs: [1]}\n")
    assert main(["sweep", "--file", str(grid)]) == 2
    assert "unknown: ['parameter']" in capsys.readouterr().err
    assert main(["sweep", "04", "--profile", "smoke"]) == 0  # said, not failed: its chapter trains its fits
    assert "not planned yet" in capsys.readouterr().err


def test_a_parameter_of_one_study_applies_to_that_study():
    studies = ["02_triplet_vs_mse", "06_mse_gap"]
    grid = {"view_points": [100], "epochs": [1], "epoch": [2]}
    assert study_axes("02_triplet_vs_mse", grid, studies) == {"epochs": [1], "epoch": [2]}
    assert study_axes("06_mse_gap", grid, studies) == grid


LINE_RUNNER = '''
import os

import torch
from torch import nn

from latentlib.training.fit import Trainer, run_fit


class Line(Trainer):
    kind = "line"

    def payload(self):
        return {"what": "a line fitted by a sweep"}

    def build(self):
        return {"model": nn.Linear(1, 1)}

    def start(self, modules, device):
        self.model = modules["model"]
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)

    def epoch(self):
        loss = ((self.model(torch.ones(4, 1)) - 1) ** 2).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return {"loss": float(loss.detach())}


SEEN = []


def run(spec):
    SEEN.append(os.environ.get("LATENTLIB_CACHE"))  # what the study's fit code finds in the environment
    fit = run_fit(Line(), device="cpu", progress=False)
    return {"key": fit.key, "from_cache": fit.from_cache, "seconds": fit.seconds, "loss": fit.history[-1]}
'''


def test_the_executor_hands_the_store_to_the_fit_engine_not_to_the_environment(store, tmp_path, monkeypatch):
    import importlib
    import sys

    from latentlib.training.fit import fit_key
    from latentlib.training.plan import FitSpec

    (tmp_path / "sweep_line_runner.py").write_text(LINE_RUNNER)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("sweep_line_runner", None)
    module = importlib.import_module("sweep_line_runner")
    key = fit_key(module.Line())
    spec = FitSpec(study="line", profile="smoke", parameters={}, name="line", run={}, key=key,
                   file=f"line-{key}.pt", train_with="sweep_line_runner:run")
    elsewhere = tmp_path / "elsewhere"
    [outcome] = execute([spec], "serial", store=elsewhere)
    assert outcome.status == "done", outcome.error
    assert (elsewhere / spec.file).exists() and not spec.path().exists()  # in the sweep's store only
    assert module.SEEN == [str(store)] and os.environ["LATENTLIB_CACHE"] == str(store)  # never changed
    assert execute([spec], "serial", store=elsewhere)[0].status == "cached"

"""Training samples/s of N fits of one shape: one after another (the fit engine's
``run_fit``, what the chapters call) vs one stacked model (``latentlib.training.stacked``),
on this machine's CPU or GPU, for the chapters' MLP (784-512-256-16) on MSE and on
MSE + batch-all triplet (P x K = 10 x 25), and N2D's MLP (784-500-500-2000-10) on MSE.

    python benchmarks/stacked.py [--quick] [--device cpu|cuda] [--members 5] [--json rows.json]

Random MNIST-shaped data (the speed does not depend on the pixels). Each repeat trains
every member for one epoch both ways, alternating, so drift hits both; the ratio is
stacked / sequential samples/s (above 1: the stack is faster). The fit cache is not used.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from _common import add_options, result, save
from latentlib.images.losses import TripletConfig
from latentlib.images.models import MLPConfig
from latentlib.images.training import TripletTrainer
from latentlib.training.autoencoder import ReconstructionTrainer, TrainConfig
from latentlib.training.fit import run_fit
from latentlib.training.stacked import train_stack

MODELS = {"chapters' MLP": dict(hidden_sizes=(512, 256), embedding_size=16),
          "N2D's MLP": dict(hidden_sizes=(500, 500, 2000), embedding_size=10)}
CASES = (("chapters' MLP", "mse"), ("chapters' MLP", "triplet"), ("N2D's MLP", "mse"))


def trainers(model: str, objective: str, n: int, members: int) -> list:
    rng = np.random.default_rng(0)
    x = rng.random((n, 1, 28, 28), dtype=np.float32)
    labels = np.arange(n) % 10
    config = MLPConfig(**MODELS[model])
    out = []
    for seed in range(members):
        train = TrainConfig(epochs=1, batch_size=256, seed=seed)
        if objective == "mse":
            out.append(ReconstructionTrainer(config, train, x))
        else:
            out.append(TripletTrainer(config, train, x, y_train=labels, objective=TripletConfig()))
    return out


def seconds(run, device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    run()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_options(parser)
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--members", type=int, default=5, help="fits per stack (the paper's seeds: 5)")
    parser.add_argument("--samples", type=int, help="training images per fit (default: 1,250 quick, 2,500; 60,000 on CUDA)")
    args = parser.parse_args()
    device = torch.device(args.device)
    repeats = 3 if args.quick else 5
    n = args.samples or (1250 if args.quick else 2500)
    if device.type == "cuda":
        n = args.samples or 60000
    draws = ("host", "device") if device.type == "cuda" else ("host",)
    rows = []
    threads = f"{torch.get_num_threads()} threads" if device.type == "cpu" else torch.cuda.get_device_name()
    for model, objective in CASES:
        group = trainers(model, objective, n, args.members)
        samples = sum(len(t.x_train) for t in group)

        def sequential() -> None:
            for trainer in group:
                run_fit(trainer, device=device, use_cache=False, progress=False)

        runs = {"sequential": sequential}
        for draw in draws:
            runs[f"stacked ({draw} draw)"] = lambda draw=draw: train_stack(group, device=device, draw=draw,
                                                                          progress=False)
        for run in runs.values():  # warm up: allocator, kernels, autotuning
            run()
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(repeats):
            for name, run in runs.items():
                times[name].append(seconds(run, device))
        base = samples / statistics.median(times["sequential"])
        for name, values in times.items():
            speed = samples / statistics.median(values)
            print(f"{model}, {objective}, {args.members} fits x {n:,} images, {name}: {speed:,.0f} samples/s "
                  f"({speed / base:.2f}x sequential)", flush=True)
            rows.append(result(f"{model} {objective}, {args.members} fits, {name}, {device.type} ({threads})",
                               speed, "samples/s", "" if name == "sequential" else f"/ sequential: {speed / base:.2f}x"))
    save(args.json, rows)


if __name__ == "__main__":
    main()

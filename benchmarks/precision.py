"""fp32 vs bf16 autocast (the fit engine's ``precision`` option) for one training step
on this machine's CPU: the chapters' MLP (784-512-256-16) and N2D's (784-500-500-2000-10).

    python benchmarks/precision.py [--quick] [--json rows.json]

A ratio above 1 means bf16 is faster. On a CPU without bf16 instructions (AVX512-BF16,
AMX) expect it below 1; on a GPU the option is what it is for, and this script's rows
are the CPU side of that figure.
"""

from __future__ import annotations

import argparse

import torch

from _common import add_options, median_seconds, mlp_step, result, save
from latentlib.training.precision import autocast

MODELS = {"chapters' MLP": dict(hidden_sizes=(512, 256), embedding_size=16),
          "N2D's MLP": dict(hidden_sizes=(500, 500, 2000), embedding_size=10)}


def step_seconds(batch: int, precision: str, repeats: int, **model) -> float:
    step = mlp_step(batch, **model)

    def timed() -> None:
        with autocast("cpu", precision):
            step()

    return median_seconds(timed, repeats, warmup=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_options(parser)
    args = parser.parse_args()
    repeats = 5 if args.quick else 15
    rows = []
    for name, model in MODELS.items():
        for batch in (256, 1024):
            fp32 = step_seconds(batch, "fp32", repeats, **model)
            bf16 = step_seconds(batch, "bf16", repeats, **model)
            print(f"{name}, batch {batch}: fp32 {fp32 * 1e3:.1f} ms, bf16 {bf16 * 1e3:.1f} ms", flush=True)
            rows.append(result(f"{name} step, batch {batch}, bf16 autocast ({torch.get_num_threads()} threads)",
                               bf16 * 1e3, "ms", f"{fp32 / bf16:.2f}x the fp32 step's speed ({fp32 * 1e3:.1f} ms)"))
    save(args.json, rows)


if __name__ == "__main__":
    main()

"""Fit throughput of an autoencoder with 1 and 2 torch threads, on a quiet machine and
beside one competing CPU-bound process: which thread default is right, per model?

Each setting runs in a fresh process (torch fixes its OpenMP pool at start), trains the
chapters' model (``--model``: the MLP 784-512-256-16 or the conv autoencoder of
chapters 01-03 on MNIST-shaped batches of 256, or chapter 04's spectrogram autoencoder
on 64 x 173 log-mel batches of 32) on random data for a fixed time and reports
optimizer steps per second (median of ``--repeats`` runs) per setting, with the ratio to
1 thread on the same load; a third setting lets idle OpenMP threads sleep
(``OMP_WAIT_POLICY=PASSIVE``) instead of spinning.

    python benchmarks/threads.py                      # the MLP, about two minutes on 2 cores
    python benchmarks/threads.py --model conv --quick # 3 s runs, once each
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time

from _common import add_options, result, save

WORKER = r"""
import json, sys, time, torch
from torch import nn
from latentlib.audio.models import SpectrogramConfig
from latentlib.images.models import ConvConfig, MLPConfig
torch.manual_seed(0)
name = sys.argv[2]
if name == "spectrogram":
    model, x = SpectrogramConfig(input_shape=(1, 64, 173)).build(), torch.rand(32, 1, 64, 173)
elif name == "conv":
    model, x = ConvConfig(input_shape=(1, 28, 28), embedding_size=16).build(), torch.rand(256, 1, 28, 28)
else:
    model = MLPConfig(input_shape=(1, 28, 28), hidden_sizes=(512, 256), embedding_size=16).build()
    x = torch.rand(256, 1, 28, 28)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for _ in range(20):  # warm-up
    reconstruction, _ = model(x); loss = nn.functional.mse_loss(reconstruction, x)
    optimizer.zero_grad(); loss.backward(); optimizer.step()
steps, start = 0, time.perf_counter()
while time.perf_counter() - start < float(sys.argv[1]):
    reconstruction, _ = model(x); loss = nn.functional.mse_loss(reconstruction, x)
    optimizer.zero_grad(); loss.backward(); optimizer.step(); steps += 1
print(json.dumps({"threads": torch.get_num_threads(), "steps_per_s": steps / (time.perf_counter() - start)}))
"""


def spin(stop: float) -> None:
    """One CPU-bound competitor: a busy loop until ``stop`` (time.time())."""
    while time.time() < stop:
        pass


MODELS = ("mlp", "conv", "spectrogram")


def measure(threads: int, *, seconds: float, competitors: int, passive: bool = False, model: str = "mlp") -> float:
    stop = time.time() + seconds + 30
    others = [mp.Process(target=spin, args=(stop,)) for _ in range(competitors)]
    for process in others:
        process.start()
    try:
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        env.pop("OMP_WAIT_POLICY", None)
        if passive:  # idle OpenMP threads sleep instead of spinning
            env["OMP_WAIT_POLICY"] = "PASSIVE"
        out = subprocess.run([sys.executable, "-c", WORKER, str(seconds), model], env=env, capture_output=True,
                             text=True, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])["steps_per_s"]
    finally:
        for process in others:
            process.terminate()
            process.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="timed training per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", choices=MODELS, default="mlp", help="which chapter's model trains")
    add_options(parser)
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.repeats = 3.0, 1
    rows = []
    print("| competing CPU-bound processes | 1 thread | 2 threads | 2 threads, OMP_WAIT_POLICY=PASSIVE | "
          "2 / 1 | 2 passive / 1 |")
    print("|---|---|---|---|---|---|")
    for competitors in (0, 1):
        medians = {}
        for name, threads, passive in (("1", 1, False), ("2", 2, False), ("2p", 2, True)):
            runs = [measure(threads, seconds=args.seconds, competitors=competitors, passive=passive,
                            model=args.model)
                    for _ in range(args.repeats)]
            medians[name] = statistics.median(runs)
        print(f"| {competitors} | {medians['1']:.1f} | {medians['2']:.1f} | {medians['2p']:.1f} | "
              f"{medians['2'] / medians['1']:.2f} | {medians['2p'] / medians['1']:.2f} |", flush=True)
        load = "quiet" if competitors == 0 else "beside 1 busy process"
        label = {"mlp": "MLP", "conv": "conv AE", "spectrogram": "spectrogram AE"}[args.model]
        rows.append(result(f"{label} fit, 1 thread, {load}", medians["1"], "steps/s"))
        rows.append(result(f"{label} fit, 2 threads, {load}", medians["2"], "steps/s",
                           f"/ 1 thread: {medians['2'] / medians['1']:.2f}x (passive wait: "
                           f"{medians['2p'] / medians['1']:.2f}x)"))
    save(args.json, rows)


if __name__ == "__main__":
    main()

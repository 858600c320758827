"""Log-mel feature extraction throughput: serial vs parallel, first run vs cached run.

Each repeat extracts the features of the same clips four ways, in one run, so drift on
a shared machine hits all of them:

- ``serial``: one process, no cache (``n_jobs=1, use_cache=False``);
- ``parallel``: ``--jobs`` worker processes, no cache, started fresh each repeat (what
  a chapter's first run pays: worker start-up and librosa's imports in each worker);
- ``parallel, warm``: the same again with the workers already running (what a long
  extraction, such as all of UrbanSound8K, approaches);
- ``first run``: parallel into an empty cache folder (compute and write);
- ``cached run``: the same call again (read only).

It prints clips/s of each as medians over the repeats, and their ratios.

    python benchmarks/audio_features.py [--repeats 3] [--clips 481] [--jobs 2] [--n-mels 64] [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from joblib.externals.loky import get_reusable_executor

from _common import add_options, result, save
from latentlib.audio.data import load_audio_clips
from latentlib.audio.features import FeatureConfig, clip_features, extract_features


def timed(**kwargs) -> float:
    start = time.perf_counter()
    extract_features(progress=False, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--clips", type=int, default=None, help="first N clips of the source (default all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--n-mels", type=int, default=64)
    parser.add_argument("--source", default="auto")
    add_options(parser)
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.clips = 1, args.clips or 120

    clips = load_audio_clips(args.source)
    paths = clips.paths[: args.clips] if args.clips else clips.paths
    config = FeatureConfig(n_mels=args.n_mels)
    clip_features(paths[0], config)  # librosa's lazy imports and numba load once, outside the timings
    n = len(paths)

    rates: dict[str, list[float]] = {"serial": [], "parallel": [], "parallel, warm": [], "first run": [],
                                     "cached run": []}
    for _ in range(args.repeats):
        rates["serial"].append(n / timed(paths=paths, config=config, n_jobs=1, use_cache=False))
        get_reusable_executor().shutdown(wait=True)  # joblib keeps its workers: start fresh ones
        rates["parallel"].append(n / timed(paths=paths, config=config, n_jobs=args.jobs, use_cache=False))
        rates["parallel, warm"].append(n / timed(paths=paths, config=config, n_jobs=args.jobs, use_cache=False))
        get_reusable_executor().shutdown(wait=True)
        folder = Path(tempfile.mkdtemp(prefix="latentlib-features-"))
        try:
            rates["first run"].append(n / timed(paths=paths, config=config, n_jobs=args.jobs, cache_dir=folder))
            rates["cached run"].append(n / timed(paths=paths, config=config, n_jobs=args.jobs, cache_dir=folder))
        finally:
            shutil.rmtree(folder)

    medians = {name: statistics.median(values) for name, values in rates.items()}
    print(f"data: {clips.source}, {n} clips, n_mels {args.n_mels}, {args.repeats} repeats, "
          f"{args.jobs} workers, {os.cpu_count()} CPUs")
    for name, value in medians.items():
        print(f"{name:>14}: median {value:8.1f} clips/s   (runs: {', '.join(f'{v:.1f}' for v in rates[name])})")
    print(f"ratio parallel / serial:        {medians['parallel'] / medians['serial']:.2f}x")
    print(f"ratio parallel warm / serial:   {medians['parallel, warm'] / medians['serial']:.2f}x")
    print(f"ratio cached / first run:       {medians['cached run'] / medians['first run']:.1f}x")
    save(args.json, [
        result(f"log-mel features, {n} clips, serial", medians["serial"], "clips/s"),
        result(f"log-mel features, {n} clips, {args.jobs} workers", medians["parallel"], "clips/s",
               f"/ serial: {medians['parallel'] / medians['serial']:.2f}x "
               f"(warm workers {medians['parallel, warm'] / medians['serial']:.2f}x)"),
        result(f"log-mel features, {n} clips, cached run", medians["cached run"], "clips/s",
               f"/ first run: {medians['cached run'] / medians['first run']:.1f}x"),
    ])


if __name__ == "__main__":
    main()

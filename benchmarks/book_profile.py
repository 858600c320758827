"""Where the `quick` book's time goes: a stage profile of every chapter, sampled.

Each chapter runs as `latentlib run NAME --output-dir <tmp>` (a user's run: the committed
reference is untouched) under the sampling profiler py-spy, which follows the notebook's
kernel process. Every sample's Python stack is put in one stage by the first rule of
``STAGES`` it matches (fits, fit-cache loads, K-Means, t-SNE, UMAP, ...); samples of
threads that only wait (the kernel's I/O threads, the runner polling) are left out. The
result is CPU seconds per stage and chapter, beside each chapter's wall time, as a table
(markdown) and a JSON file.

    pip install py-spy
    OMP_NUM_THREADS=1 python benchmarks/book_profile.py 01 02 03 06 07 --out _build/profile

With an empty fit cache (the default: a new one under ``--out``) the fits are trained as on
a fresh clone; ``--fit-cache DIR`` profiles a warm run. Dataset fetches are not profiled:
fetch first (`latentlib data all`), or point ``LATENTLIB_DATA`` at an empty folder to
include them (they land in "data").
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

# (stage, substrings: a sample belongs to the stage when any frame of its stack holds one).
# Order matters: a t-SNE inside an evaluation is t-SNE, an encode inside a fit is the fit,
# a module imported on first use is an import wherever it happens.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("imports", ("_find_and_load",)),
    ("fit cache load", ("_load (latentlib/training/fit.py",)),
    ("fits (training)", ("run_fit (latentlib/training/fit.py", "latentlib/text/training.py")),
    ("t-SNE", ("sklearn/manifold/_t_sne", "openTSNE")),
    ("UMAP", ("umap/", "pynndescent/")),
    ("GMM", ("sklearn/mixture/",)),
    ("K-Means", ("sklearn/cluster/_kmeans", "kmeans_labels")),
    ("silhouette", ("silhouette",)),
    ("linear probe", ("sklearn/linear_model/", "sklearn/svm/", "latentlib/evaluation/probe.py")),
    ("PCA / SVD", ("sklearn/decomposition/", "randomized_svd", "sklearn/utils/extmath")),
    ("neighbours", ("sklearn/neighbors/",)),
    ("audio features", ("librosa/", "latentlib/audio/features.py", "soundfile")),
    ("embedding (encode)", ("encode (latentlib", "embed", "decoding.py")),
    ("plots", ("matplotlib/", "seaborn/", "latentlib/book/explorer.py", "PIL/")),
    ("data loading", ("latentlib/images/mnist", "latentlib/data/", "latentlib/text/movie_reviews",
                      "latentlib/text/rotten_tomatoes", "latentlib/audio/everyday_sounds",
                      "latentlib/audio/drumkits", "latentlib/audio/clips", "load_")),
    ("records and tables", ("latentlib/book/results.py", "latentlib/book/tables.py", "json/", "pandas/")),
)
# leaf frames of threads that are parked: not work, whatever the profiler's idle heuristic says
WAITING = ("select (selectors.py", "_watch_pipe_fd", "wait (threading.py", "poll (", "sleep",
           "ParentPollerUnix.run", "GarbageCollectorThread.run", "recv_multipart", "_recv_copy",
           "device (zmq/")  # the kernel's heartbeat thread, parked in a zmq device


def stage_of(frames: list[str]) -> str:
    """The stage one sampled stack belongs to (``"waiting"`` for a parked thread)."""
    leaf = frames[-1] if frames else ""
    if any(mark in leaf for mark in WAITING):
        return "waiting"
    in_kernel = any("ipykernel_launcher" in frame for frame in frames[:2])
    for stage, marks in STAGES:
        if any(mark in frame for frame in frames for mark in marks):
            return stage
    return "other (kernel)" if in_kernel else "runner (papermill, records)"


def parse_raw(path: Path, rate: int) -> dict[str, float]:
    """Seconds per stage from py-spy's raw (collapsed-stack) output sampled at ``rate`` Hz."""
    seconds: collections.Counter[str] = collections.Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        seconds[stage_of(stack.split(";"))] += int(count) / rate
    seconds.pop("waiting", None)
    return dict(seconds)


def profile_chapter(name: str, out: Path, rate: int, profile: str, env: dict[str, str]) -> dict:
    raw = out / f"{name}.raw.txt"
    command = ["py-spy", "record", "--subprocesses", "--format", "raw", "--rate", str(rate), "-o", str(raw),
               "--", sys.executable, "-m", "latentlib.cli", "run", name, "--profile", profile,
               "--output-dir", str(out / "run"), "--quiet"]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"{name} failed (exit {done.returncode}); its notebook is under _build/failed/")
    return {"chapter": name, "wall_s": round(wall, 1), "stages_s": parse_raw(raw, rate)}


def table(rows: list[dict]) -> str:
    stages = sorted({stage for row in rows for stage in row["stages_s"]},
                    key=lambda s: -sum(row["stages_s"].get(s, 0) for row in rows))
    head = "| chapter | wall s | sampled CPU s | " + " | ".join(stages) + " |"
    lines = [head, "|" + "---|" * (3 + len(stages))]
    for row in rows + [{"chapter": "**all**", "wall_s": sum(r["wall_s"] for r in rows),
                        "stages_s": {s: sum(r["stages_s"].get(s, 0) for r in rows) for s in stages}}]:
        cpu = sum(row["stages_s"].values())
        cells = [f"{row['stages_s'].get(s, 0):.0f}" for s in stages]
        lines.append(f"| {row['chapter']} | {row['wall_s']:.0f} | {cpu:.0f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", default=["01", "02", "03", "04", "05", "06", "07"])
    parser.add_argument("--out", type=Path, default=Path("_build/profile"))
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--rate", type=int, default=20, help="samples per second")
    parser.add_argument("--fit-cache", type=Path, help="a warm fit cache (default: a new, empty one)")
    args = parser.parse_args()
    if shutil.which("py-spy") is None:
        raise SystemExit("py-spy is not installed: pip install py-spy")
    args.out.mkdir(parents=True, exist_ok=True)
    cache = args.fit_cache or args.out / "fits"
    if args.fit_cache is None and cache.exists():
        shutil.rmtree(cache)  # a profile of a fresh clone: every fit trained, none loaded
    env = {**os.environ, "LATENTLIB_CACHE": str(cache.resolve())}
    rows = []
    for name in args.chapters:
        rows.append(profile_chapter(name, args.out, args.rate, args.profile, env))
        print(f"{name}: {rows[-1]['wall_s']:.0f} s", flush=True)
        (args.out / "profile.json").write_text(json.dumps(rows, indent=1))
    report = table(rows)
    (args.out / "profile.md").write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()

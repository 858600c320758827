"""Wall time of a planned sweep: serial in this process vs a dask LocalCluster, and the
executor's overhead per fit.

Plans chapter 02's grid in a profile (default ``smoke``: 8 fits), then trains it into a
fresh store three ways: ``serial`` (this process, torch's default threads), ``serial``
with one torch thread (what each dask worker uses) and ``local:N``. Reports the wall
time of each (the cluster's includes starting it and each worker's imports and data
loading), and per fit on the cluster: task time on the worker minus training time
(data, key check, writing), for the first fit of each worker and for the others.

    python benchmarks/sweep.py                  # about two minutes on 2 cores
    python benchmarks/sweep.py --epochs 20       # longer fits: where a cluster starts to pay
    python benchmarks/sweep.py --workers 4 --profile quick
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path


def timed(specs: list, scheduler: str, store: Path) -> tuple[float, list]:
    from latentlib.training.sweep import warm

    start = time.perf_counter()
    report = warm(specs, scheduler, store=store, progress=False)
    assert not report.failed, [o.error for o in report.failed]
    return time.perf_counter() - start, report.outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, help="longer fits than the profile's (default: its epochs)")
    args = parser.parse_args()

    from latentlib.training.fit import torch_threads
    from latentlib.training.plan import plan_study

    specs = plan_study("02_triplet_vs_mse", args.profile, {"epochs": args.epochs} if args.epochs else {})
    with tempfile.TemporaryDirectory() as scratch:
        serial, _ = timed(specs, "serial", Path(scratch) / "serial")
        with torch_threads(1):
            one_thread, _ = timed(specs, "serial", Path(scratch) / "one-thread")
        cluster, outcomes = timed(specs, f"local:{args.workers}", Path(scratch) / "cluster")
    first, rest, seen = [], [], set()
    for outcome in outcomes:
        (rest if outcome.worker in seen else first).append(outcome.wall - outcome.seconds)
        seen.add(outcome.worker)
    print(json.dumps({
        "fits": len(specs), "profile": args.profile, "epochs": args.epochs or "profile's", "workers": args.workers,
        "serial_s": round(serial, 1), "serial_one_thread_s": round(one_thread, 1),
        f"local_{args.workers}_s": round(cluster, 1),
        "training_s_on_cluster": round(sum(o.seconds for o in outcomes), 1),
        "overhead_first_fit_per_worker_s": round(statistics.median(first), 2),
        "overhead_per_later_fit_s": round(statistics.median(rest), 3) if rest else None,
    }, indent=1))


if __name__ == "__main__":
    main()

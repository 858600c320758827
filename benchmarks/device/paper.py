"""Run the image chapters (01, 02, 03, 06, 07) in one profile on this machine: every fit
first, stacked (``latentlib.training.stacked``), then the chapters, which load their fits
from the store; the executed chapters, the records and the stage timings are packed into
``--out`` (one archive per chapter, a timings file and the log: at most 8 files).

    python benchmarks/device/paper.py --profile paper --out "$OUT"

``run_paper.sh`` sets up the device (wheels, data) and calls this. Chapters 01-03 are
planned by their own planners (``latentlib.images.plan``) and trained through the
executor's ``stacked`` scheduler; chapters 06 and 07 have no planner yet, so this script
lists their fits with the same builders their chapters call (a fit it lists wrongly is
trained by its chapter: slower, never wrong). Timings go to ``timings.json``: seconds
per stage, fits, training samples and samples/s.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PLANNED = ("01_embedding_size", "02_triplet_vs_mse", "03_pca_vs_autoencoder")
UNPLANNED = ("06_mse_gap", "07_n2d_whole_set")


def gap_trainers(config: Any) -> list:
    """Chapter 06's fits (:func:`latentlib.images.gap.run_gap_study`): the MSE baseline,
    the triplet column of the views, every trained variant."""
    from latentlib.images import plan as image_plan
    from latentlib.images.data import load_image_data
    from latentlib.images.gap import _trained_variants
    from latentlib.images.gap_hypotheses import TRIPLET, VIEWS
    from latentlib.images.study import objective_fit

    data = image_plan.load_data(config)
    objectives = ["mse"]
    if any(h in config.hypotheses for h in VIEWS) and TRIPLET in config.view_columns:
        objectives.append("triplet")
    runs = [(config, data, o) for o in objectives]
    for _, _, changed in _trained_variants(config):
        variant = dataclasses.replace(config, seeds=config.variant_seeds, **changed)
        runs.append((variant, load_image_data(variant) if "n_train" in changed else data, "mse"))
    trainers = []
    for run_config, run_data, objective in runs:
        for size in run_config.embedding_sizes:
            for seed in run_config.seeds:
                model, train, extra = objective_fit(run_config, run_data, objective=objective,
                                                    embedding_size=size, seed=seed)
                trainers.append(image_plan._trainer(model, train, run_data.x_train, extra))
    return trainers


def whole_set_trainers(config: Any) -> list:
    """Chapter 07's autoencoders (:func:`latentlib.images.n2d.run_whole_set_clustering`)."""
    from latentlib.images.models import MLPConfig
    from latentlib.images.n2d import load_whole_set
    from latentlib.training.autoencoder import ReconstructionTrainer, TrainConfig

    data = load_whole_set(config)
    model = MLPConfig(input_shape=tuple(data.x_train.shape[1:]), hidden_sizes=config.hidden_sizes,
                      embedding_size=config.embedding_size)
    return [ReconstructionTrainer(model, TrainConfig(epochs=config.epochs, batch_size=config.batch_size,
                                                     learning_rate=config.learning_rate, seed=seed), data.x_train)
            for seed in config.seeds]


def samples_of(trainer: Any) -> int:
    return len(trainer.x_train) * trainer.epochs


def warm_planned(studies: list[str], profile: str, scheduler: str) -> dict[str, Any]:
    from latentlib.training.executor import execute
    from latentlib.training.plan import plan_study, unique
    from latentlib.training.stack_plan import trainer_for

    specs = unique([spec for study in studies for spec in plan_study(study, profile)])
    outcomes = execute(specs, scheduler)
    trained = [o for o in outcomes if o.status == "done"]
    samples = sum(samples_of(trainer_for(o.spec)[0]) for o in trained)
    failed = [f"{o.spec.describe()}: {o.error}" for o in outcomes if o.status == "failed"]
    return {"fits": len(specs), "trained": len(trained), "samples": samples, "failed": failed}


def warm_unplanned(studies: list[str], profile: str, stacked: bool) -> dict[str, Any]:
    from latentlib.studies import config_for
    from latentlib.training.fit import fit_key, run_fit
    from latentlib.training.stacked import group_stackable, run_stacked

    builders = {"06_mse_gap": gap_trainers, "07_n2d_whole_set": whole_set_trainers}
    fits = trained = samples = 0
    for study in studies:
        config = config_for(study, profile)
        trainers = builders[study](config)
        seen: dict[str, Any] = {}
        for trainer in trainers:  # 06 repeats 02's fits: each once
            seen.setdefault(fit_key(trainer, config.precision), trainer)
        trainers = list(seen.values())
        fits += len(trainers)
        groups = group_stackable(trainers) if stacked else [[i] for i in range(len(trainers))]
        for group in groups:
            members = [trainers[i] for i in group]
            if stacked:
                results = run_stacked(members, device=config.device, precision=config.precision, progress=False)
            else:
                results = [run_fit(t, device=config.device, precision=config.precision, progress=False)
                           for t in members]
            for trainer, result in zip(members, results):
                if not result.from_cache:
                    trained += 1
                    samples += samples_of(trainer)
    return {"fits": fits, "trained": trained, "samples": samples, "failed": []}


def run_chapters(studies: list[str], profile: str, out: Path, jobs: int) -> dict[str, float]:
    from latentlib.book import runner

    done, failed = runner.run_notebooks(studies, jobs=jobs, keep_going=True, profile=profile,
                                        output_dir=out / "executed", results_dir=out / "results", progress=False)
    seconds = {execution.study: round(execution.wall_seconds, 1) for execution in done}
    for error in failed:
        seconds[str(error)] = -1.0
    return seconds


def pack(studies: list[str], work: Path, out: Path) -> list[str]:
    """One ``<study>.tar.gz`` per chapter: its executed notebook and its records."""
    written = []
    for study in studies:
        archive = out / f"{study}.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            for path in [work / "executed" / f"{study}.ipynb", work / "results" / study]:
                if path.exists():
                    tar.add(path, arcname=str(path.relative_to(work)))
        written.append(archive.name)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="paper", help="paper (default), quick or smoke")
    parser.add_argument("--chapters", nargs="+", default=[*PLANNED, *UNPLANNED])
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "_build/device")))
    parser.add_argument("--scheduler", default="stacked", help="stacked (default) or serial")
    parser.add_argument("--jobs", type=int, default=5, help="chapters executed side by side")
    args = parser.parse_args()
    import torch

    from latentlib.training.stacked import GRAPHS_ENV, STACKED_ENV

    stacked = args.scheduler == "stacked"
    os.environ[STACKED_ENV] = "1" if stacked else "0"
    os.environ.setdefault(GRAPHS_ENV, "1")  # CUDA graphs on CUDA (a failed capture falls back to eager)
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(os.environ.get("LATENTLIB_DEVICE_WORK", "/tmp/latentlib-device"))
    timings: dict[str, Any] = {"profile": args.profile, "scheduler": args.scheduler,
                               "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
                               "torch": torch.__version__, "stages": {}}
    start = time.perf_counter()

    def stage(name: str, call, *arguments) -> Any:
        began = time.perf_counter()
        value = call(*arguments)
        timings["stages"][name] = {"seconds": round(time.perf_counter() - began, 1), **(value if isinstance(
            value, dict) and "fits" in value else {"result": value})}
        print(f"{name}: {timings['stages'][name]}", flush=True)
        json.dump(timings, open(args.out / "timings.json", "w"), indent=1)
        return value

    planned = [s for s in args.chapters if s in PLANNED]
    unplanned = [s for s in args.chapters if s in UNPLANNED]
    if planned:
        stage("fits 01-03", warm_planned, planned, args.profile, args.scheduler)
    if unplanned:
        stage("fits 06-07", warm_unplanned, unplanned, args.profile, stacked)
    trained = sum(v.get("samples", 0) for v in timings["stages"].values())
    fit_seconds = sum(v["seconds"] for v in timings["stages"].values())
    timings["training_samples_per_second"] = round(trained / fit_seconds) if fit_seconds else None
    stage("chapters", run_chapters, args.chapters, args.profile, work, args.jobs)
    timings["archives"] = pack(args.chapters, work, args.out)
    timings["wall_seconds"] = round(time.perf_counter() - start, 1)
    json.dump(timings, open(args.out / "timings.json", "w"), indent=1)
    print(json.dumps(timings, indent=1))
    failed = [k for k, v in timings["stages"]["chapters"]["result"].items() if v < 0]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

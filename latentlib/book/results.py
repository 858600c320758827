"""Result records: one JSON object per (study, config, seed), written atomically.

Layout: ``<results dir>/<study>/<variant>/<run name>.json`` (:func:`results_dir`),
where ``variant`` is the profile, suffixed with a hash of any overrides, so that a
re-run replaces its own records and never another configuration's. Tables in the book
are aggregations of these records.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from latentlib.config import StudyConfig
from latentlib.events import notices
from latentlib.book.provenance import RunContext, environment, project_root


# a user's run, and any execution outside `latentlib run` (papermill by hand, Jupyter, Colab)
RUN_RESULTS = Path("_build") / "run" / "results"
_ANNOUNCED: set[Path] = set()


def results_dir() -> Path:
    """Where records go: the run context's folder (``latentlib run`` sets it; only
    ``latentlib run --reference`` points it at the committed ``book/results``), else
    ``_build/run/results`` of the project (ignored by git), else ``./results``.

    Outside a run context the folder is named once per process on stderr, so a notebook
    executed by hand says where its records went and never writes the reference build.
    """
    context = RunContext.current()
    if context.results_dir is not None:
        return context.results_dir
    root = project_root()
    folder = root / RUN_RESULTS if root else Path.cwd() / "results"
    if folder not in _ANNOUNCED:
        _ANNOUNCED.add(folder)
        print(f"latentlib: no `latentlib run` context, so result records go to {folder} "
              "(the committed book/results is written only by `latentlib run --reference`)",
              file=sys.stderr, flush=True)
    return folder


def variant(config: StudyConfig) -> str:
    """The profile name, plus a short hash of the fields that differ from the profile."""
    overrides = config.overrides()
    if not overrides:
        return config.profile
    digest = hashlib.sha1(json.dumps(overrides, sort_keys=True, default=list).encode()).hexdigest()
    return f"{config.profile}-{digest[:8]}"


def make_record(*, config: StudyConfig, run: dict[str, Any], metrics: dict[str, Any],
                timings: dict[str, float], data: dict[str, Any], device: str,
                extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """One record: what ran (full config and run settings), what it scored, where and when."""
    return {
        "study": config.study,
        "profile": config.profile,
        "variant": variant(config),
        "run": run,
        "config": config.to_dict(),
        "metrics": metrics,
        "timings": timings,
        "data": data,
        "device": device,
        "environment": environment(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        # fallbacks, skipped inputs, refitted caches: what the reader must know about this number
        "notices": notices(),
        **(extra or {}),
    }


def write_json_atomic(path: Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` as JSON to ``path`` through a temporary file beside it: readers
    see the old file or the new one, never half, and a failed write leaves no temporary."""
    text = json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n"  # fails before any file exists
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        temporary.write_text(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def record_path(record: dict[str, Any], directory: Path | None = None) -> Path:
    directory = directory or results_dir()
    return directory / record["study"] / record["variant"] / f"{record['run']['name']}.json"


def write_record(record: dict[str, Any], directory: Path | None = None) -> Path:
    """Write ``record`` atomically; returns its path."""
    return write_json_atomic(record_path(record, directory), record)


def read_records(study: str | None = None, directory: Path | None = None) -> list[dict[str, Any]]:
    directory = directory or results_dir()
    pattern = f"{study}/*/*.json" if study else "*/*/*.json"
    return [json.loads(path.read_text()) for path in sorted(directory.glob(pattern))
            if not path.name.startswith("_")]


def records_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Flatten records into a table: ``run.*``, ``metrics.*`` ... become columns."""
    return pd.json_normalize(records) if records else pd.DataFrame()


def load_records(study: str | None = None, *, profile: str | None = None,
                 directory: Path | None = None) -> pd.DataFrame:
    """Records as a flat table, optionally for one study and one profile."""
    frame = records_frame(read_records(study, directory))
    if profile is not None and not frame.empty:
        frame = frame[frame["profile"] == profile]
    return frame

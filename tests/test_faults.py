"""Nothing is lost on failure: killed and failed runs replace nothing, bad values are
refused before any training with a message naming the parameter, the value and what is
allowed, and broken sources are errors, not silent fallbacks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError, first_available


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def committed(tmp_path):
    """A committed chapter and record, as `book/executed` and `book/results` hold them."""
    executed, results = tmp_path / "executed", tmp_path / "results"
    for path, text in ((executed / "01_embedding_size.ipynb", '{"committed": "chapter"}'),
                       (executed / "02_triplet_vs_mse.ipynb", '{"committed": "chapter 02"}'),
                       (results / "01_embedding_size" / "smoke" / "mlp-d2-seed0.json", '{"committed": 1}')):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return executed, results


def latentlib(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "latentlib.cli", *args], capture_output=True, text=True,
                          timeout=600, **kwargs)


@pytest.mark.slow
def test_kill_9_of_a_running_chapter_leaves_the_committed_one_byte_identical(committed, root):
    executed, results = committed
    before = snapshot(executed.parent)
    child = subprocess.Popen(
        [sys.executable, "-m", "latentlib.cli", "run", "01", "--profile", "smoke", "-p", "epochs", "200",
         "--output-dir", str(executed), "--results-dir", str(results)],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        runs = root / "_build" / "runs"
        deadline = time.time() + 300
        # wait until the chapter is training (its events file reports an epoch), then kill -9
        while time.time() < deadline:
            events = [p for p in runs.glob("01_embedding_size-*/events.jsonl") if '"epoch"' in p.read_text()]
            if events:
                break
            time.sleep(0.5)
        assert events, "the chapter never started training"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        try:  # the kernel it left behind goes too
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert child.returncode == -signal.SIGKILL
    assert snapshot(executed.parent) == before  # byte-identical chapter, no record marked complete


BAD_VALUES = [
    # (study, parameters, the message that names the parameter, the value and what is allowed)
    ("01", ["-p", "learning_rate", "1e999"], "learning_rate must be a positive finite number, got inf"),
    ("01", ["-p", "learning_rate", "-1e-3"], "learning_rate must be a positive finite number, got -0.001"),
    ("02", ["-p", "classes_per_batch", "11"], "classes_per_batch must be at most the 10 classes of mnist, got 11"),
    ("01", ["-p", "n_train", "some"], "n_train must be a positive int or 'all', got 'some'"),
    ("01", ["-p", "embedding_sizes", "[2, 2]"], "embedding_sizes must be .*repeated entries.*got \\(2, 2\\)"),
    ("01", ["-p", "epoch", "3"], "unknown parameter 'epoch'.*did you mean 'epochs'"),
]


@pytest.mark.parametrize(("study", "parameters", "message"), BAD_VALUES, ids=[" ".join(c[1]) for c in BAD_VALUES])
def test_bad_values_are_refused_before_anything_runs(committed, root, study, parameters, message):
    executed, results = committed
    before = snapshot(executed.parent)
    start = time.perf_counter()
    done = latentlib("run", study, "--profile", "smoke", *parameters, "--output-dir", str(executed),
                     "--results-dir", str(results), cwd=root)
    assert done.returncode == 2, done.stderr
    assert __import__("re").search(message, done.stderr), done.stderr
    assert time.perf_counter() - start < 60  # refused at once: no kernel, no data, no training
    assert snapshot(executed.parent) == before


@pytest.mark.slow
def test_more_images_than_the_source_has_is_refused_after_loading_before_training(committed, root):
    executed, results = committed
    before = snapshot(executed.parent)
    done = latentlib("run", "01", "--profile", "smoke", "-p", "data_source", "npm", "-p", "n_train", "100000",
                     "--output-dir", str(executed), "--results-dir", str(results), cwd=root)
    assert done.returncode == 2
    assert "n_train must be at most the 8,000 training images this source has (or 'all'), got 100000" in done.stderr
    assert "failed notebook" in done.stderr and "unchanged" in done.stderr
    assert snapshot(executed.parent) == before


def test_a_broken_source_is_an_error_not_a_fallback(tmp_path):
    def broken(root, download):
        raise CorruptDatasetError(f"{root}/first.bin fails its checksum")

    def good(root, download):
        return "second"

    with pytest.raises(CorruptDatasetError, match="first.bin fails its checksum"):
        first_available("auto", sources=("first", "second"), loaders={"first": broken, "second": good},
                        root=tmp_path, download=False, how_to="get one")


def test_an_absent_source_falls_back_and_says_so(tmp_path, monkeypatch):
    from latentlib import events

    log = tmp_path / "events.jsonl"
    monkeypatch.setenv(events.EVENTS_ENV, str(log))

    def absent(root, download):
        raise DatasetNotFoundError("first is not installed")

    with pytest.warns(UserWarning, match="data source 'second' used because"):
        loaded = first_available("auto", sources=("first", "second"),
                                 loaders={"first": absent, "second": lambda root, download: "second"},
                                 root=tmp_path, download=False, how_to="get one")
    assert loaded == "second"
    [event] = [json.loads(line) for line in log.read_text().splitlines()]
    assert event["kind"] == "notice" and "first is not installed" in event["message"]
    assert any("first is not installed" in n["message"] for n in events.notices())


def test_a_split_missing_a_class_is_refused():
    from latentlib.data.splits import LabelledSplit, subset

    labels = np.array([0, 0, 1, 1])
    split = LabelledSplit(x_train=np.zeros((4, 2)), y_train=labels, x_test=np.zeros((2, 2)),
                          y_test=np.array([0, 0]), class_names=["negative", "positive"], source="toy", split="toy")
    with pytest.raises(ValueError, match=r"classes \['positive'\] have no item in the test split of toy"):
        subset(split)


def test_two_points_for_ten_classes_is_flagged_as_collapse():
    from latentlib.images.losses import detect_collapse

    z = np.repeat(np.array([[0.0, 1.0], [5.0, -3.0]]), 50, axis=0)
    report = detect_collapse(z, n_clusters=10)
    assert report.collapsed and "2 distinct locations" in report.reason
    spread = np.random.default_rng(0).normal(size=(100, 2))
    assert not detect_collapse(spread, n_clusters=10, clusters_found=10).collapsed
    assert detect_collapse(spread, n_clusters=10, clusters_found=3).collapsed


def write_yelp(root: Path, *, train_negative: bytes | None = None) -> None:
    folder = root / "yelp"
    folder.mkdir(parents=True)
    for split in ("train", "dev", "test"):
        for label, words in ((0, "the food was cold"), (1, "great service and a fine view")):
            lines = "\n".join(f"{words} {i}" for i in range(12)) + "\n"
            (folder / f"sentiment.{split}.{label}").write_text(lines)
    if train_negative is not None:
        (folder / "sentiment.train.0").write_bytes(train_negative)


def test_yelp_files_that_are_not_utf8_are_an_error_not_a_fallback(tmp_path):
    from latentlib.text.yelp import load_yelp

    write_yelp(tmp_path, train_negative="caf\u00e9 froid\n".encode("latin-1"))
    with pytest.raises(CorruptDatasetError, match=r"sentiment.train.0 is not UTF-8"):
        load_yelp("auto", root=tmp_path, download=False)


def test_an_empty_yelp_file_is_refused_with_the_missing_class(tmp_path):
    from latentlib.text.yelp import load_yelp

    write_yelp(tmp_path, train_negative=b"")
    with pytest.raises(ValueError, match=r"classes \['negative'\] have no item in the train split"):
        load_yelp("auto", root=tmp_path, download=False)

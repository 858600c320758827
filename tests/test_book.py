"""The committed reference build: up to date with its sources, and a book that builds."""

import subprocess
import sys

import jupytext
import nbformat
import pytest
import yaml

from latentlib.book.runner import BANNER_TAG, chapter_library_digest, source_digest, study_names


@pytest.mark.parametrize("study", study_names())
def test_executed_chapter_matches_its_source(study, root):
    source = root / "notebooks" / f"{study}.md"
    executed = root / "book" / "executed" / f"{study}.ipynb"
    fix = f"re-run it: latentlib run {study} --profile quick"
    assert executed.exists(), f"{executed} is missing; {fix}"
    notebook = nbformat.read(executed, as_version=4)
    stamp = notebook.metadata.get("latentlib", {})
    assert stamp.get("source_sha256") == source_digest(source), f"{executed.name} is stale; {fix}"
    assert stamp.get("library_sha256") == chapter_library_digest(source), \
        f"{executed.name} is stale: library code it imports changed; {fix}"
    assert not stamp.get("commit", "").endswith("+dirty"), f"{executed.name} ran on uncommitted code; {fix}"
    assert stamp.get("profile") == "quick" and stamp.get("records", 0) > 0
    # the code that ran is the code of the source (papermill adds its injected cell)
    ran = [c.source for c in notebook.cells
           if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]
    assert ran == [c.source for c in jupytext.read(source).cells if c.cell_type == "code"]
    assert any(BANNER_TAG in c.metadata.get("tags", []) for c in notebook.cells)
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


def test_every_study_is_a_chapter(root):
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    chapters = [entry["file"] for entry in toc["chapters"]]
    for study in study_names():
        assert f"book/executed/{study}" in chapters


@pytest.mark.slow
def test_book_builds_without_warnings(root, tmp_path):
    completed = subprocess.run(
        [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build", "--all",
         "-W", "-n", "--keep-going", str(root), "--path-output", str(tmp_path)],
        cwd=root, capture_output=True, text=True, timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    html = tmp_path / "_build" / "html"
    chapter = (html / "book" / "executed" / "01_embedding_size.html").read_text()
    assert "Provenance of this chapter" in chapter
    assert "colab.research.google.com" in chapter


@pytest.mark.slow
def test_a_users_run_is_built_with_its_own_chapters_and_reproduction_page(root, tmp_path):
    import shutil

    from latentlib.book.runner import build_book, stage_run_book

    run = tmp_path / "run"
    (run / "executed").mkdir(parents=True)
    chapter = nbformat.read(root / "book" / "executed" / "01_embedding_size.ipynb", as_version=4)
    chapter.cells.insert(2, nbformat.v4.new_markdown_cell("Marker: this chapter came from the run under test."))
    nbformat.write(chapter, run / "executed" / "01_embedding_size.ipynb")
    staged = stage_run_book(root, run, pages={"reproduction": "# Reproduction report\n\nAll reproduced.\n"})
    try:
        html = build_book(root, path_output=tmp_path / "out", source=staged)
        assert "came from the run under test" in (html / "book" / "executed" / "01_embedding_size.html").read_text()
        assert "All reproduced" in (html / "book" / "reproduction.html").read_text()
        # the chapters the run did not execute are the committed ones
        assert (html / "book" / "executed" / "05_text_yelp_daae.html").exists()
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    assert not (root / "book" / "reproduction.md").exists()  # the committed book is untouched

"""The book's results page: the paper's tables beside ours, generated from the records.

``python -m latentlib.book.report`` (also run by ``latentlib book``) rewrites
``book/paper_vs_ours.md`` from ``book/results``; a test fails when the committed page
no longer matches the committed records. Nothing on the page is typed by hand except
through :mod:`latentlib.book.paper`.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


from latentlib import studies
from latentlib.book.provenance import project_root
from latentlib.book.results import read_records, results_dir

PAGE = Path("book") / "paper_vs_ours.md"
#: the variant the executed chapters show; the others are compared with its code
MAIN_VARIANT = "quick"


def uncommitted_variants(variant_commits: Iterable[tuple[str, str]]) -> list[str]:
    """The variants with a record run from uncommitted code (``+dirty``): such a number
    cannot be traced to the code that made it, so the page leaves the whole variant out."""
    return sorted({variant for variant, commit in variant_commits if str(commit).endswith("+dirty")})


def _left_out(variants: list[str]) -> list[str]:
    if not variants:
        return []
    return [f"_Left out: variant{'s' if len(variants) > 1 else ''} " + ", ".join(f"`{v}`" for v in variants)
            + ", run from uncommitted code (its records stay under `book/results/`)._", ""]


def _execution(directory: Path, study: str, variant: str) -> str:
    """How a variant was run: its parameters and wall time, from its ``_execution.json``."""
    path = directory / study / variant / "_execution.json"
    if not path.is_file():
        return ""
    stamp = json.loads(path.read_text())
    parameters = " ".join(f"-p {k} {shlex.quote(json.dumps(v) if not isinstance(v, str) else v)}"
                          for k, v in (stamp.get("parameters") or {}).items())
    command = f"latentlib run {study[:2]} {parameters}".rstrip()
    return (f"Run: `{command}` in profile `{stamp.get('profile')}`, {stamp.get('wall_seconds', 0) / 60:.1f} min "
            f"wall time on {', '.join(stamp.get('device') or [])}.")


def _library_changes(older: str, newer: str) -> int | None:
    """How many library files differ between two commits (None when git cannot tell)."""
    root = project_root()
    if root is None or older == newer:
        return 0 if older == newer else None
    try:
        completed = subprocess.run(["git", "diff", "--name-only", older, newer, "--", "latentlib"], cwd=root,
                                   capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return len([line for line in completed.stdout.splitlines() if line.endswith(".py")])


def _is_ancestor(older: str, newer: str) -> bool:
    root = project_root()
    return root is not None and subprocess.run(["git", "merge-base", "--is-ancestor", older, newer], cwd=root,
                                               capture_output=True).returncode == 0


def code_note(directory: Path, study: str, records: list[dict[str, Any]], chapter_commit: str | None) -> str:
    """Which commit a variant's records come from, whether its execution stamp agrees, and
    whether the library changed between it and the chapter's own run."""
    commits = sorted({str(r["environment"]["commit"]) for r in records})
    variant = records[0]["variant"]
    note = f"Code: commit {', '.join(f'`{c}`' for c in commits)}."
    path = directory / study / variant / "_execution.json"
    stamp = json.loads(path.read_text()).get("commit") if path.is_file() else None
    if stamp and [stamp] != commits:
        note += f" ⚠ Its execution stamp names commit `{stamp}`: the records were written by another run."
    if chapter_commit and commits != [chapter_commit]:
        changed = [_library_changes(c, chapter_commit) for c in commits]
        if any(n for n in changed if n):
            older = all(_is_ancestor(c, chapter_commit) for c in commits)
            note += (f" ⚠ {'Older' if older else 'Other'} library code than the chapter's run (`{chapter_commit}`): "
                     f"{max(n for n in changed if n)} library files changed since, so its numbers may differ "
                     "for that reason as well as for its settings.")
    return note


def reference_note(records: list[dict[str, Any]]) -> str:
    """The mark of a variant shown from the committed reference build, not from this build's run."""
    commits = sorted({str(r["environment"]["commit"]) for r in records})
    return (f"**Reference record**: not run in this build; shown from the committed reference build "
            f"(`book/results/`, commit {', '.join(f'`{c}`' for c in commits)}).")


def committed_results(directory: Path) -> Path | None:
    """The committed reference records (``book/results`` of the project) when ``directory``
    is the folder a user's ``latentlib book`` runs into (``_build/run/results``); else None."""
    from latentlib.book.runner import run_dirs

    root = project_root()
    if root is None or not (root / "book" / "results").is_dir():
        return None
    run_results = run_dirs(root)[1]
    return root / "book" / "results" if run_results.resolve() == Path(directory).resolve() else None


def variant_sections(directory: Path, reference: Path | None = None) -> list[str]:
    """Every declared study's block (:attr:`Study.section`), once per recorded variant, in
    chapter order; variants run from uncommitted code are left out and named. With
    ``reference`` (the committed records, when ``directory`` is a user's run), each variant
    of the reference that ``directory`` lacks is shown too, marked as a reference record."""
    lines = []
    for name, study in studies.all_studies().items():
        if study.section is None:
            continue
        records = read_records(name, directory)
        left_out = uncommitted_variants((r["variant"], r["environment"]["commit"]) for r in records)
        records = [r for r in records if r["variant"] not in left_out]
        ran = {r["variant"] for r in records}
        kept = [] if reference is None else [r for r in read_records(name, reference) if r["variant"] not in ran]
        kept_out = uncommitted_variants((r["variant"], r["environment"]["commit"]) for r in kept)
        kept = [r for r in kept if r["variant"] not in kept_out]
        lines += [study.section_title, "", *_left_out(left_out)]
        if not records and not kept:
            lines += ["_no records yet: run `latentlib run " + name + "`_", ""]
        main = sorted({str(r["environment"]["commit"]) for r in records if r["variant"] == MAIN_VARIANT})
        for variant in sorted(ran):
            mine = [r for r in records if r["variant"] == variant]
            how = " ".join(filter(None, [_execution(directory, name, variant),
                                         code_note(directory, name, mine, main[0] if len(main) == 1 else None)]))
            lines += study.section(mine, how)
        for variant in sorted({r["variant"] for r in kept}):
            theirs = [r for r in kept if r["variant"] == variant]
            lines += study.section(theirs, " ".join(filter(None, [reference_note(theirs),
                                                                  _execution(reference, name, variant)])))
    return lines


def results_page(directory: Path | None = None, *, reference: Path | None = None) -> str:
    """The Markdown of the results page, from the records under ``directory``. The
    committed reference's variants that ``directory`` lacks are shown too, marked as
    reference records, from ``reference`` or, by default, when ``directory`` is the run
    folder of a user's ``latentlib book`` (:func:`committed_results`)."""
    directory = directory or results_dir()
    reference = reference or committed_results(directory)
    source = ("the result records under `book/results/`" if reference is None else
              "this build's run records and, marked **Reference record** with their commit, the committed "
              "reference build's records (`book/results/`) of every variant this run did not run")
    lines = [
        "# The paper's tables beside ours",
        "",
        f"Generated by `python -m latentlib.book.report` from {source}; "
        "the paper's values come from `latentlib/book/paper.py`, the only place they are typed. Every "
        "number of ours is a mean ± sample std over seeds of records of the named variant. "
        "SS is the silhouette score of K-Means (10 clusters) on test-split embeddings; ACC is "
        "clustering accuracy under the best one-to-one matching, NMI and ARI compare the "
        "clusters with the classes; `knn_acc` is a 5-nearest-neighbour probe (supervised read-out). "
        "A run whose embedding collapsed is kept and counted in `collapsed`; where K-Means found a "
        "single cluster its silhouette is undefined and left out of the mean. Every verdict is "
        "decided by its study's `claims()`, the same call its chapter makes.",
        "",
    ]
    lines += variant_sections(directory, reference)
    return "\n".join(lines).rstrip() + "\n"


def write_page(page: Path, render: Callable[[Path], str], root: Path | None = None) -> Path:
    """Rewrite the generated page ``page`` (relative to the project) with ``render`` of
    the project's committed records."""
    root = root or project_root()
    if root is None:
        raise FileNotFoundError("run this from a latent-space-book checkout")
    path = root / page
    path.write_text(render(root / "book" / "results"))
    return path


def write_results_page(root: Path | None = None) -> Path:
    """Rewrite ``book/paper_vs_ours.md`` of the project from its records."""
    return write_page(PAGE, results_page, root)


if __name__ == "__main__":
    print(write_results_page())

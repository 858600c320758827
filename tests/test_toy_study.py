"""A new study is one declaration plus its notebook: a toy study in a temporary package,
found by discovery, run by the runner in ``smoke``, its claims decided once and shown on
the results page, its dataset fetched by ``latentlib data``."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap

import nbformat
import pytest

from latentlib import studies

DECLARATION = '''
"""A toy study: two methods, three seeds, one claim."""

from dataclasses import dataclass

import pandas as pd

from latentlib.book.results import make_record, write_record
from latentlib.config import StudyConfig
from latentlib.evaluation.claims import Claim
from latentlib.evaluation.verdicts import beats
from latentlib.studies import Study
from latentlib.validation import fail


@dataclass(frozen=True)
class ToyConfig(StudyConfig):
    study = "99_toy"
    profiles = {"smoke": {"shift": 0.5}}
    shift: float = 1.0
    seeds: tuple = (0, 1, 2)

    def validate(self):
        if not isinstance(self.shift, (int, float)):
            fail("shift", self.shift, "a number")


def run_toy(config):
    records = []
    for seed in config.seeds:
        for method, offset in (("shifted", config.shift), ("plain", 0.0)):
            run = {"name": f"{method}-seed{seed}", "method": method, "seed": seed, "embedding_size": 1}
            record = make_record(config=config, run=run, metrics={"score": offset + 0.001 * seed},
                                 timings={}, data={"source": "toy", "n_train": 3, "n_test": 3, "split": "by seed"}, device="cpu")
            write_record(record)
            records.append(record)
    return records


def toy_claims(records):
    runs = pd.DataFrame([{**r["run"], **r["metrics"]} for r in records])
    return [Claim(beats(runs, better="shifted", worse="plain", metric="score", claim="shifted beats plain"),
                  paper="the toy paper: shifting helps")]


def toy_section(records, how):
    return [f"toy variant {records[0]['variant']}: {len(records)} records", ""]


def fetch_toy(root=None):
    return "toy data: always here"


STUDIES = (Study("99_toy", ToyConfig, run_toy, claims=toy_claims, section=toy_section,
                 section_title="## The toy study", fetchers={"toy": fetch_toy}),)
'''

NOTEBOOK = '''
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A toy study

```{code-cell} ipython3
from IPython.display import Markdown, display

from latentlib.evaluation.claims import sentences
from toy_modality.chapters import ToyConfig, run_toy, toy_claims
```

```{code-cell} ipython3
:tags: [parameters]

profile = "quick"
shift = None
seeds = None
```

```{code-cell} ipython3
cfg = ToyConfig.from_parameters(globals())
records = run_toy(cfg)
display(Markdown(sentences(toy_claims(records))))
```
'''


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A project root with the toy notebook, and the toy package on the path."""
    package = tmp_path / "packages" / "toy_modality"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""A toy modality."""\n')
    (package / "chapters.py").write_text(textwrap.dedent(DECLARATION))
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "notebooks" / "99_toy.md").write_text(NOTEBOOK.lstrip())
    monkeypatch.syspath_prepend(str(package.parent))
    monkeypatch.setenv("PYTHONPATH", str(package.parent))  # the kernel imports it too
    monkeypatch.setenv(studies.EXTRA_PACKAGES, "toy_modality")
    studies._discover.cache_clear()
    yield project
    studies._discover.cache_clear()
    for name in [n for n in sys.modules if n.startswith("toy_modality")]:
        sys.modules.pop(name)
    importlib.invalidate_caches()


def test_a_declared_study_is_found_with_its_parts(toy):
    study = studies.get("99_toy")
    assert study.config.study == "99_toy"
    assert "99_toy" in studies.names() and "01_embedding_size" in studies.names()
    assert studies.fetch("toy") == "toy data: always here"
    assert studies.config_for("99_toy", "smoke").shift == 0.5
    with pytest.raises(ValueError, match="shift must be a number"):
        studies.config_for("99_toy", "smoke", shift="far")


def test_a_study_declared_twice_is_refused(toy, monkeypatch):
    monkeypatch.setenv(studies.EXTRA_PACKAGES, "toy_modality,toy_modality")
    studies._discover.cache_clear()
    with pytest.raises(ValueError, match="declared twice"):
        studies.all_studies()


@pytest.mark.slow
def test_the_toy_study_runs_in_smoke_and_its_claims_reach_every_page(toy, tmp_path):
    from latentlib.book import report, runner

    executed, results = tmp_path / "out" / "executed", tmp_path / "out" / "results"
    runner.run_notebook("99_toy", profile="smoke", root=toy, output_dir=executed, results_dir=results,
                        progress=False)
    notebook = nbformat.read(executed / "99_toy.ipynb", as_version=4)
    printed = json.dumps([cell.get("outputs", []) for cell in notebook.cells])
    records = [json.loads(p.read_text()) for p in sorted((results / "99_toy").rglob("*.json"))
               if not p.name.startswith("_")]
    assert len(records) == 6
    [claim] = studies.claims("99_toy", records)
    assert claim.outcome == "holds" and claim.paper_status == "reproduced"
    assert "shifted beats plain" in printed and claim.outcome in printed  # the chapter printed the same decision
    page = report.results_page(results)
    assert "## The toy study" in page and "toy variant smoke: 6 records" in page

"""One decider per study: every chapter's claims, re-decided from its committed records,
are what the executed chapter printed, and the "What reproduced" page is built from them."""

from __future__ import annotations

import json

import nbformat
import pandas as pd
import pytest

from latentlib import studies
from latentlib.book.results import read_records
from latentlib.book.summary import PAGE, claim_rows, summary_page
from latentlib.evaluation.claims import NOT_REPRODUCED, NOT_TESTABLE, PARTLY, REPRODUCED, Claim
from latentlib.evaluation.verdicts import Verdict

STUDIES = studies.names()


def _printed(root, study: str) -> str:
    notebook = nbformat.read(root / "book" / "executed" / f"{study}.ipynb", as_version=4)
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            texts.append(data.get("text/markdown", "") if isinstance(data.get("text/markdown"), str)
                         else "".join(data.get("text/markdown", [])))
            texts.append(json.dumps(output))
    return "\n".join(texts)


@pytest.mark.parametrize("study", STUDIES)
def test_the_chapter_printed_the_claims_its_records_decide(root, study):
    records = [r for r in read_records(study, root / "book" / "results") if r["variant"] == "quick"]
    claims = studies.claims(study, records)
    assert claims, f"{study}: no claim decided from its committed records"
    printed = _printed(root, study)
    missing = [c.sentence() for c in claims if f"**{c.claim}**: {c.outcome}" not in printed]
    assert not missing, f"{study}: the executed chapter does not print these, as decided now: {missing}"


def test_the_committed_page_matches_the_records(root):
    page = (root / PAGE).read_text()
    assert page == summary_page(root / "book" / "results"), \
        f"{PAGE} is stale; regenerate it: python -m latentlib.book.summary"


def test_every_paper_statement_gets_one_of_four_statuses(root):
    rows = claim_rows(root / "book" / "results")
    assert set(rows["status"]) <= {REPRODUCED, PARTLY, NOT_REPRODUCED, NOT_TESTABLE}
    assert {"02_triplet_vs_mse", "03_pca_vs_autoencoder"} <= set(rows["study"])


def _verdict(outcome: str) -> Verdict:
    return Verdict("a claim", outcome, "a rule", pd.DataFrame())


def test_a_status_follows_the_verdict_unless_the_study_says_otherwise():
    assert Claim(_verdict("holds"), paper="p").paper_status == REPRODUCED
    assert Claim(_verdict("does not hold"), paper="p").paper_status == NOT_REPRODUCED
    assert Claim(_verdict("not shown"), paper="p").paper_status == NOT_TESTABLE
    assert Claim(_verdict("does not hold"), paper="p", status=PARTLY).paper_status == PARTLY
    with pytest.raises(ValueError, match="status must be one of"):
        Claim(_verdict("holds"), status="sort of")

"""A claim as the book states it: a verdict, and the paper's statement it tests.

A study's ``claims(records)`` (declared in :mod:`latentlib.studies`) returns a list of
:class:`Claim`: the executed chapter prints them, the results page lists them, the
"What reproduced" page collects those that test a statement of the paper, and the
reproduction check compares their outcomes between two runs. A claim is decided once,
by the verdict inside it; nothing downstream re-decides it.
"""

from __future__ import annotations

from dataclasses import dataclass

from latentlib.evaluation.verdicts import Verdict

#: the status of a statement of the paper on the "What reproduced" page
REPRODUCED, PARTLY, NOT_REPRODUCED, NOT_TESTABLE = "reproduced", "partly", "not reproduced", "not testable here"
STATUSES = (REPRODUCED, PARTLY, NOT_REPRODUCED, NOT_TESTABLE)
_FROM_OUTCOME = {"holds": REPRODUCED, "does not hold": NOT_REPRODUCED}


@dataclass(frozen=True)
class Claim:
    """One verdict of a study, and what it means for the paper.

    Parameters
    ----------
    verdict
        The decision, with its rule and evidence (:mod:`latentlib.evaluation.verdicts`).
    paper
        The paper's statement this verdict tests (``""`` for a claim of our own).
    ours, published
        Our number(s) and the paper's, formatted for a table.
    data
        What the verdict ran on (dataset, training size, seeds).
    status
        The paper statement's status, when it is not the verdict's outcome read
        directly (holds -> reproduced, does not hold -> not reproduced, otherwise not
        testable here), e.g. ``partly`` for a level that matches at some sizes.
    """

    verdict: Verdict
    paper: str = ""
    ours: str = ""
    published: str = ""
    data: str = ""
    status: str = ""

    def __post_init__(self) -> None:
        if self.status and self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {self.status!r}")

    @property
    def claim(self) -> str:
        return self.verdict.claim

    @property
    def outcome(self) -> str:
        return self.verdict.outcome

    @property
    def paper_status(self) -> str:
        """reproduced / partly / not reproduced / not testable here."""
        return self.status or _FROM_OUTCOME.get(self.verdict.outcome, NOT_TESTABLE)

    def sentence(self) -> str:
        return self.verdict.sentence()


def sentences(claims: list[Claim]) -> str:
    """The claims as a Markdown list, one line each, for a chapter or the results page."""
    return "\n".join(f"- {claim.sentence()}" for claim in claims)

"""The claims of the audio chapter (04), decided from its records.

:func:`audio_claims` is the chapter's one decider (declared in
:mod:`latentlib.audio.chapters`): the executed chapter prints what it returns, and so do
the results page, the "What reproduced" page and the reproduction check. Its parts, in
the chapter's order:

- :func:`quality_claims`: the paper's pooled (GAP) embedding against PCA of the log-mel
  and the untrained network (same size: silhouette, ACC, NMI, ARI, linear probe), and
  against the mean log-mel spectrum (another size: class scores, neighbour precision and
  the linear probe, no silhouette);
- :func:`ablation_claims`: the true-bottleneck ablation against the paper's embedding;
- :func:`reconstruction_claims`: each trained network's held-out reconstruction error against
  the mean training spectrogram's (a model that does not beat it learned nothing);
- :func:`ring_claims`: do the clusters split classes by ring time beyond chance (the
  within-class eta squared against the same with the clusters shuffled), per method.

Every verdict is :func:`latentlib.evaluation.verdicts.beats` over the seeds (95% Welch
interval). :func:`audio_findings` writes the chapter's conclusion from the claims alone.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from latentlib.audio.study import (AUTOENCODER, MEAN_SPECTRUM, MODELS, PCA, TRUE_BOTTLENECK, UNTRAINED,
                                   verdict_rows)
from latentlib.book.tables import mean_std
from latentlib.evaluation.claims import NOT_REPRODUCED, PARTLY, Claim
from latentlib.evaluation.verdicts import beats

Records = list[dict[str, Any]]

#: scores compared between embeddings of the same size
EQUAL_SIZE_SCORES = ("silhouette", "acc", "nmi", "ari", "linear_probe")
#: scores compared with the mean log-mel spectrum (another size: no silhouette)
OTHER_SIZE_SCORES = ("acc", "nmi", "ari", "neighbour_precision", "linear_probe")
#: the networks whose held-out reconstruction is judged against the mean training spectrogram
RECONSTRUCTING = (AUTOENCODER, TRUE_BOTTLENECK)
MEAN_SPECTROGRAM = "mean training spectrogram"
#: methods whose clusters are tested against shuffled clusters for the ring time
RING_METHODS = (AUTOENCODER, PCA, UNTRAINED)
SHUFFLED = " (shuffled)"
WITHIN, WITHIN_SHUFFLED = "ring_by_cluster_within_class", "ring_by_cluster_within_class_shuffled"
NAMES = {"silhouette": "silhouette", "acc": "ACC", "nmi": "NMI", "ari": "ARI",
         "neighbour_precision": "neighbour precision", "linear_probe": "linear-probe accuracy"}
#: how the prose names each method
PROSE = {AUTOENCODER: "the paper's pooled (GAP) embedding", PCA: "PCA of the log-mel spectrogram",
         UNTRAINED: "the untrained network", TRUE_BOTTLENECK: "the true-bottleneck ablation",
         MEAN_SPECTRUM: "the mean log-mel spectrum"}

#: the held-out groups the claims' data line names one by one; more are counted
MAX_NAMED_GROUPS = 10
#: the paper's statements (III-B, IV-C) the chapter tests
PAPER_SS = ("IV-C: audio gives results similar to the ablation studies, where the autoencoder's latent space "
            "has a higher SS than PCA (Table II)")
PAPER_CLASSES = ("IV-C: the clusters formed for audio spectrograms are well defined, i.e. the conv autoencoder's "
                 "GAP embedding clusters the sound classes (judged against PCA of the log-mel, in ACC)")
PAPER_TRAINED = ("III-B / IV-C: the embedding learned by the autoencoder clusters the sound classes "
                 "(trained beats the untrained network of the same architecture, in ACC)")
PAPER_STATEMENTS = {(PCA, "silhouette"): PAPER_SS, (PCA, "acc"): PAPER_CLASSES, (UNTRAINED, "acc"): PAPER_TRAINED}
NO_NUMBER = "none (the paper gives no audio numbers)"


def runs_table(records: Records) -> pd.DataFrame:
    """One row per record: ``method`` (the chapter's name of it), ``embedding_size``,
    ``seed``, ``split`` and every metric; the same table as the study's ``runs``."""
    by_model = {model: method for method, model in MODELS.items()}
    rows = [{"method": r["run"].get("label") or by_model[r["run"]["model"]],
             "embedding_size": int(r["run"]["embedding_size"]), "seed": r["run"]["seed"],
             "split": "held-out", **r["metrics"]} for r in records]
    return pd.DataFrame(rows)


def claim_text(better: str, worse: str, metric: str) -> str:
    """How a comparison claim reads (the chapter's tables and the findings find it by it)."""
    return f"{better} > {worse} in {metric}"


def ring_text(method: str) -> str:
    return f"{method}: clusters split classes by ring time beyond chance"


def _data(records: Records) -> str:
    first = records[0]
    data = first.get("data", {})
    seeds = sorted({r["run"]["seed"] for r in records})
    groups = data.get("test_groups") or []
    # a few folds or kits are named; dozens of source recordings are counted (the records name them)
    split = (f"{len(groups)} held-out {data.get('group_kind', 'group')}s" if len(groups) > MAX_NAMED_GROUPS
             else data.get("split", "held-out groups"))
    return (f"{data.get('source', 'audio clips')}: {int(data.get('n_train', 0)):,} training clips, "
            f"{int(data.get('n_test', 0)):,} held-out clips ({split}), "
            f"{first['config'].get('epochs')} epochs, seeds {seeds}")


def _score(runs: pd.DataFrame, method: str, metric: str, digits: int = 3) -> str:
    values = runs.loc[runs["method"] == method, metric].astype(float).dropna() if metric in runs else pd.Series()
    return mean_std(float(values.mean()), float(values.std()), digits) if len(values) else "–"


def _compare(runs: pd.DataFrame, better: str, worse: str, metric: str, *, by: str = "embedding_size",
             paper: str = "", data: str = "", claim: str | None = None) -> Claim:
    if metric not in runs:  # records from before the metric existed: compared on nothing, not shown
        runs = runs.assign(**{metric: float("nan")})
    verdict = beats(runs, better=better, worse=worse, metric=metric, by=by,
                    claim=claim or claim_text(better, worse, metric))
    claim = Claim(verdict, paper=paper, ours=f"{_score(runs, better, metric)} vs {_score(runs, worse, metric)}",
                  published=NO_NUMBER if paper else "", data=data)
    return replace(claim, status=paper_status(claim)) if paper else claim


def paper_status(claim: Claim) -> str:
    """The status of the paper's statement a comparison tests, where the outcome alone
    does not give it: a tie (the claim not shown, though both sides were scored) leaves
    the statement **not reproduced**, not untestable; better at some groups and tied at
    the others is **partly**. ``""`` (read the outcome) otherwise."""
    found = relation(claim)
    if found in ("ties", "loses to"):
        return NOT_REPRODUCED
    if found == "is mixed against":
        return PARTLY if "better" in set(claim.verdict.evidence["outcome"]) else NOT_REPRODUCED
    return ""


def quality_claims(records: Records) -> list[Claim]:
    """The paper's embedding against PCA and the untrained network (same size), then
    against the mean log-mel spectrum (another size, compared on the held-out split)."""
    if not records:
        return []
    runs, data = runs_table(records), _data(records)
    claims = [_compare(runs, AUTOENCODER, baseline, metric, paper=PAPER_STATEMENTS.get((baseline, metric), ""),
                       data=data)
              for baseline in (PCA, UNTRAINED) for metric in EQUAL_SIZE_SCORES]
    claims += [_compare(runs, AUTOENCODER, MEAN_SPECTRUM, metric, by="split", data=data)
               for metric in OTHER_SIZE_SCORES]
    return claims


def ablation_claims(records: Records) -> list[Claim]:
    """Does the true bottleneck (decoder fed the pooled vector alone) beat the paper's embedding?"""
    if not records:
        return []
    runs, data = runs_table(records), _data(records)
    return [_compare(runs, TRUE_BOTTLENECK, AUTOENCODER, metric, data=data) for metric in EQUAL_SIZE_SCORES]


def reconstruction_text(method: str) -> str:
    return f"{method} reconstructs held-out spectrograms better than the {MEAN_SPECTROGRAM}"


def reconstruction_claims(records: Records) -> list[Claim]:
    """Can each trained network reconstruct? Its held-out MSE against that of the mean
    training spectrogram (the same for every seed): a network that does not beat it
    learned nothing its embedding could be judged on."""
    if not records:
        return []
    runs, data = runs_table(records), _data(records)
    if "heldout_mse" not in runs:
        return []
    runs = runs.dropna(subset=["heldout_mse"])
    # lower MSE is better: compare the negated errors, so "beats" reads the same way
    errors = pd.concat([runs.assign(score=-runs["heldout_mse"]),
                        runs.assign(method=MEAN_SPECTROGRAM, score=-runs["mean_spectrogram_mse"])],
                       ignore_index=True)
    claims = []
    for method in RECONSTRUCTING:
        verdict = beats(errors[errors["method"].isin([method, MEAN_SPECTROGRAM])].drop_duplicates(["method", "seed"]),
                        better=method, worse=MEAN_SPECTROGRAM, metric="score", by="split",
                        claim=reconstruction_text(method))
        ours = (f"held-out MSE {_score(runs, method, 'heldout_mse', 4)} vs "
                f"{_score(runs, method, 'mean_spectrogram_mse', 4)}")
        claims.append(Claim(verdict, ours=ours, data=data))
    return claims


def ring_claims(records: Records) -> list[Claim]:
    """Per method: do its clusters explain more of the ring time inside each class than
    the same clusters shuffled inside each class (chance)?"""
    if not records:
        return []
    runs, data = runs_table(records), _data(records)
    within = pd.concat([runs.assign(score=runs[WITHIN]),
                        runs.assign(method=runs["method"] + SHUFFLED, score=runs[WITHIN_SHUFFLED])],
                       ignore_index=True)
    claims = []
    for method in RING_METHODS:
        verdict = beats(within, better=method, worse=method + SHUFFLED, metric="score", claim=ring_text(method))
        claims.append(Claim(verdict, ours=f"{_score(runs, method, WITHIN)} vs {_score(runs, method, WITHIN_SHUFFLED)}"
                                          " shuffled", data=data))
    return claims


def audio_claims(records: Records) -> list[Claim]:
    """Every verdict chapter 04 states, decided from its records."""
    return reconstruction_claims(records) + quality_claims(records) + ablation_claims(records) + ring_claims(records)


def claims_table(claims: list[Claim]) -> pd.DataFrame:
    """Claim, verdict, the mean difference with its 95% interval and the Welch outcome,
    our numbers, and the paper's statement the claim tests (if any), one row each."""
    table = verdict_rows([claim.verdict for claim in claims])
    table["ours"] = [claim.ours for claim in claims]
    table["paper's statement"] = [claim.paper for claim in claims]
    return table


# --- the chapter's conclusion, written from the claims -------------------------------------------


def _find(claims: list[Claim], text: str) -> Claim | None:
    return next((claim for claim in claims if claim.claim == text), None)


def relation(claim: Claim | None) -> str:
    """What the Welch comparison behind ``claim`` found, as a verb: ``beats``, ``loses
    to``, ``ties``, ``is mixed against`` (different groups disagree), or ``cannot be
    compared with`` (no usable runs)."""
    if claim is None:
        return "cannot be compared with"
    evidence = claim.verdict.evidence
    found = set(evidence["outcome"]) - {"missing"} if len(evidence) and "outcome" in evidence else set()
    if not found:
        return "cannot be compared with"
    if len(found) > 1:
        return "is mixed against"
    return {"better": "beats", "worse": "loses to", "tie": "ties"}.get(found.pop(), "is mixed against")


def _versus(claims: list[Claim], better: str, worse: str, metric: str, *, name: str | None = None,
            say_metric: bool = True) -> str:
    """``**loses to** PCA of the log-mel spectrogram in ACC (0.378 ± 0.027 vs 0.543 ± 0)``;
    ``name`` replaces how ``worse`` is named, ``say_metric=False`` leaves out ``in ACC``."""
    claim = _find(claims, claim_text(better, worse, metric))
    numbers = f" ({claim.ours})" if claim is not None and claim.ours else ""
    where = f" in {NAMES[metric]}" if say_metric else ""
    return f"**{relation(claim)}** {PROSE[worse] if name is None else name}{where}{numbers}"


def _beats(claims: list[Claim], better: str, worse: str, metric: str) -> bool:
    claim = _find(claims, claim_text(better, worse, metric))
    return claim is not None and relation(claim) == "beats"


def _ring_phrase(claim: Claim | None) -> str:
    verb = relation(claim)
    phrase = {"beats": "beyond chance", "ties": "no more than chance", "loses to": "less than chance"}.get(
        verb, "not at every size beyond chance" if verb == "is mixed against" else "cannot be judged")
    return f"**{phrase}**" + (f" ({claim.ours})" if claim is not None and claim.ours else "")


def reconstruction_finding(claims: list[Claim]) -> str:
    """Whether each trained network reconstructs better than the mean spectrogram ("" without those claims)."""
    rebuilt = {method: _find(claims, reconstruction_text(method)) for method in RECONSTRUCTING}
    if all(claim is None for claim in rebuilt.values()):
        return ""
    names = {AUTOENCODER: "The paper's autoencoder", TRUE_BOTTLENECK: "the true-bottleneck autoencoder"}
    sentence = "**Can the networks reconstruct?** " + "; ".join(
        f"{names[method]} **{relation(claim)}** the {MEAN_SPECTROGRAM} at reconstructing the held-out clips"
        + (f" ({claim.ours})" if claim is not None and claim.ours else "") for method, claim in rebuilt.items()) + "."
    if relation(rebuilt[AUTOENCODER]) != "beats":
        sentence += (" A network that reconstructs no better than the average spectrogram has learned nothing "
                     "its embedding could be judged on: the comparisons below say nothing about training.")
    return sentence


def audio_findings(claims: list[Claim]) -> str:
    """The chapter's conclusion in Markdown, every statement read off the verdicts of
    ``claims`` (from :func:`audio_claims`): how the paper's pooled embedding compares
    with PCA and the untrained network, what that says of the paper's statements, the
    ablation, the mean spectrum, and the ring time."""
    if not claims:
        return "No records: nothing to conclude."
    data = claims[0].data
    ae = PROSE[AUTOENCODER]
    acc_pca = relation(_find(claims, claim_text(AUTOENCODER, PCA, "acc")))
    acc_untrained = relation(_find(claims, claim_text(AUTOENCODER, UNTRAINED, "acc")))
    def both(metric: str) -> str:
        return (f"{_versus(claims, AUTOENCODER, PCA, metric)} and "
                f"{_versus(claims, AUTOENCODER, UNTRAINED, metric, say_metric=False)}")

    paragraphs = [reconstruction_finding(claims),
        f"**Does the pooled embedding cluster the sound classes?** On {data}, scored on the held-out clips "
        f"(**ties**: the 95% Welch interval of the difference over the seeds contains 0), {ae} {both('acc')}. It {both('nmi')}; it "
        f"{both('ari')}; it {both('silhouette')}; read with the labels by a linear probe, it {both('linear_probe')}."]

    verdict = []
    if acc_pca == "beats" and acc_untrained == "beats":
        verdict.append("So training adds class structure that neither a linear projection of the input nor the "
                       "architecture alone gives: the paper's statement that the clusters are well defined holds "
                       "here against both references.")
    if acc_pca == "loses to":
        verdict.append("PCA of the log-mel, with as many dimensions, clusters the classes better than the paper's "
                       "embedding: against that reference, the paper's statement that the clusters are well "
                       "defined is **not reproduced** here.")
    elif acc_pca == "ties":
        verdict.append("The paper's embedding is not shown to cluster the classes better than PCA of the log-mel "
                       "with as many dimensions (the difference is within the seed noise): against that reference, "
                       "the paper's statement that the clusters are well defined is **not reproduced** here.")
    if acc_untrained in ("ties", "loses to"):
        either = " either" if acc_pca in ("ties", "loses to") else ""
        verdict.append(("The untrained network of the same architecture clusters the classes better"
                        if acc_untrained == "loses to" else
                        "Nor is it shown to cluster them better than the untrained network of the same architecture")
                       + f": training adds no class structure that these seeds can measure, so that the trained "
                         f"embedding beats the untrained one is **not reproduced**{either}.")
    if _beats(claims, AUTOENCODER, PCA, "silhouette") and acc_pca != "beats":
        verdict.append("Its higher silhouette than PCA says its clusters are more compact, not that they are "
                       "the classes.")
    paragraphs.append(" ".join(verdict) or "The comparisons in ACC are mixed or missing: they say nothing "
                                           "about the paper's statement here.")

    ablation = _versus(claims, TRUE_BOTTLENECK, AUTOENCODER, "acc", name="the paper's embedding")
    sentence = f"**A true bottleneck.** {PROSE[TRUE_BOTTLENECK].capitalize()} {ablation}"
    if _beats(claims, TRUE_BOTTLENECK, AUTOENCODER, "acc"):
        sentence += (": making the pooled vector the decoder's only input puts more of the classes in it than "
                     "the paper's design, whose decoder reads the full bottleneck maps")
    paragraphs.append(sentence + ".")

    other = ", ".join(_versus(claims, AUTOENCODER, MEAN_SPECTRUM, metric, name="it")
                      for metric in OTHER_SIZE_SCORES)
    paragraphs.append(f"**Against the mean log-mel spectrum** (another size, so its silhouette is not compared), "
                      f"{ae}: {other}.")

    rings = {method: _find(claims, ring_text(method)) for method in RING_METHODS}
    sentence = (f"**Ring time.** Inside each class, the clusters of {ae} split the clips by how long they ring "
                f"{_ring_phrase(rings[AUTOENCODER])}; those of PCA {_ring_phrase(rings[PCA])}; those of the "
                f"untrained network {_ring_phrase(rings[UNTRAINED])} (eta squared against the same clusters "
                f"shuffled inside each class)")
    if all(relation(claim) == "beats" for claim in rings.values()):
        sentence += ": the decay is in every embedding's clusters, so it needs no training"
    paragraphs.append(sentence + ".")
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


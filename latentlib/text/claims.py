"""The claims of the text chapter (05), decided from its records.

:func:`text_claims` is the chapter's one decider (declared in
:mod:`latentlib.text.chapters`): the executed chapter prints what it returns (through
:func:`decide`, the same claims by key), and so do the results page, the "What
reproduced" page and the reproduction check. Every verdict reads only the records
(``latentlib.text.study`` writes one per representation, seed, size and length control).

The claims, by key:

- ``reconstructs:{daae,ae}``: the model puts at least ``RECONSTRUCTS_ACC`` of the
  held-out known words back in place (mean over seeds);
- ``own_code:{daae,ae}``: a sentence's own code reconstructs more held-out known words
  than another sentence's code (Welch interval over seeds);
- ``separates:daae``: **the paper's claim** (IV-C), judged on the DAAE, the model the
  paper used: its K-Means clusters after PCA carry sentiment (mean NMI at least
  ``INFORMATIVE_NMI`` at some size). The paper says they do not, so *does not hold*
  reproduces it. When the DAAE does not reach the reconstruction bar, its codes do not
  stand for its sentences: *not shown*, not testable with this model and data;
- ``separates:ae``: the same for the plain autoencoder (ours);
- ``separates:tfidf``: the positive control, TF-IDF + SVD with no network: does the
  2-means test find sentiment at all on this data (its power);
- ``tfidf_vs:daae``: TF-IDF + SVD's clusters carry more sentiment (NMI) than the DAAE's;
- ``probe:{daae,ae,tfidf}``: a linear probe reads sentiment above the majority-class
  rate (Welch interval over seeds against the fixed rate);
- ``probe:daae_vs_ae``: the DAAE's probe beats the plain AE's (a tie does not);
- ``length:{daae,ae,tfidf}``: sentence length dominates the first component and the
  clusters (then the silhouette measures length);
- ``ablation:{variant}:{metric}``: each ingredient of the DAAE against the plain AE.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from latentlib.evaluation.claims import NOT_REPRODUCED, NOT_TESTABLE, REPRODUCED, Claim
from latentlib.evaluation.verdicts import DOES_NOT_HOLD, HOLDS, NOT_SHOWN, Verdict, beats
from latentlib.text.findings import (INFORMATIVE_NMI, LENGTH_NMI, LENGTH_R, RECONSTRUCTS_ACC, against, fit_table,
                                     labels, majority_rate, raw_scores)
from latentlib.text.study import ABLATIONS, MAIN

Records = list[dict[str, Any]]

NOT_TESTABLE_REASON = "not testable with this model and data"

PAPER_SEPARABILITY = ("IV-C: the denoising adversarial autoencoder was not able to produce embeddings that are "
                      "clearly separable by sentiment (silhouette after PCA at several sizes)")
PUBLISHED_SEPARABILITY = "no numbers (silhouette after PCA, not reported)"
MAJORITY = "majority class"
#: ablation metric -> its words
ABLATION_METRICS = {"clean_known": "held-out known words, clean input",
                    "noisy_known": "held-out known words, noisy input",
                    "best_nmi": "best NMI of its clusters with sentiment"}


def _data(records: Records) -> str:
    first = records[0]
    data, config = first.get("data", {}), first.get("config", {})
    source = str(data.get("source", config.get("data_source", "")))
    source = source.split(": ", 1)[-1] if ": " in source else source
    return (f"{source}: {int(data.get('n_train', 0)):,} training / {int(data.get('n_test', 0)):,} held-out "
            f"sentences; seeds {list(config.get('seeds', []))}, ablations {list(config.get('ablation_seeds', []))}; "
            f"{config.get('epochs')} epochs")


_FROM_SIDE = {"better": HOLDS, "worse": DOES_NOT_HOLD}
_THRESHOLD_RULE = ("95% Welch interval over seeds of the mean entirely above {c:g} (holds), entirely below "
                   "(does not hold), else not shown; with one seed, the mean beyond {c:g} +-0.01")


def _span(row: dict) -> str:
    low, high = float(row["low"]), float(row["high"])
    return "" if low == high else f" [{low:+.3f}, {high:+.3f}]"


def _reconstructs(fits: pd.DataFrame, variant: str, label: str) -> Verdict:
    part = fits[(fits["variant"] == variant) & fits["clean_known"].notna()]
    claim = (f"The {label} reconstructs: it puts at least {RECONSTRUCTS_ACC:.0%} of the held-out known words "
             "back in place")
    rule = ("held-out known-word token accuracy of greedy decoding from the clean sentence's code: "
            + _THRESHOLD_RULE.format(c=RECONSTRUCTS_ACC))
    if part.empty:
        return Verdict(claim, NOT_SHOWN, rule + "; no fit of this model in the records")
    side = against(part["clean_known"], RECONSTRUCTS_ACC)
    mean = float(part["clean_known"].mean())
    evidence = part[["seed", "clean_known", "other_known", "train_clean_known"]].reset_index(drop=True)
    span = f", difference from the bar{_span(side)}" if _span(side) else ""
    return Verdict(claim, _FROM_SIDE.get(str(side["outcome"]), NOT_SHOWN),
                   f"{rule}: {mean:.3f}{span} ({len(part)} seed{'s' if len(part) != 1 else ''})", evidence)


def _own_code(fits: pd.DataFrame, variant: str, label: str) -> Verdict:
    part = fits[(fits["variant"] == variant) & fits["clean_known"].notna()]
    runs = pd.concat([part.assign(method="own code", known=part["clean_known"]),
                      part.assign(method="another sentence's code", known=part["other_known"])]).assign(model=label)
    return beats(runs, better="own code", worse="another sentence's code", metric="known", by="model",
                 claim=f"The {label}'s own code puts back more held-out known words than another sentence's code")


def _per_size(raw: pd.DataFrame, variant: str, metric: str, threshold: float) -> pd.DataFrame:
    """Per size: the mean of ``metric`` over seeds, and its interval against ``threshold``."""
    rows = []
    for size, part in raw[raw["variant"] == variant].groupby("embedding_size"):
        side = against(part[metric], threshold)
        rows.append({"embedding_size": int(size), "n": int(part[metric].notna().sum()),
                     "mean": float(part[metric].mean()), "threshold": threshold,
                     **{k: side[k] for k in ("difference", "low", "high", "outcome")}})
    return pd.DataFrame(rows)


def _some_size(evidence: pd.DataFrame) -> str:
    """Above the threshold at some size: holds; below it at every size: does not hold."""
    if evidence.empty:
        return NOT_SHOWN
    if (evidence["outcome"] == "better").any():
        return HOLDS
    return DOES_NOT_HOLD if (evidence["outcome"] == "worse").all() else NOT_SHOWN


def _best(raw: pd.DataFrame, variant: str) -> tuple[float, float, int]:
    """The best mean NMI over sizes, its size, and the best mean ACC."""
    means = raw[raw["variant"] == variant].groupby("embedding_size")[["nmi", "acc"]].mean()
    if means.empty:
        return float("nan"), float("nan"), 0
    return float(means["nmi"].max()), float(means["acc"].max()), int(means["nmi"].idxmax())


def _separates(raw: pd.DataFrame, variant: str, label: str, *, reach: Verdict | None, majority: float | None,
               beside: str = "") -> Verdict:
    """Do ``variant``'s clusters carry sentiment? Not shown, not testable, when it is not
    shown to reconstruct (``reach`` None: a representation with nothing to reconstruct)."""
    evidence = _per_size(raw, variant, "nmi", INFORMATIVE_NMI)
    claim = (f"The {label}'s K-Means clusters carry sentiment "
             f"(NMI with the labels above {INFORMATIVE_NMI:g} at some size)")
    rule = ("NMI of the 2-means clusters with the sentiment labels at each size, 95% Welch interval over seeds: "
            f"above {INFORMATIVE_NMI:g} at some size (holds), below it at every size (does not hold), else not "
            f"shown; with one seed, the mean beyond {INFORMATIVE_NMI:g} +-0.01")
    if evidence.empty:
        return Verdict(claim, NOT_SHOWN, rule + "; no runs of this model in the records", evidence)
    nmi, acc, size = _best(raw, variant)
    against_rate = f" (majority-class rate {majority:.3f})" if majority is not None else ""
    measured = f"best mean NMI {nmi:.3f} at size {size}, best ACC {acc:.3f}{against_rate}"
    if reach is not None and reach.outcome != HOLDS:
        # the rule first, then what was found after the last ": " (no ": " inside it: the
        # "What reproduced" page splits the two there)
        mean = float(reach.evidence["clean_known"].mean()) if len(reach.evidence) else float("nan")
        where = "below" if reach.outcome == DOES_NOT_HOLD else "within the noise of"
        return Verdict(claim, NOT_SHOWN,
                       f"{NOT_TESTABLE_REASON} ({rule}, on a model shown to put back at least "
                       f"{RECONSTRUCTS_ACC:.0%} of the held-out known words): the {label} puts {mean:.1%} of them "
                       f"back in place, {where} the bar, so its codes do not stand for its sentences; {measured}"
                       f"{beside}", evidence)
    return Verdict(claim, _some_size(evidence), f"{rule}: {measured}{beside}", evidence)


def _probe_runs(fits: pd.DataFrame, raw: pd.DataFrame, variant: str, label: str) -> pd.DataFrame:
    part = fits[(fits["variant"] == variant) & fits["probe_acc"].notna()]
    largest = raw.loc[raw["variant"] == variant, "embedding_size"].max()
    return part.assign(method=label, embedding_size=largest)


def _probe(fits: pd.DataFrame, raw: pd.DataFrame, variant: str, label: str, majority: float | None) -> Verdict:
    claim = f"A linear probe reads sentiment from the {label} above the majority-class rate"
    runs = _probe_runs(fits, raw, variant, label)
    if runs.empty or majority is None:
        return Verdict(claim, NOT_SHOWN, "logistic regression on the training codes at the largest size, scored on "
                                         "the held-out ones; these records hold no probe accuracy or majority-class "
                                         "rate (recorded by the chapter from this version on)")
    rate = runs.assign(method=MAJORITY, probe_acc=majority)  # one row per seed: a fixed rate, no spread
    return beats(pd.concat([runs, rate]), better=label, worse=MAJORITY, metric="probe_acc", claim=claim)


def _probe_pair(fits: pd.DataFrame, raw: pd.DataFrame, names: dict[str, str]) -> Verdict:
    claim = f"A linear probe reads more sentiment from the {names['daae']} than from the {names['ae']}"
    runs = pd.concat([_probe_runs(fits, raw, v, names[v]) for v in MAIN])
    if runs.empty or runs["method"].nunique() < 2:
        return Verdict(claim, NOT_SHOWN, "these records hold no probe accuracy of both models")
    return beats(runs.assign(embedding_size=runs["embedding_size"].max()), better=names["daae"],
                 worse=names["ae"], metric="probe_acc", claim=claim)


def _length(raw: pd.DataFrame, variant: str, label: str) -> Verdict:
    claim = f"Sentence length dominates the {label}'s first principal component and its clusters"
    rule = (f"|r| of the first component with length above {LENGTH_R:g} at the smallest size and length NMI of "
            f"the clusters above {LENGTH_NMI:g} at some size, each by its 95% Welch interval over seeds (holds); "
            "either shown below (does not hold); else not shown")
    r = _per_size(raw, variant, "pc1_length_r", LENGTH_R)
    split = _per_size(raw, variant, "length_nmi", LENGTH_NMI)
    if r.empty:
        return Verdict(claim, NOT_SHOWN, rule + "; no runs of this model in the records")
    first = r.iloc[0]
    along, by_length = _FROM_SIDE.get(first["outcome"], NOT_SHOWN), _some_size(split)
    outcome = (HOLDS if along == HOLDS and by_length == HOLDS else
               DOES_NOT_HOLD if DOES_NOT_HOLD in (along, by_length) else NOT_SHOWN)
    evidence = r[["embedding_size", "mean"]].rename(columns={"mean": "pc1_length_r"}).merge(
        split[["embedding_size", "mean"]].rename(columns={"mean": "length_nmi"}), on="embedding_size")
    return Verdict(claim, outcome, f"{rule}: |r| = {first['mean']:.2f} at size {int(first['embedding_size'])}, "
                                   f"length NMI up to {split['mean'].max():.2f}", evidence)


def _ablation(fits: pd.DataFrame, variant: str, metric: str, names: dict[str, str]) -> Verdict:
    runs = fits[fits["variant"].isin([variant, "ae"])].assign(comparison=ABLATION_METRICS[metric])
    return beats(runs, better=names[variant], worse=names["ae"], metric=metric, by="comparison",
                 claim=f"{names[variant]} > {names['ae']} in {ABLATION_METRICS[metric]}")


def _status(verdict: Verdict) -> str:
    """The paper says the DAAE's codes are NOT separable: a verdict that they separate
    that does not hold reproduces it."""
    return {HOLDS: NOT_REPRODUCED, DOES_NOT_HOLD: REPRODUCED}.get(verdict.outcome, NOT_TESTABLE)


def decide(records: Records) -> dict[str, Claim]:
    """Every claim of chapter 05 by key (see the module's docstring), decided from ``records``."""
    if not records:
        return {}
    names = labels(records)
    fits, raw = fit_table(records), raw_scores(records)
    majority = majority_rate(records)
    data = _data(records)
    out: dict[str, Claim] = {}

    reach = {v: _reconstructs(fits, v, names[v]) for v in MAIN}
    for v in MAIN:
        known = fits.loc[fits["variant"] == v, "clean_known"].mean()
        out[f"reconstructs:{v}"] = Claim(reach[v], ours=f"{known:.3f}", data=data)
    for v in MAIN:
        out[f"own_code:{v}"] = Claim(_own_code(fits, v, names[v]), data=data)

    # the positive control first: its outcome is stated beside the DAAE's verdict
    control = _separates(raw, "tfidf", names["tfidf"], reach=None, majority=majority)
    control_probe = _probe(fits, raw, "tfidf", names["tfidf"], majority)
    power = {HOLDS: "finds sentiment in TF-IDF + SVD", DOES_NOT_HOLD: "finds none in TF-IDF + SVD"}.get(
        control.outcome, "is not shown on TF-IDF + SVD")
    beside = (f"; beside it the positive control, 2-means, {power}" +
              (f", and a linear probe on TF-IDF + SVD above the majority class {control_probe.outcome}"
               if control_probe.outcome != NOT_SHOWN else ""))
    for v in MAIN:
        nmi, acc, _ = _best(raw, v)
        verdict = _separates(raw, v, names[v], reach=reach[v], majority=majority, beside=beside)
        ours = f"best NMI {nmi:.3f}, best ACC {acc:.3f}" + (f" (majority {majority:.3f})" if majority else "") \
            + f"; {fits.loc[fits['variant'] == v, 'clean_known'].mean():.1%} of held-out known words"
        out[f"separates:{v}"] = Claim(verdict, paper=PAPER_SEPARABILITY if v == "daae" else "", ours=ours,
                                      published=PUBLISHED_SEPARABILITY if v == "daae" else "", data=data,
                                      status=_status(verdict) if v == "daae" else "")
    nmi, acc, _ = _best(raw, "tfidf")
    out["separates:tfidf"] = Claim(control, ours=f"best NMI {nmi:.3f}, best ACC {acc:.3f}"
                                   + (f" (majority {majority:.3f})" if majority else ""), data=data)
    out["tfidf_vs:daae"] = Claim(beats(raw, better=names["tfidf"], worse=names["daae"], metric="nmi",
                                       claim=f"{names['tfidf']} clusters carry more sentiment (NMI) than the "
                                             f"{names['daae']}'s"), data=data)

    for v in (*MAIN, "tfidf"):
        verdict = control_probe if v == "tfidf" else _probe(fits, raw, v, names[v], majority)
        mean = fits.loc[fits["variant"] == v, "probe_acc"].mean()
        out[f"probe:{v}"] = Claim(verdict, ours=f"{mean:.3f} vs {majority:.3f}" if majority and mean == mean else "",
                                  data=data)
    out["probe:daae_vs_ae"] = Claim(_probe_pair(fits, raw, names), data=data)

    for v in (*MAIN, "tfidf"):
        out[f"length:{v}"] = Claim(_length(raw, v, names[v]), data=data)

    for v in ("daae", *ABLATIONS):
        if not (fits["variant"] == v).any():
            continue
        for metric in ABLATION_METRICS:
            out[f"ablation:{v}:{metric}"] = Claim(_ablation(fits, v, metric, names), data=data)
    return out


def text_claims(records: Records) -> list[Claim]:
    """Chapter 05: every verdict it states (see :func:`decide`)."""
    return list(decide(records).values())


def part(claims: dict[str, Claim], prefix: str) -> list[Claim]:
    """The claims whose key starts with ``prefix`` (``"ablation:"``, ``"probe:"``, ...)."""
    return [claim for key, claim in claims.items() if key.startswith(prefix)]


def evidence_table(claims: list[Claim]) -> pd.DataFrame:
    """One row per claim of one comparison each (the ablations): the difference of means,
    its 95% interval and the per-group outcome, beside the claim's outcome."""
    rows = [{"claim": c.claim, **{k: c.verdict.evidence.iloc[0][k] for k in ("difference", "low", "high", "outcome")
                                  if k in c.verdict.evidence}, "verdict": c.outcome}
            for c in claims if len(c.verdict.evidence)]
    return pd.DataFrame(rows).set_index("claim") if rows else pd.DataFrame()

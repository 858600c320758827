"""The text chapter's rules, the tables its claims read from the records, and its prose.

The thresholds live here, with why, so that no number is typed in the notebook; each
is judged by :func:`against`, the verdicts' 95% interval over seeds (a mean inside the
noise of a threshold is on neither side of it: *not shown*):

- a model **reconstructs** when greedy decoding from its code reproduces at least
  ``RECONSTRUCTS_ACC`` of the held-out tokens in place, counting only
  positions whose word is in the vocabulary (an ``<unk>`` hit is too easy to count):
  only then do its codes stand for the sentences, and only then can their clusters
  speak for the paper's claim;
- clusters **carry sentiment** when their NMI with the labels is above ``INFORMATIVE_NMI``
  at some size (two random clusters score about 0);
- a representation is **dominated by length** when its first principal component
  correlates with sentence length at ``|r| > LENGTH_R`` and its clusters split by length
  (length NMI above ``LENGTH_NMI``).

Comparisons (own code vs another sentence's code, a probe vs the majority-class rate,
one model vs another) are decided by :func:`latentlib.evaluation.verdicts.beats`, in
:mod:`latentlib.text.claims`, and the prose below words them from those verdicts (a
difference inside the noise is called a tie, never a win).

The chapter's prose (:func:`reconstruction_prose`, :func:`run_summary`,
:func:`verdict_prose`) is written here from the records and the claims decided on them,
so that the notebook only displays it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from latentlib.evaluation.verdicts import compare
from latentlib.text.study import MAIN, RECIPE_WORD_DROP, labels_for

Records = list[dict[str, Any]]

#: held-out token accuracy (known words) from which a model counts as reconstructing:
#: more than half of the words back in place (the issue's bar for "a text autoencoder")
RECONSTRUCTS_ACC = 0.5
#: NMI of two K-Means clusters with sentiment from which they carry information
INFORMATIVE_NMI = 0.05
#: |r| of the first principal component with sentence length, and the length NMI of the clusters
LENGTH_R = 0.5
LENGTH_NMI = 0.1
#: the paper's text data (IV-A): "Yelp reviews. It contains 10000 samples of reviews [...]
#: The test dataset contains 1000 samples of positive reviews and 1000 samples of negative reviews"
PAPER_REVIEWS = 10_000
PAPER_TEST = 2_000

#: per fit (variant, seed): column -> the record metric it is read from
FIT_COLUMNS = {"clean_known": "test_clean_token_acc_known", "noisy_known": "test_noisy_token_acc_known",
               "other_known": "test_other_code_token_acc_known",
               "train_clean_known": "train_clean_token_acc_known", "probe_acc": "probe_acc"}


# ---------------------------------------------------------------- rules

def against(values: Any, threshold: float) -> dict[str, float | str]:
    """Per-seed ``values`` against a fixed ``threshold``: the mean's difference from it,
    its 95% interval over seeds and ``better`` (interval above), ``worse`` (below) or
    ``tie`` (straddles; with one seed, a difference within the verdicts' tolerance), by
    :func:`latentlib.evaluation.verdicts.compare` with the threshold as a side without
    spread."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return compare(values, np.full(len(values), float(threshold)))


# ---------------------------------------------------------------- tables from the records

def labels(records: Records) -> dict[str, str]:
    """Variant -> label, with the DAAE's weights (and word drop) of the records' config spelt out."""
    config = records[0].get("config", {}) if records else {}
    return labels_for(config.get("adversarial_weight", 1.0), config.get("other_adversarial_weight", 10.0),
                      config.get("word_drop", RECIPE_WORD_DROP))


def score_table(records: Records) -> pd.DataFrame:
    """One row per record: variant, its label (``method``), seed, size, length control and metrics."""
    names = labels(records)
    rows = []
    for r in records:
        run = r["run"]
        variant = run.get("variant", run.get("model"))
        rows.append({"variant": variant, "method": names.get(variant, variant), "seed": run["seed"],
                     "embedding_size": run["embedding_size"], "length_control": run["length_control"],
                     **r["metrics"]})
    return pd.DataFrame(rows)


def raw_scores(records: Records) -> pd.DataFrame:
    """The rows scored without the length control (the paper's protocol)."""
    table = score_table(records)
    return table[table["length_control"] == "none"] if len(table) else table


def fit_table(records: Records) -> pd.DataFrame:
    """One row per representation and seed: held-out known-word accuracy from the clean
    sentence, from its noisy copy and from another sentence's code, the same from the
    clean training sentences, the probe accuracy and the best NMI over sizes of its
    clusters with sentiment (NaN where the records hold no such score, e.g. TF-IDF)."""
    table = score_table(records)
    if table.empty:
        return pd.DataFrame(columns=["variant", "method", "seed", *FIT_COLUMNS, "best_nmi"])
    raw = table[table["length_control"] == "none"]
    rows = []
    for (variant, seed), part in table.groupby(["variant", "seed"], sort=False):
        first = part.iloc[0]
        row = {"variant": variant, "method": first["method"], "seed": seed}
        for column, metric in FIT_COLUMNS.items():
            values = part[metric].dropna() if metric in part else pd.Series(dtype=float)
            row[column] = float(values.iloc[0]) if len(values) else float("nan")
        nmi = raw[(raw["variant"] == variant) & (raw["seed"] == seed)]["nmi"]
        row["best_nmi"] = float(nmi.max()) if len(nmi) else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


#: the splits reconstructions are scored on, in the order tables show them
SPLITS = {"train": "training sentences", "test": "held-out sentences", "yelp": "Yelp sentences (out of domain)"}
#: per split: column -> the suffix of the record metric it is read from
SPLIT_SCORES = {"known-word acc": "clean_token_acc_known", "exact match": "clean_exact"}


def split_table(records: Records) -> pd.DataFrame:
    """The reconstruction table of the closing note: per model of the main pair and per
    split (training sample, held-out sample, out-of-domain Yelp sentences where recorded),
    known-word accuracy and exact match from the clean sentence's code (means over seeds),
    beside the positional baseline's on the same sentences."""
    fits: dict[tuple[str, int], dict[str, Any]] = {}
    for r in records:
        key = (r["run"].get("variant"), r["run"]["seed"])
        if key[0] in MAIN and key not in fits and "test_clean_token_acc_known" in r["metrics"]:
            fits[key] = r["metrics"]
    names = labels(records)
    rows = []
    for variant in MAIN:
        mine = [m for (v, _), m in fits.items() if v == variant]
        for split, words in SPLITS.items():
            if not mine or f"{split}_clean_token_acc_known" not in mine[0]:
                continue
            row = {"model": names[variant], "sentences": words, "seeds": len(mine)}
            for column, suffix in SPLIT_SCORES.items():
                row[column] = float(np.mean([m[f"{split}_{suffix}"] for m in mine]))
            row["baseline known-word acc"] = mine[0].get(f"baseline_{split}_token_acc_known", float("nan"))
            row["baseline exact match"] = mine[0].get(f"baseline_{split}_exact", float("nan"))
            rows.append(row)
    return pd.DataFrame(rows).set_index(["model", "sentences"]) if rows else pd.DataFrame()


def out_of_domain_probe(records: Records) -> pd.DataFrame:
    """Per representation: the linear probe's accuracy on the held-out sentences and on
    the out-of-domain Yelp sentences (the probe fitted on the training codes), beside each
    set's majority-class rate; empty when the records hold no out-of-domain scores."""
    names = labels(records)
    rows: dict[str, list[tuple[float, float]]] = {}
    seen = set()
    for r in records:
        run, metrics = r["run"], r["metrics"]
        key = (run.get("variant"), run["seed"])
        if key in seen or "yelp_probe_acc" not in metrics:
            continue
        seen.add(key)
        rows.setdefault(key[0], []).append((metrics["probe_acc"], metrics["yelp_probe_acc"]))
    if not rows:
        return pd.DataFrame()
    majority, yelp_majority = majority_rate(records), shared_metric(records, "yelp_majority_rate")
    return pd.DataFrame([{"representation": names.get(v, v), "seeds": len(pairs),
                          "held-out probe acc": float(np.mean([p[0] for p in pairs])),
                          "held-out majority": majority,
                          "Yelp probe acc": float(np.mean([p[1] for p in pairs])),
                          "Yelp majority": yelp_majority} for v, pairs in rows.items()]).set_index("representation")


def shared_metric(records: Records, metric: str) -> float | None:
    """A metric every record of the run carries alike (``majority_rate``, the baseline's
    accuracy); None when the records predate it."""
    values = [r["metrics"][metric] for r in records if r["metrics"].get(metric) is not None]
    return float(values[0]) if values else None


def majority_rate(records: Records) -> float | None:
    """Accuracy of always answering the held-out majority class; None when not recorded."""
    return shared_metric(records, "majority_rate")


def data_size(records: Records) -> str:
    """This run's sentences beside the paper's own 10,000 reviews."""
    data = records[0].get("data", {}) if records else {}
    n_train, n_test = int(data.get("n_train", 0)), int(data.get("n_test", 0))
    total = n_train + n_test
    return (f"This run trains on {n_train:,} sentences and scores {n_test:,} held-out ones ({total:,} in all); "
            f"the paper used {PAPER_REVIEWS:,} Yelp reviews, with a test set of {PAPER_TEST:,} "
            f"(1,000 per class): this run has {total / PAPER_REVIEWS:.0%} of the paper's data.")


# ---------------------------------------------------------------- prose

def _pct(x: float) -> str:
    return f"{x:.1%}"


def _mean(part: pd.DataFrame, column: str) -> float:
    return float(part[column].mean()) if len(part) and column in part else float("nan")


def reconstruction_prose(claims: Mapping[str, Any], records: Records) -> str:
    """Under the reconstruction table: each model's held-out known-word accuracy from its
    own code and from another sentence's, the bar, the positional baseline, which model
    the separability question is judged on, and the claims on reconstruction."""
    fits = fit_table(records)
    names = labels(records)
    sentences = []
    for variant in MAIN:
        part = fits[fits["variant"] == variant]
        if part.empty:
            continue
        reach = claims.get(f"reconstructs:{variant}")
        state = {"holds": "reconstructs", "does not hold": f"below the bar of {RECONSTRUCTS_ACC:.0%}"}.get(
            reach.outcome if reach is not None else "", f"within the noise of the bar of {RECONSTRUCTS_ACC:.0%}")
        sentences.append(f"the {names[variant]} puts {_pct(_mean(part, 'clean_known'))} of the held-out known "
                         f"words back in place from each sentence's own code, "
                         f"{_pct(_mean(part, 'other_known'))} from another sentence's code ({state})")
    text = "On held-out sentences " + "; ".join(sentences) + "."
    known = shared_metric(records, "baseline_test_token_acc_known")
    every = shared_metric(records, "baseline_test_token_acc")
    if known is not None and every is not None:
        text += (f" The positional baseline scores {_pct(known)} on known words, and {_pct(every)} when an "
                 "`<unk>` for an `<unk>` counts as a hit: that score rewards guessing `<unk>` wherever a rare word "
                 "is likely, which is why the findings are judged on known words.")
    text += (f" The separability question below is judged on the {names['daae']}: the paper's claim is about the "
             "DAAE, the model it trained, whichever model reconstructs best here.")
    shown = [claims[k] for k in ("reconstructs:daae", "reconstructs:ae", "own_code:daae", "own_code:ae")
             if k in claims]
    return text + "\n\n" + "\n".join(f"- {c.sentence()}" for c in shown)


def run_summary(records: Records) -> str:
    """"In this run": silhouette ranges, best ACC and NMI, length correlation, ACC after
    removing length and the probe, for the DAAE, the plain AE and TF-IDF + SVD."""
    table = score_table(records)
    names = labels(records)
    shown = [v for v in (*MAIN, "tfidf") if (table["variant"] == v).any()]
    raw = table[table["length_control"] == "none"].groupby(["variant", "embedding_size"]).mean(numeric_only=True)
    fixed = table[table["length_control"] == "length removed"].groupby(["variant", "embedding_size"]).mean(
        numeric_only=True)
    smallest = int(table["embedding_size"].min())
    majority = majority_rate(records)
    against = f", against a majority-class rate of {majority:.3f}" if majority is not None else ""

    def per(frame: pd.DataFrame, column: str, how: str) -> dict[str, float]:
        return {v: float(getattr(frame.xs(v, level="variant")[column], how)()) for v in shown}

    ss_min, ss_max = per(raw, "silhouette", "min"), per(raw, "silhouette", "max")
    acc, nmi = per(raw, "acc", "max"), per(raw, "nmi", "max")
    r1 = {v: float(raw.loc[(v, smallest), "pc1_length_r"]) for v in shown}
    acc_fixed = per(fixed, "acc", "max") if len(fixed) else {}
    lines = [
        "- Silhouette of the two K-Means clusters ranges " + ", ".join(
            f"{ss_min[v]:.3f}–{ss_max[v]:.3f} for {names[v]}" for v in shown) + " across sizes (means over seeds).",
        "- The best clustering accuracy against sentiment is " + ", ".join(f"{acc[v]:.3f} ({names[v]})" for v in shown)
        + f"{against}; the best NMI is " + ", ".join(f"{nmi[v]:.3f} ({names[v]})" for v in shown) + ".",
        f"- The first principal component (size {smallest}) correlates with sentence length at "
        + ", ".join(f"|r| = {r1[v]:.2f} ({names[v]})" for v in shown) + ".",
    ]
    if acc_fixed:
        lines.append("- After removing length, the best ACC is "
                     + ", ".join(f"{acc_fixed[v]:.3f} ({names[v]})" for v in shown) + ".")
    fits = fit_table(records)
    probe = {v: _mean(fits[fits["variant"] == v], "probe_acc") for v in shown}
    if all(np.isfinite(list(probe.values()))) and majority is not None:
        lines.append("- A supervised linear probe reads sentiment with accuracy "
                     + ", ".join(f"{probe[v]:.3f} ({names[v]})" for v in shown)
                     + f", against {majority:.3f} for always answering the majority class.")
    else:
        lines.append("- These records hold no linear-probe accuracy (recorded by the chapter from this version on).")
    return "In this run:\n\n" + "\n".join(lines)


def _interval(claim: Any) -> tuple[float, float, float, str] | None:
    """(difference, low, high, outcome) of a one-group verdict's evidence; None if absent."""
    evidence = claim.verdict.evidence
    if evidence.empty or "difference" not in evidence or not np.isfinite(evidence.iloc[0]["difference"]):
        return None
    row = evidence.iloc[0]
    return float(row["difference"]), float(row["low"]), float(row["high"]), str(row["outcome"])


def _gain(claim: Any) -> str:
    """``+0.036, 95% interval +0.014 to +0.058`` (or the difference alone with one seed)."""
    found = _interval(claim)
    if found is None:
        return "not recorded"
    difference, low, high, _ = found
    return f"{difference:+.3f}" + (f", 95% interval {low:+.3f} to {high:+.3f}" if low != high else ", one seed")


def verdict_prose(claims: Mapping[str, Any], records: Records) -> str:
    """"What this says about the paper's claim": the separability verdict on the DAAE, the
    positive control beside it, the silhouette and length, the probes (ties called ties,
    from their intervals) and the data size against the paper's."""
    names = labels(records)
    daae, ae, tfidf = names["daae"], names["ae"], names["tfidf"]
    fits = fit_table(records)
    raw = raw_scores(records)
    majority = majority_rate(records)
    paragraphs = []

    separates = claims["separates:daae"]
    reach = _mean(fits[fits["variant"] == "daae"], "clean_known")
    own = raw[raw["variant"] == "daae"].groupby("embedding_size")[["nmi", "acc"]].mean()
    measured = (f"mean NMI of its two K-Means clusters with sentiment at most {own['nmi'].max():.3f}, "
                f"ACC at most {own['acc'].max():.3f}" if len(own) else "no cluster scores recorded")
    if separates.outcome == "holds":
        paragraphs.append(f"**The paper's claim does not hold here.** The {daae} reconstructs ({_pct(reach)} of the "
                          f"held-out known words) and its clusters carry sentiment ({measured}).")
    elif separates.outcome == "does not hold":
        paragraphs.append(f"**As measured in the paper, the claim holds for the {daae}.** It reconstructs "
                          f"({_pct(reach)} of the held-out known words) and at every size its clusters carry almost "
                          f"no information about sentiment ({measured}, below {INFORMATIVE_NMI:g}).")
    else:
        where = "below" if claims["reconstructs:daae"].outcome == "does not hold" else "within the noise of"
        paragraphs.append(
            f"**The paper's claim is not testable with this model and data.** The claim is about the DAAE; the "
            f"{daae} puts {_pct(reach)} of the held-out known words back in place, {where} the bar of "
            f"{RECONSTRUCTS_ACC:.0%} for an autoencoder whose codes stand for its sentences, so its clusters "
            f"({measured}) describe codes that hold part of each sentence and cannot say whether a DAAE that "
            "encodes its sentences separates them by sentiment.")

    control, control_probe = claims["separates:tfidf"], claims.get("probe:tfidf")
    control_raw = raw[raw["variant"] == "tfidf"].groupby("embedding_size")[["nmi", "acc"]].mean()
    control_probe_acc = _mean(fits[fits["variant"] == "tfidf"], "probe_acc")
    found = (f"best NMI {control_raw['nmi'].max():.3f}, best ACC {control_raw['acc'].max():.3f}"
             + (f" against the majority-class rate {majority:.3f}" if majority is not None else ""))
    probe_text = (f"a linear probe on it scores {control_probe_acc:.3f} ({_gain(control_probe)} over the majority "
                  f"class: {control_probe.outcome})" if control_probe is not None and _interval(control_probe) else
                  "these records hold no probe of it")
    if control.outcome == "holds":
        power = ("so the 2-means test can find sentiment on this data: a model whose clusters miss it is missing "
                 "something a bag of words has.")
    elif control_probe is not None and control_probe.outcome == "holds":
        power = ("so sentiment is linearly present in TF-IDF + SVD and 2-means does not find it: on this data the "
                 "clustering test lacks power, and clusters without sentiment would not show that sentiment is "
                 "absent from a representation, the DAAE's included.")
    else:
        power = "so whether the clustering test has power on this data is not shown."
    paragraphs.append(
        f"**The positive control: does the test have power here?** {tfidf}, a bag of words and word pairs "
        "weighted and reduced with statistics of the training split only, with no network, is scored the same "
        f"way. Its 2-means clusters {'carry' if control.outcome == 'holds' else 'do not carry'} sentiment "
        f"({found}), while {probe_text}; {power}")
    if "tfidf_vs:daae" in claims:
        paragraphs.append(claims["tfidf_vs:daae"].sentence())

    length_models = [names[v] for v in (*MAIN, "tfidf") if claims.get(f"length:{v}") is not None
                     and claims[f"length:{v}"].outcome == "holds"]
    paragraphs.append(
        "**The silhouette score cannot carry the claim.** It scores how well separated the K-Means clusters are, "
        "whatever they contain. " + (
            "For " + " and ".join(length_models) + ", the first principal component is sentence length and the "
            "clusters split short from long sentences: there the silhouette measures length."
            if length_models else "No representation's first component is dominated by length in this run."))

    probes = {v: claims.get(f"probe:{v}") for v in (*MAIN, "tfidf")}
    recorded = {v: c for v, c in probes.items() if c is not None and _interval(c) is not None}
    if recorded:
        above = [f"{names[v]} ({_gain(c)})" for v, c in recorded.items() if c.outcome == "holds"]
        within = [f"{names[v]} ({_gain(c)})" for v, c in recorded.items()
                  if c.outcome not in ("holds", "does not hold")]
        below = [f"{names[v]} ({_gain(c)})" for v, c in recorded.items() if c.outcome == "does not hold"]
        text = "**Not separable by clustering is not the same as absent.** "
        text += ("A supervised linear read-out finds sentiment above the majority-class rate, beyond the seed "
                 "noise, in " + ", ".join(above) + ": there it is present, just not the direction of largest "
                 "variance. " if above else "No supervised linear read-out beats the majority class beyond the seed "
                 "noise. ")
        if within:
            text += "In " + ", ".join(within) + " the gain is within the noise: not shown. "
        if below:
            text += "In " + ", ".join(below) + " the probe scores below the majority-class rate. "
        versus = claims.get("probe:daae_vs_ae")
        pair = _interval(versus) if versus is not None else None
        if pair is not None:
            difference, low, high, outcome = pair
            word = {"better": "the DAAE's is higher", "worse": "the plain AE's is higher"}.get(outcome, "a tie")
            spread = f" (95% interval {low:+.3f} to {high:+.3f})" if low != high else " (one seed a side)"
            text += (f"The probes of the {daae} and the {ae} differ by {difference:+.3f}{spread}: {word}. ")
        text += ("An autoencoder spends its code on what reconstruction needs most (length, frequent words, "
                 "syntax); sentiment is a small part of that, so nothing in its objective makes it the structure "
                 "K-Means finds.")
        paragraphs.append(text)
    else:
        paragraphs.append("**Is sentiment there at all?** These records hold no linear-probe accuracy, so whether "
                          "sentiment is linearly present in the codes is not shown by them.")

    paragraphs.append(f"**Data.** {data_size(records)} (The 440,000 Yelp sentences of the recipe of Shen et al. "
                      "2020, the `paper` profile, are theirs, not the paper's.)")
    return "\n\n".join(paragraphs)


# ---------------------------------------------------------------- the recorded runs of this chapter

def _held_out_curve(record: dict[str, Any]) -> np.ndarray | None:
    """A record's ``heldout_known_acc`` curve (NaN stored as null), or None when its fit
    recorded none (made before the curve existed, or without monitor sentences)."""
    curve = np.array([np.nan if v is None else v for v in (record.get("history") or {}).get("heldout_known_acc", [])],
                     dtype=float)
    return curve if np.isfinite(curve).any() else None


def bar_cost(records: Records, variant: str, *, bar: float = RECONSTRUCTS_ACC) -> str:
    """When ``variant``'s fits first put ``bar`` of the monitor's held-out known words back
    (the ``heldout_known_acc`` curve each fit records per epoch), and the fit minutes that
    took: "epoch 12 of 20, 31 min"; "not in 8 epochs (best 0.28)"; "not recorded" for fits
    made before the curve existed. Seeds are joined by " / " ("epoch 3 / 4 of 8, 2 / 3 min")."""
    seeds: dict[Any, tuple[int | None, int, float, float] | None] = {}
    for r in records:
        run = r.get("run", {})
        if run.get("variant") != variant or run.get("seed") in seeds:
            continue
        curve = _held_out_curve(r)
        if curve is None:
            seeds[run.get("seed")] = None
            continue
        reached = next((i + 1 for i, v in enumerate(curve) if v >= bar), None)
        minutes = r.get("timings", {}).get("fit_seconds", 0.0) * (reached or 0) / len(curve) / 60
        seeds[run.get("seed")] = (reached, len(curve), float(np.nanmax(curve)), minutes)
    if not seeds:
        return "–"
    if any(v is None for v in seeds.values()):
        return "not recorded"
    values = list(seeds.values())
    epochs = " / ".join(str(n) for n in dict.fromkeys(v[1] for v in values))
    if all(v[0] is not None for v in values):
        return (f"epoch {' / '.join(str(v[0]) for v in values)} of {epochs}, "
                f"{' / '.join(f'{v[3]:.0f}' for v in values)} min")
    if all(v[0] is None for v in values):
        return f"not in {epochs} epochs (best {' / '.join(f'{v[2]:.3f}' for v in values)})"
    return "; ".join(f"seed {seed}: " + (f"epoch {v[0]} of {v[1]}, {v[3]:.0f} min" if v[0] else
                                         f"not in {v[1]} epochs (best {v[2]:.3f})")
                     for seed, v in seeds.items())


def _committed_variants(study: str, *, exclude: str | None, directory: Any) -> tuple[Any, dict[str, Records]]:
    """(the results folder, records by variant) of ``study``'s committed runs other than
    ``exclude``, leaving out records written from uncommitted code; (None, {}) without any."""
    from pathlib import Path

    from latentlib.book.provenance import project_root
    from latentlib.book.results import read_records

    root = Path(directory) if directory is not None else (
        project_root() / "book" / "results" if project_root() is not None else None)
    if root is None or not (root / study).exists():
        return None, {}
    by_variant: dict[str, Records] = {}
    for r in read_records(study, root):
        if r["variant"] != exclude and not str(r.get("environment", {}).get("commit", "")).endswith("+dirty"):
            by_variant.setdefault(r["variant"], []).append(r)
    return root, by_variant


def recorded_curves(study: str, *, exclude: str | None = None, directory: Any = None) -> pd.DataFrame:
    """The held-out curve of every fit of the main pair in ``study``'s committed runs
    (other than ``exclude``) that recorded one: one row per variant, model, seed and epoch,
    with the fit minutes up to that epoch (its recorded fit time, shared evenly by its
    epochs) and ``heldout_known_acc``. Empty when no committed run recorded one."""
    return _curves(_committed_variants(study, exclude=exclude, directory=directory)[1])


def _curves(by_variant: dict[str, Records]) -> pd.DataFrame:
    rows, seen = [], set()
    for variant, records in sorted(by_variant.items()):
        names = labels(records)
        for r in records:
            run = r.get("run", {})
            key = (variant, run.get("variant"), run.get("seed"))
            if run.get("variant") not in MAIN or key in seen:
                continue
            seen.add(key)
            values = _held_out_curve(r)
            if values is None:
                continue
            per_epoch = r.get("timings", {}).get("fit_seconds", 0.0) / len(values) / 60
            config = r.get("config", {})
            run_label = (f"{variant}: {len(values)} epochs, {config.get('lr_schedule', 'constant')} rate, "
                         f"word drop {config.get('word_drop', RECIPE_WORD_DROP):g}")
            rows += [{"variant": variant, "run": run_label, "model": names.get(key[1], key[1]),
                      "kind": key[1], "seed": key[2], "epoch": i + 1, "fit minutes": per_epoch * (i + 1),
                      "heldout_known_acc": v}
                     for i, v in enumerate(values)]
    return pd.DataFrame(rows, columns=["variant", "run", "model", "kind", "seed", "epoch", "fit minutes",
                                       "heldout_known_acc"])


def bar_prose(study: str, *, exclude: str | None = None, directory: Any = None) -> str:
    """Under the recorded runs: per model of the main pair, whether any committed run's
    fit reached the reconstruction bar on its held-out curve (the first that did: run,
    epoch, fit minutes) or the best it got (run, epoch) and how much its last epochs still
    added; and the teacher-forced accuracy on its own training sentences at that run's
    end, which tells a model that underfits from one that memorises."""
    _, by_variant = _committed_variants(study, exclude=exclude, directory=directory)
    curves = _curves(by_variant)
    if curves.empty:
        return "No other committed run of this chapter recorded a held-out curve yet."
    lines = []
    for model, part in curves.groupby("model", sort=False):
        reached = part[part["heldout_known_acc"] >= RECONSTRUCTS_ACC].sort_values("fit minutes")
        if len(reached):
            first = reached.iloc[0]
            text = (f"the **{model}** reached it in run `{first['variant']}` at epoch {int(first['epoch'])} "
                    f"(held-out {first['heldout_known_acc']:.3f}, after {_minutes(first['fit minutes'])})")
            run = first["variant"]
        else:
            best = part.loc[part["heldout_known_acc"].idxmax()]
            run = best["variant"]
            curve = part[(part["variant"] == run) & (part["seed"] == best["seed"])]["heldout_known_acc"].to_numpy()
            tail = max(2, len(curve) // 4)
            slope = (curve[-1] - curve[-tail]) / (tail - 1) if len(curve) >= 2 else float("nan")
            text = (f"the **{model}** did not reach it in any run: its best was {best['heldout_known_acc']:.3f} "
                    f"(run `{run}`, epoch {int(best['epoch'])} of {len(curve)}, after "
                    f"{_minutes(best['fit minutes'])}), and over that run's last {tail} epochs its curve "
                    f"moved {slope:+.3f} per epoch")
        history = next((r.get("history", {}) for r in by_variant.get(run, [])
                        if r.get("run", {}).get("variant") == part["kind"].iloc[0]), {})
        if history.get("token_acc"):
            text += (f"; at the end of that run it got {history['token_acc'][-1]:.3f} of the words of its own "
                     "training sentences right with teacher forcing (from their noisy copies where it trains "
                     "with noise)")
        lines.append(text)
    return (f"Against the bar of {RECONSTRUCTS_ACC:.0%}, across the committed runs that kept a held-out curve: "
            + "; ".join(lines) + ".")


def _minutes(minutes: float) -> str:
    return f"{minutes:.1f} fit minutes" if minutes < 10 else f"{minutes:.0f} fit minutes"


def recorded_runs(study: str, *, exclude: str | None = None, directory: Any = None) -> pd.DataFrame:
    """One row per committed variant of ``study`` (``book/results/<study>/<variant>/``, or
    ``directory``), except ``exclude``: its data, training sentences, epochs, sizes,
    seeds, the DAAE's and the plain AE's held-out known-word accuracy (means over seeds),
    their training-sentence one, the minutes their fits took (recorded with each fit, also
    when a run loads it from the fit cache), the epoch and fit minutes at which each
    first reached the reconstruction bar (:func:`bar_cost`) and the chapter's wall time
    from its execution stamp.
    Empty when none is committed (a fresh clone's first run)."""
    import json

    root, by_variant = _committed_variants(study, exclude=exclude, directory=directory)
    if root is None:
        return pd.DataFrame()
    rows = []
    for variant, records in sorted(by_variant.items()):
        fits = fit_table(records)
        config, data = records[0]["config"], records[0].get("data", {})
        stamp = root / study / variant / "_execution.json"
        wall = json.loads(stamp.read_text()).get("wall_seconds") if stamp.exists() else None
        source = str(data.get("source", ""))
        row = {"variant": variant, "data": source.split(":", 1)[-1].strip() if ":" in source else source,
               "training sentences": int(data.get("n_train", 0)), "epochs": config.get("epochs"),
               "vocabulary / hidden": f"{config.get('vocab_size')} / {config.get('hidden_size')}",
               "learning rate": f"{config.get('learning_rate', float('nan')):g} {config.get('lr_schedule', 'constant')}",
               "word drop": config.get("word_drop"),
               "seeds": len(config.get("seeds", []))}
        for v in MAIN:
            part = fits[fits["variant"] == v]
            row[f"{v} held-out known"] = _mean(part, "clean_known")
            row[f"{v} training known"] = _mean(part, "train_clean_known")
        fit_seconds = {(r["run"].get("variant"), r["run"]["seed"]): r.get("timings", {}).get("fit_seconds", 0.0)
                       for r in records if r["run"].get("variant") in MAIN}
        row["fit minutes, main pair"] = round(sum(fit_seconds.values()) / 60, 1)
        for v in MAIN:
            row[f"{v} at the bar"] = bar_cost(records, v)
        row["chapter wall minutes"] = round(wall / 60, 1) if wall else float("nan")
        rows.append(row)
    names = labels(next(iter(by_variant.values()))) if by_variant else {}
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame = frame.rename(columns={**{f"{v} {what} known": f"{names.get(v, v)}: {what} known"
                                     for v in MAIN for what in ("held-out", "training")},
                                  **{f"{v} at the bar": f"{names.get(v, v)}: held-out {RECONSTRUCTS_ACC:.0%} reached"
                                     for v in MAIN}})
    return frame.set_index("variant")


def separability_table(records: Records) -> pd.DataFrame:
    """The closing note's separability table: per size after PCA (SVD for TF-IDF), the
    paper's silhouette beside K-Means ACC and NMI against sentiment, for the DAAE, the
    plain AE and the positive control (means over seeds, without the length control), and
    the linear probe at the largest size."""
    raw = raw_scores(records)
    if raw.empty:
        return pd.DataFrame()
    names = labels(records)
    shown = [v for v in (*MAIN, "tfidf") if (raw["variant"] == v).any()]
    means = raw[raw["variant"].isin(shown)].groupby(["variant", "embedding_size"])[
        ["silhouette", "acc", "nmi"]].mean()
    table = means.unstack("variant").swaplevel(axis=1).sort_index(axis=1, level=0)
    table = table[[(v, m) for v in shown for m in ("silhouette", "acc", "nmi")]]
    fits = fit_table(records)
    probe = {v: _mean(fits[fits["variant"] == v], "probe_acc") for v in shown}
    table.loc["probe (largest size)"] = [probe[v] if m == "acc" else float("nan") for v, m in table.columns]
    table.columns = pd.MultiIndex.from_tuples([(names.get(v, v), m) for v, m in table.columns])
    table.index.name = "size"
    return table

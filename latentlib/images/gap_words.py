"""Chapter 06's words and figures: the findings worded from the claims (deciding
nothing), the hypotheses' and the views' figures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from latentlib.book.display import FIGURE_WIDTH, PALETTE, ensure_setup
from latentlib.evaluation.claims import Claim
from latentlib.evaluation.verdicts import DOES_NOT_HOLD, HOLDS, NOT_SHOWN, OFF
from latentlib.images.gap_hypotheses import (
    COLUMNS,
    PCA,
    TRIPLET,
    VIEWS,
    _published,
    view_method,
)
from latentlib.images.gap_judge import RAW, claim_text
from latentlib.images.gap_result import (
    GapResult,
    _column_of,
    _levels,
    _ordered,
    percent,
)

# ---------------------------------------------------------------- the chapter's words and figures

def _claims_by_text(claims: list[Claim]) -> dict[str, Claim]:
    return {claim.claim: claim for claim in claims}


def _evidence(claim: Claim, column: str) -> pd.Series:
    evidence = claim.verdict.evidence
    for name in ((column,) if column != "ours" else ("ours", "variant")):
        if name in evidence.columns:
            return evidence[name].astype(float)
    return pd.Series(dtype=float)


def _change(claim: Claim) -> tuple[float, float]:
    """Ours and the paper's change from the smallest to the largest size (NaN with one)."""
    ours, target = _evidence(claim, "ours"), _evidence(claim, "target")
    if len(ours) < 2:
        return float("nan"), float("nan")
    return float(ours.iloc[-1] - ours.iloc[0]), float(target.iloc[-1] - target.iloc[0])


def _against(claim: Claim) -> str:
    """``0.49 / 0.50 against the paper's 0.53 / 0.51 (change +0.01 vs -0.02)``."""
    ours, target = _evidence(claim, "ours"), _evidence(claim, "target")
    if not len(ours):
        return "no usable runs"
    text = (f"{' / '.join(f'{v:.3f}' for v in ours)} against the paper's "
            f"{' / '.join(f'{v:.3f}' for v in target)}")
    mine, theirs = _change(claim)
    if np.isfinite(mine):
        text += f"; change with d {mine:+.3f} against {theirs:+.3f}"
    return text


def _why_not(claim: Claim) -> str:
    """Which part of a level-and-trend verdict failed, read from its evidence."""
    levels = _levels(claim.verdict)
    off = int((levels == OFF).sum())
    if claim.outcome == DOES_NOT_HOLD:
        return (f"the level is off at {off} of {len(levels)} sizes" if off else
                "the level is close at every size but the trend with d is off")
    if claim.outcome == NOT_SHOWN:
        return "inside the noise: the data cannot tell"
    return "level and trend within"


def _share(claim: Claim) -> str:
    shares = _evidence(claim, "share_of_gap_closed")
    return f"; it closes {percent(float(shares.mean()))} of the MSE gap on average over the sizes" \
        if len(shares) and shares.notna().any() else ""


def gap_findings(claims: list[Claim]) -> str:
    """The chapter's reading of its claims, as Markdown: for each view, what it does to
    each column; what would tell "the paper scored a 2-D view" from "the paper's MSE
    column is in error"; which other hypotheses reproduce the MSE column; and what stays
    open. Every outcome here is a claim's (decided by :func:`judge`); this only words them."""
    by_text = _claims_by_text(claims)

    def find(method: str) -> Claim | None:
        return by_text.get(claim_text(method))

    known = {claim_text(m) for m in RAW} | {claim_text(view_method(h, c)) for h in VIEWS for c in COLUMNS}
    lines = []
    raw = {column: find(method) for method, column in RAW.items()}
    if raw["pca"] is not None:
        meaning = ("where both score the same embedding, our K-Means and silhouette give the paper's numbers, "
                   "so the scoring code is not where the gap comes from" if raw["pca"].outcome == HOLDS else
                   "the control does not clear the scoring code in this run")
        lines.append(f"- **Scoring code.** Our PCA, scored with no view, against Table II's PCA column: "
                     f"**{raw['pca'].outcome}** ({_against(raw['pca'])}): {meaning}.")
    plain = [f"{name} **{raw[column].outcome}** ({_why_not(raw[column])}; {_against(raw[column])})"
             for column, name in (("triplet", "triplet column"), ("mse", "MSE column")) if raw[column] is not None]
    if plain:
        lines.append("- **Scored with no view (as chapter 02).** " + "; ".join(plain) + ".")
    explains_both, tested_views, open_views = [], [], []
    for hypothesis, view in VIEWS.items():
        mse, triplet, pca = (find(view_method(hypothesis, c)) for c in COLUMNS)
        if mse is None:
            continue
        tested_views.append(view)
        parts = [f"MSE column **{mse.outcome}** ({_why_not(mse)}; {_against(mse)}{_share(mse)})"]
        if triplet is not None:
            parts.append(f"triplet column **{triplet.outcome}** ({_why_not(triplet)}; {_against(triplet)})")
        if pca is not None:
            parts.append(f"PCA against Table II **{pca.outcome}** ({_why_not(pca)}; {_against(pca)})")
        reading = _view_reading(view, mse, triplet, pca, raw.get("pca"))
        if mse.outcome == HOLDS and triplet is not None and triplet.outcome == HOLDS:
            explains_both.append(view)
        if NOT_SHOWN in (mse.outcome, getattr(triplet, "outcome", None)):
            open_views.append(view)
        lines.append(f"- **A 2-D {view} view.** " + "; ".join(parts) + f". {reading}")
    others = [c for c in claims if c.claim not in known and "effect" in c.verdict.evidence.columns]
    if others:
        held = [c.claim.removesuffix(" closes the MSE gap (level at every d and trend)") for c in others
                if c.outcome == HOLDS]
        unclear = [c for c in others if c.outcome == NOT_SHOWN]
        lines.append("- **Other hypotheses (the MSE runs changed in one respect).** "
                     + (f"Reproduce the MSE column on their own: {'; '.join(held)}. " if held else
                        "None reproduces the MSE column in level and trend. ")
                     + (f"Not shown either way: {'; '.join(_label_of(c) for c in unclear)}." if unclear else ""))
    checks = [c for c in claims if c.claim not in known and "effect" not in c.verdict.evidence.columns]
    for check in checks:
        lines.append(f"- **Subsample size.** {check.claim}: **{check.outcome}** ({check.ours} against "
                     f"{check.published}; {_why_not(check)}).")
    lines += ["", "**What would tell the two readings apart.** If the paper scored its autoencoders on a 2-D "
              "view, the same view must reproduce *every* column it scored that way: the MSE column's level "
              "and its fall with d (0.534 to 0.513), and the triplet column's (0.672 to 0.576). A view that "
              "lifts the MSE column to the paper's level but shows no fall with d, or lifts the triplet column "
              "far above the paper's, is not the paper's scoring; if a view lifts both columns past the paper, "
              "no single scoring explains both. If instead the paper's MSE column is in error (a different "
              "model or run than described, or a slip in the table), no scoring or training choice need "
              "reproduce it while the other columns reproduce as they do. Only the authors' code or scored "
              "embeddings can settle it; our runs can only rule readings out.", ""]
    if explains_both:
        lines.append(f"**Open.** A 2-D {' or '.join(explains_both)} view reproduces both Table I columns here, "
                     "so \"the paper scored a 2-D view\" is consistent with the data for that view; it is not "
                     "shown to be what the paper did, and an error in the paper's MSE column is not ruled out.")
    else:
        tested = " and ".join(tested_views) or "no view"
        lines.append(f"**Open.** No 2-D view tested here ({tested}, at these settings) reproduces both Table I "
                     "columns in level and trend"
                     + (f"; for {' and '.join(open_views)} the data cannot tell" if open_views else "")
                     + ". So neither reading is shown: \"the paper scored a 2-D view\" is not supported by "
                     "the views tested (another view, its settings or its number of points could still do "
                     "it), and \"the paper's MSE column is in error\" cannot be tested by any run here.")
    return "\n".join(lines)


def _label_of(claim: Claim) -> str:
    return claim.claim.removesuffix(" closes the MSE gap (level at every d and trend)")


def _view_reading(view: str, mse: Claim, triplet: Claim | None, pca: Claim | None, raw_pca: Claim | None) -> str:
    """What one view's outcomes mean for the two readings (words only)."""
    lifted = triplet is not None and len(_evidence(triplet, "difference")) and \
        float(_evidence(triplet, "difference").max()) > 0
    if mse.outcome == HOLDS and triplet is not None and triplet.outcome == HOLDS:
        text = f"The {view} view reproduces both Table I columns: consistent with the paper scoring this view."
        if pca is not None and pca.outcome != HOLDS and raw_pca is not None and raw_pca.outcome == HOLDS:
            text += (" Table II's PCA column, though, matches PCA scored with no view: the paper would have scored "
                     "PCA and the autoencoders differently.")
        return text
    if mse.outcome == HOLDS:
        where = (f"moves the triplet column off the paper's ({'above' if lifted else 'below'} it)"
                 if triplet is not None and triplet.outcome == DOES_NOT_HOLD else
                 "leaves the triplet column undecided" if triplet is not None else
                 "was not applied to the triplet runs")
        return (f"It lifts the MSE column to the paper's but {where}: no single scoring of Table I by this view "
                "explains both columns.")
    if mse.outcome == NOT_SHOWN:
        return f"Whether the {view} view reproduces the MSE column stays open here."
    text = f"The {view} view does not reproduce the MSE column"
    if triplet is not None and triplet.outcome == DOES_NOT_HOLD and lifted:
        text += ", and it lifts the triplet column past the paper's"
    return text + ": it does not explain Table I as a whole."


def _series(seed_runs: pd.DataFrame, method: str) -> pd.DataFrame:
    """Mean and std over training seeds per size, collapsed runs left out (and counted)."""
    part = seed_runs[seed_runs["method"] == method]
    kept = part[~part["collapsed"]]
    out = kept.groupby("embedding_size")["silhouette"].agg(["mean", "std"])
    out["collapsed"] = part.groupby("embedding_size")["collapsed"].sum()
    return out.reindex(sorted(part["embedding_size"].unique()))


def _mark_collapsed(ax: Any, seed_runs: pd.DataFrame, method: str, colour: Any) -> bool:
    """Collapsed runs as crosses (their SS says nothing about the classes), off the line."""
    part = seed_runs[(seed_runs["method"] == method) & seed_runs["collapsed"]]
    if len(part):
        ax.scatter(part["embedding_size"], part["silhouette"], marker="x", s=50, color=colour, zorder=3)
        for x, y in zip(part["embedding_size"], part["silhouette"]):
            # the words in dark grey: a light colour of the palette would not read as text
            ax.annotate(f"collapsed run ({y:.3f})", (x, y), textcoords="offset points", xytext=(-6, -4),
                        ha="right", va="top", color="0.2")
    return bool(len(part))


def _paper_series(ax: Any, column: str, label: str, sizes: list[int]) -> None:
    """The paper's column at the sizes we ran, as hollow black squares."""
    published = _published(column)
    sizes = [d for d in sizes if d in published]
    ax.errorbar(sizes, [published[d][0] for d in sizes],
                yerr=[published[d][1] or 0 for d in sizes], color="black", marker="s", markerfacecolor="none",
                linestyle="--", capsize=3, label=label)


def _axes(ax: Any, sizes: list[int]) -> None:
    import matplotlib.pyplot as plt

    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes)
    ax.get_xaxis().set_major_formatter(plt.ScalarFormatter())
    ax.set_xlabel("embedding size d")
    ax.grid(alpha=0.3)


PAPER_LABELS = {"mse": "the paper's Table I (MSE only)", "triplet": "the paper's Table I (MSE + triplet)",
                "pca": "the paper's Table II (PCA)"}


def hypotheses_figure(study: GapResult):
    """SS against d for the baseline and every MSE hypothesis (mean over training seeds,
    collapsed runs left out of the line and drawn as crosses), beside the paper's MSE
    column."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    ensure_setup()
    methods = [m for m in _ordered(study.seed_runs["method"].unique())
               if m not in (TRIPLET, PCA, *study.checks) and _column_of(m) in ("mse", None)]
    colours = dict(zip(methods, sns.color_palette(PALETTE, len(methods))))
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 4.4))
    crosses = False
    for method in methods:
        series = _series(study.seed_runs, method)
        ax.errorbar(series.index, series["mean"], yerr=series["std"].fillna(0), marker="o", capsize=3,
                    color=colours[method], label=study.labels.get(method, method))
        crosses |= _mark_collapsed(ax, study.seed_runs, method, colours[method])
    _paper_series(ax, "mse", PAPER_LABELS["mse"], sorted(study.runs["embedding_size"].unique()))
    if crosses:
        ax.scatter([], [], marker="x", color="grey", label="collapsed run (left out of its line)")
    _axes(ax, sorted(study.runs["embedding_size"].unique()))
    ax.set_ylabel("silhouette (test split)")
    fig.tight_layout()
    _legend_below(fig, [ax])
    return fig


def _legend_below(fig: Any, axes: list[Any]) -> None:
    """One legend for ``axes``, under the figure: beside the axes, the labels would take half
    a phone's width; inside, they would hide points."""
    handles: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    fig.legend(list(handles.values()), list(handles), loc="upper left", bbox_to_anchor=(0.0, 0.0),
               frameon=False)


def views_figure(study: GapResult):
    """One panel per column (MSE, triplet, PCA): the paper's column, ours with no view,
    and each 2-D view (mean ± std over training seeds, each seed the mean of its draws)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    ensure_setup()
    columns = [c for c in COLUMNS if any((study.seed_runs["method"] == view_method(h, c)).any() for h in VIEWS)]
    # one column's panel under the other: side by side, three panels leave a phone unreadable text
    fig, axes = plt.subplots(max(len(columns), 1), 1, figsize=(FIGURE_WIDTH, 3.6 * max(len(columns), 1)),
                             sharex=True, squeeze=False)
    palette = sns.color_palette(PALETTE)
    styles = {"none": ("o", "-", palette[0]), "tsne_view": ("^", ":", palette[1]),
              "umap_view": ("v", "-.", palette[2])}
    for ax, column in zip(axes[:, 0], columns):
        methods = {COLUMNS[column][0]: ("none", "ours, no view"),
                   **{view_method(h, column): (h, f"ours, 2-D {v} view") for h, v in VIEWS.items()}}
        for method, (style, text) in methods.items():
            if not (study.seed_runs["method"] == method).any():
                continue
            marker, line, colour = styles[style]
            series = _series(study.seed_runs, method)
            ax.errorbar(series.index, series["mean"], yerr=series["std"].fillna(0), marker=marker,
                        linestyle=line, capsize=3, color=colour, label=text)
            _mark_collapsed(ax, study.seed_runs, method, colour)
        # one legend entry for the three panels: each panel's title names the paper's column
        _paper_series(ax, column, "the paper's column (the panel's title)", sorted(study.runs["embedding_size"].unique()))
        _axes(ax, sorted(study.runs["embedding_size"].unique()))
        ax.set_title(COLUMNS[column][3])
        ax.set_ylabel("silhouette (test split)")
    fig.tight_layout()
    _legend_below(fig, list(axes[:, 0]))
    return fig

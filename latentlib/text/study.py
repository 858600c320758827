"""Study 05: DAAE vs plain LSTM autoencoder vs TF-IDF + SVD on sentiment sentences.

For each representation of the held-out sentences (the codes of each autoencoder,
reduced by PCA; TF-IDF reduced by truncated SVD, both fitted on the training split) and
each size, K-Means clusters are scored by silhouette (the paper's metric) and by
ACC / NMI / ARI against the sentiment labels. Because short and long sentences differ
in ways an autoencoder must encode, every embedding is also scored after the part
linearly predictable from sentence length is removed, and the correlation of its first
principal component with length is reported.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LinearRegression

from latentlib.evaluation import metrics
from latentlib.evaluation.evaluate import kmeans_labels, score_clusters
from latentlib.training.fit import FitResult, resolve_device, torch_threads
from latentlib.evaluation.probe import linear_probe
from latentlib.book.provenance import device_description
from latentlib.book.results import make_record, write_record
from latentlib.data.splits import LabelledSplit
from latentlib.text.config import TextDAAEConfig
from latentlib.text.decoding import (decode_codes, encode_ids, positional_baseline, reconstruct_ids,
                                     token_accuracy)
from latentlib.text.models import TextAEConfig
from latentlib.text.tokens import Noise, Vocabulary
from latentlib.text.training import TextTrainConfig, fit_text_autoencoder
from latentlib.text.yelp_fixture import Sentences

#: the main pair, then the ablations: each adds or removes one ingredient of the DAAE
MAIN = ("daae", "ae")
ABLATIONS = ("noise", "adversary", "daae_other")
LABELS = {"daae": "DAAE", "ae": "plain AE", "noise": "noise only", "adversary": "adversary only",
          "daae_other": "DAAE, other λ", "tfidf": "TF-IDF + SVD", "baseline": "positional baseline"}
#: the split name of the out-of-domain sentences (real Yelp sentences) in tables and record metrics
OUT_OF_DOMAIN = "yelp"
#: the share of words dropped from the "noisy input" copies that reconstructions are also
#: scored on, when the DAAE itself trains with no word drop (otherwise its own ``word_drop``)
EVALUATION_DROP = 0.3


@dataclass
class Corpus:
    """Sentences as ids of one vocabulary (built on the training split only)."""

    vocab: Vocabulary
    train_ids: list[list[int]]
    test_ids: list[list[int]]
    test_lengths: np.ndarray
    train_lengths: np.ndarray

    @classmethod
    def build(cls, data: LabelledSplit, *, vocab_size: int) -> "Corpus":
        vocab = Vocabulary.build(data.x_train, max_words=vocab_size)
        train = [vocab.encode(s) for s in data.x_train]
        test = [vocab.encode(s) for s in data.x_test]
        return cls(vocab, train, test, np.array([len(s) for s in test]), np.array([len(s) for s in train]))


@dataclass
class TextStudy:
    """What the chapter shows: fits and codes per (variant, seed), the score table (one
    row per representation, seed, size and length control), the reconstruction table
    (one row per variant, seed, split and input) and the probe table."""

    corpus: Corpus
    fits: dict[tuple[str, int], FitResult]
    codes_train: dict[tuple[str, int], np.ndarray]
    codes_test: dict[tuple[str, int], np.ndarray]
    table: pd.DataFrame
    reconstruction: pd.DataFrame
    probe: pd.DataFrame
    records: list[dict[str, Any]] = field(default_factory=list)
    codes_ood: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)

    def first(self, variant: str) -> FitResult:
        """The fit of ``variant`` on its first seed (for examples, curves and views)."""
        return next(fit for (name, _), fit in self.fits.items() if name == variant)

    def first_codes(self, variant: str) -> tuple[np.ndarray, np.ndarray]:
        key = next(k for k in self.fits if k[0] == variant)
        return self.codes_train[key], self.codes_test[key]


#: the recipe's word drop (Shen et al. 2020); a DAAE trained with another says so in its label
RECIPE_WORD_DROP = 0.3


def labels_for(adversarial_weight: float, other_adversarial_weight: float,
               word_drop: float = RECIPE_WORD_DROP) -> dict[str, str]:
    """LABELS with the DAAE's weights spelt out, and its word drop where it is not the recipe's."""
    drop = "" if word_drop == RECIPE_WORD_DROP else f", word drop {word_drop:g}"
    return {**LABELS, "daae": f"DAAE (λ={adversarial_weight:g}{drop})",
            "daae_other": f"DAAE (λ={other_adversarial_weight:g}{drop})",
            "noise": f"noise only (word drop {word_drop:g})" if drop else LABELS["noise"],
            "adversary": f"adversary only (λ={adversarial_weight:g})"}


def variant_labels(cfg: TextDAAEConfig) -> dict[str, str]:
    """LABELS with the DAAE's weights (and word drop) of ``cfg`` spelt out."""
    return labels_for(cfg.adversarial_weight, cfg.other_adversarial_weight, cfg.word_drop)


def noisy_drop(cfg: TextDAAEConfig) -> float:
    """The word-drop share of the noisy copies reconstructions are scored on: the DAAE's
    own, or :data:`EVALUATION_DROP` when it trains with none."""
    return cfg.word_drop or EVALUATION_DROP


def configs(cfg: TextDAAEConfig, vocab_size: int, seed: int) -> dict[str, tuple[TextAEConfig, TextTrainConfig]]:
    """The network shared by every variant, and each variant's training: the DAAE of the
    recipe, the plain AE (no noise, no adversary), noise only, adversary only, and the
    DAAE at the other adversarial weight."""
    model = TextAEConfig(vocab_size=vocab_size, embedding_dim=cfg.embedding_dim, hidden_size=cfg.hidden_size,
                         latent_size=cfg.latent_size, discriminator_hidden=cfg.discriminator_hidden,
                         dropout=cfg.dropout)
    noise = Noise(drop=cfg.word_drop, blank=cfg.word_blank, substitute=cfg.word_substitute,
                  shuffle=cfg.word_shuffle)
    common = dict(epochs=cfg.epochs, batch_size=cfg.batch_size, learning_rate=cfg.learning_rate,
                  lr_schedule=cfg.lr_schedule, seed=seed)
    weight, other = cfg.adversarial_weight, cfg.other_adversarial_weight
    return {
        "daae": (model, TextTrainConfig(adversarial_weight=weight, noise=noise, **common)),
        "ae": (model, TextTrainConfig(adversarial_weight=0.0, noise=Noise(), **common)),
        "noise": (model, TextTrainConfig(adversarial_weight=0.0, noise=noise, **common)),
        "adversary": (model, TextTrainConfig(adversarial_weight=weight, noise=Noise(), **common)),
        "daae_other": (model, TextTrainConfig(adversarial_weight=other, noise=noise, **common)),
    }


def plan(cfg: TextDAAEConfig) -> list[tuple[str, int]]:
    """(variant, seed) of every fit: the main pair on ``seeds``, the ablations on ``ablation_seeds``."""
    return [(name, seed) for seed in cfg.seeds for name in MAIN] + \
        [(name, seed) for seed in cfg.ablation_seeds for name in ABLATIONS]


def reduce(train: np.ndarray, test: np.ndarray, *, size: int, seed: int,
           method: str = "pca") -> tuple[np.ndarray, np.ndarray]:
    """Fit PCA (dense codes) or truncated SVD (sparse TF-IDF) on train; apply to both."""
    reducer = PCA(n_components=size, random_state=seed) if method == "pca" else \
        TruncatedSVD(n_components=size, random_state=seed)
    return reducer.fit_transform(train), reducer.transform(test)


def remove_length(train: np.ndarray, test: np.ndarray, *, train_lengths: np.ndarray,
                  test_lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Subtract what a linear function of the sentence length predicts (fitted on train)."""
    regression = LinearRegression().fit(train_lengths[:, None].astype(float), train)
    return (train - regression.predict(train_lengths[:, None].astype(float)),
            test - regression.predict(test_lengths[:, None].astype(float)))


def length_correlation(z: np.ndarray, lengths: np.ndarray) -> float:
    """|Pearson r| between the first coordinate (PC1 after PCA) and sentence length."""
    if np.std(z[:, 0]) == 0 or np.std(lengths) == 0:
        return float("nan")
    return float(abs(np.corrcoef(z[:, 0], lengths)[0, 1]))


def tfidf_features(data: LabelledSplit, *, ood: Sequence[str] | None = None) -> tuple[Any, ...]:
    """TF-IDF of unigrams and bigrams over the same tokens the autoencoders read; the
    vocabulary and the idf weights are fitted on the training split only. With ``ood``
    sentences, a third matrix: theirs (None without)."""
    vectorizer = TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False,
                                 ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    train, test = vectorizer.fit_transform(data.x_train), vectorizer.transform(data.x_test)
    if ood is None:
        return train, test
    return train, test, vectorizer.transform(list(ood))


def _scores(corpus: Corpus, references: list[list[int]], outputs: list[list[int]]) -> dict[str, float]:
    return token_accuracy(references, outputs, eos=corpus.vocab.eos, unk=corpus.vocab.unk)


def scored_sentences(corpus: Corpus, *, n: int | None, seed: int = 0,
                     ood_ids: list[list[int]] | None = None) -> dict[str, list[list[int]]]:
    """The sentences reconstructions are scored on, per split: a seeded sample of ``n``
    training and ``n`` held-out sentences (all of them when ``n`` is None or larger;
    greedy decoding of a whole split costs as much as an epoch), and every out-of-domain
    sentence when there are any."""
    rng = np.random.default_rng(seed)

    def sample(ids: list[list[int]]) -> list[list[int]]:
        if n is None or n >= len(ids):
            return ids
        return [ids[i] for i in np.sort(rng.choice(len(ids), size=n, replace=False))]

    n_test = len(corpus.test_ids) if n is None else min(n, len(corpus.test_ids))
    train = corpus.train_ids if n_test >= len(corpus.train_ids) else \
        [corpus.train_ids[i] for i in np.sort(rng.choice(len(corpus.train_ids), size=n_test, replace=False))]
    splits = {"train": train, "test": sample(corpus.test_ids)}
    if ood_ids:
        splits[OUT_OF_DOMAIN] = ood_ids
    return splits


def baseline_rows(corpus: Corpus, scored: dict[str, list[list[int]]] | None = None) -> list[dict[str, Any]]:
    """The positional baseline (training split's most frequent token per position) scored
    like a reconstruction on every scored split: what a model gets with no code and no context."""
    guess = positional_baseline(corpus.train_ids, eos=corpus.vocab.eos)
    scored = scored or scored_sentences(corpus, n=None)
    return [{"variant": "baseline", "model": LABELS["baseline"], "seed": -1, "split": split, "input": "none",
             "sentences": len(ids), **_scores(corpus, ids, [guess] * len(ids))}
            for split, ids in scored.items()]


def _reconstruction_rows(name: str, label: str, seed: int, fit: FitResult, corpus: Corpus, *,
                         drop: float, scored: dict[str, list[list[int]]]) -> list[dict[str, Any]]:
    rows = []
    for split, ids in scored.items():
        head = {"variant": name, "model": label, "seed": seed, "split": split, "sentences": len(ids)}
        for noise_name, noise in (("clean", None), (f"word drop {drop:g}", Noise(drop=drop))):
            _, outputs = reconstruct_ids(fit.model, ids, vocab=corpus.vocab, noise=noise, seed=seed)
            rows.append({**head, "input": noise_name, **_scores(corpus, ids, outputs)})
        # control: decode each sentence from ANOTHER sentence's code; what the decoder gets
        # right from its language model alone, without the sentence's own code
        z = encode_ids(fit.model, ids, vocab=corpus.vocab)
        other = np.random.default_rng(seed).permutation(len(ids))
        outputs = decode_codes(fit.model, z[other], vocab=corpus.vocab, max_length=max(map(len, ids)) + 5)
        rows.append({**head, "input": "another sentence's code", **_scores(corpus, ids, outputs)})
    return rows


def _cluster_rows(name: str, seed: int, train: Any, test: Any, *, cfg: TextDAAEConfig, corpus: Corpus,
                  data: LabelledSplit, labels: dict[str, str]) -> list[dict[str, Any]]:
    """Scores of one representation at every size, without and with the length control."""
    method = "svd" if name == "tfidf" else "pca"
    long = (corpus.test_lengths > np.median(corpus.test_lengths)).astype(int)
    rows = []
    for size in cfg.pca_sizes:
        start = time.perf_counter()
        reduced_train, reduced_test = reduce(train, test, size=size, seed=seed, method=method)
        for control in ("none", "length removed"):
            z_train, z_test = (reduced_train, reduced_test) if control == "none" else remove_length(
                reduced_train, reduced_test, train_lengths=corpus.train_lengths, test_lengths=corpus.test_lengths)
            y_cluster = kmeans_labels(z_test, n_clusters=cfg.n_clusters, seed=seed)
            scores = score_clusters(z_test, data.y_test, y_cluster, silhouette_sample=cfg.silhouette_sample, seed=seed)
            scores["length_nmi"] = metrics.nmi(long, y_cluster)
            scores["pc1_length_r"] = length_correlation(z_test, corpus.test_lengths)
            rows.append({"variant": name, "method": labels[name], "seed": seed, "embedding_size": size,
                         "length_control": control, "reduction": method, **scores,
                         "evaluate_seconds": time.perf_counter() - start})
    return rows


def _probe_row(name: str, seed: int, train: Any, test: Any, *, cfg: TextDAAEConfig, data: LabelledSplit,
               labels: dict[str, str], ood: Any = None, ood_labels: np.ndarray | None = None) -> dict[str, Any]:
    """A logistic regression on the training codes (reduced to the largest size), scored
    on the held-out codes and, when given, on the out-of-domain ones (same reduction)."""
    method = "svd" if name == "tfidf" else "pca"
    largest = min(max(cfg.pca_sizes), test.shape[1] - 1 if name == "tfidf" else test.shape[1])
    reducer = PCA(n_components=largest, random_state=seed) if method == "pca" else \
        TruncatedSVD(n_components=largest, random_state=seed)
    probe_train = reducer.fit_transform(train)
    row = {"variant": name, "method": labels[name], "seed": seed, "size": largest,
           "probe_acc": linear_probe(probe_train, data.y_train, reducer.transform(test), data.y_test, seed=seed)}
    if ood is not None:
        row[f"{OUT_OF_DOMAIN}_probe_acc"] = linear_probe(probe_train, data.y_train, reducer.transform(ood),
                                                         ood_labels, seed=seed)
    return row


def run_text_study(cfg: TextDAAEConfig, data: LabelledSplit, *, write: bool = True,
                   progress: bool = True, ood: Sentences | None = None) -> TextStudy:
    """Train (or load) every variant on its seeds, then score every representation at every size.

    Parameters
    ----------
    cfg
        The study's parameters.
    data
        Sentences (strings of tokens) with sentiment labels, from :func:`latentlib.text.yelp.load_yelp`.
    write
        Write one result record per (representation, seed, size, length control).
    progress
        Show the fits' progress bars.
    ood
        Out-of-domain sentences (real Yelp sentences, :mod:`latentlib.text.yelp_fixture`):
        every model reconstructs them and every probe is scored on them too (split
        ``"yelp"`` in the tables, ``yelp_*`` in the records).
    """
    device = resolve_device(cfg.device)
    corpus = Corpus.build(data, vocab_size=cfg.vocab_size)
    labels = variant_labels(cfg)
    fits, codes_train, codes_test, codes_ood = {}, {}, {}, {}
    ood_ids = [corpus.vocab.encode(s) for s in ood.x] if ood is not None and len(ood.x) else None
    scored = scored_sentences(corpus, n=cfg.n_reconstruct, seed=cfg.seeds[0], ood_ids=ood_ids)
    recon_rows = baseline_rows(corpus, scored)
    monitor_ids = scored["test"][:cfg.monitor_sentences]
    with torch_threads(cfg.threads):
        hardware = device_description(device)
        for name, seed in plan(cfg):
            model_config, train_config = configs(cfg, len(corpus.vocab), seed)[name]
            fit = fit_text_autoencoder(model_config, train_config, corpus.train_ids, vocab=corpus.vocab,
                                       device=device, precision=cfg.precision, progress=progress,
                                       desc=f"{labels[name]}, seed {seed}", monitor_ids=monitor_ids)
            fits[name, seed] = fit
            codes_train[name, seed] = encode_ids(fit.model, corpus.train_ids, vocab=corpus.vocab,
                                                 precision=cfg.precision)
            codes_test[name, seed] = encode_ids(fit.model, corpus.test_ids, vocab=corpus.vocab,
                                                precision=cfg.precision)
            if ood_ids:
                codes_ood[name, seed] = encode_ids(fit.model, ood_ids, vocab=corpus.vocab, precision=cfg.precision)
            recon_rows += _reconstruction_rows(name, labels[name], seed, fit, corpus, drop=noisy_drop(cfg),
                                               scored=scored)
    reconstruction = pd.DataFrame(recon_rows)
    tfidf_train, tfidf_test, *rest = tfidf_features(data, ood=ood.x if ood_ids else None)
    tfidf_ood = rest[0] if rest else None
    positive = float(np.mean(data.y_test))
    shared = {"majority_rate": max(positive, 1 - positive)}
    for split in scored:
        baseline = reconstruction[(reconstruction["variant"] == "baseline") & (reconstruction["split"] == split)]
        shared[f"baseline_{split}_token_acc"] = float(baseline["token_acc"].iloc[0])
        shared[f"baseline_{split}_token_acc_known"] = float(baseline["token_acc_known"].iloc[0])
        shared[f"baseline_{split}_exact"] = float(baseline["exact"].iloc[0])
    if ood_ids:
        ood_positive = float(np.mean(ood.y))
        shared.update({f"{OUT_OF_DOMAIN}_majority_rate": max(ood_positive, 1 - ood_positive),
                       f"{OUT_OF_DOMAIN}_sentences": len(ood_ids),
                       f"{OUT_OF_DOMAIN}_unk_rate": corpus.vocab.unk_rate(ood.x)})

    representations = {**{key: (codes_train[key], codes_test[key], codes_ood.get(key)) for key in fits},
                       **{("tfidf", seed): (tfidf_train, tfidf_test, tfidf_ood) for seed in cfg.seeds}}
    rows, probes, records = [], [], []
    for (name, seed), (train, test, ood_codes) in representations.items():
        probes.append(_probe_row(name, seed, train, test, cfg=cfg, data=data, labels=labels, ood=ood_codes,
                                 ood_labels=ood.y if ood_codes is not None else None))
        probe_acc = probes[-1]["probe_acc"]
        for row in _cluster_rows(name, seed, train, test, cfg=cfg, corpus=corpus, data=data, labels=labels):
            rows.append(row)
            run = {"name": f"{name}-{row['reduction']}{row['embedding_size']}-"
                           f"{row['length_control'].replace(' ', '_')}-seed{seed}",
                   **{k: row[k] for k in ("variant", "seed", "embedding_size", "length_control", "reduction")},
                   "model": name, "scored_split": "test"}
            scores = {k: v for k, v in row.items() if k not in run and k not in ("method", "evaluate_seconds")}
            scores.update(shared, probe_acc=probe_acc)
            if f"{OUT_OF_DOMAIN}_probe_acc" in probes[-1]:
                scores[f"{OUT_OF_DOMAIN}_probe_acc"] = probes[-1][f"{OUT_OF_DOMAIN}_probe_acc"]
            extra = {}
            fit = fits.get((name, seed))
            if fit is not None:
                run.update(fit_key=fit.key, fit_from_cache=fit.from_cache)
                extra["history"] = fit.curves  # rec, token_acc, adv, disc per epoch
                recon = reconstruction[(reconstruction["variant"] == name) & (reconstruction["seed"] == seed)]
                short = {"clean": "clean", "another sentence's code": "other_code"}
                for r in recon.itertuples():
                    for metric in ("token_acc", "token_acc_known", "exact"):
                        scores[f"{r.split}_{short.get(r.input, 'noisy')}_{metric}"] = getattr(r, metric)
            timings = {"fit_seconds": fit.seconds if fit is not None else 0.0,
                       "evaluate_seconds": row["evaluate_seconds"]}
            info = {**data.info, **({f"{OUT_OF_DOMAIN}_source": ood.source, f"{OUT_OF_DOMAIN}_info": ood.info}
                                    if ood_ids else {})}
            record = make_record(config=cfg, run=run, metrics=scores, timings=timings,
                                 data=info, device=hardware, extra=extra)
            if write:
                write_record(record)
            records.append(record)
    return TextStudy(corpus=corpus, fits=fits, codes_train=codes_train, codes_test=codes_test,
                     table=pd.DataFrame(rows), reconstruction=reconstruction, probe=pd.DataFrame(probes),
                     records=records, codes_ood=codes_ood)


def examples(study: TextStudy, *, n: int, drop: float, seed: int = 0) -> pd.DataFrame:
    """Side by side: test sentences, a noisy copy, and what the main pair (first seed)
    decodes from both."""
    corpus = study.corpus
    ids = corpus.test_ids[:n]
    columns: dict[str, list[str]] = {"sentence": [corpus.vocab.decode(s) for s in ids]}
    noisy_inputs = None
    for name in MAIN:
        fit = study.first(name)
        _, clean = reconstruct_ids(fit.model, ids, vocab=corpus.vocab)
        noisy_inputs, noisy = reconstruct_ids(fit.model, ids, vocab=corpus.vocab, noise=Noise(drop=drop), seed=seed)
        columns[f"{LABELS[name]} (clean input)"] = [corpus.vocab.decode(s) for s in clean]
        columns[f"{LABELS[name]} (noisy input)"] = [corpus.vocab.decode(s) for s in noisy]
    columns["noisy input"] = [corpus.vocab.decode(s) for s in noisy_inputs]  # same seed: same corruption
    order = ["sentence", "noisy input"] + [c for c in columns if c not in ("sentence", "noisy input")]
    return pd.DataFrame({c: columns[c] for c in order})


def pick_pair(study: TextStudy, labels: Sequence[int], *, min_length: int = 6) -> tuple[int, int]:
    """A negative and a positive test sentence of moderate length, for interpolation."""
    lengths = study.corpus.test_lengths
    first = next(i for i, (y, n) in enumerate(zip(labels, lengths)) if y == 0 and min_length <= n <= 12)
    second = next(i for i, (y, n) in enumerate(zip(labels, lengths)) if y == 1 and min_length <= n <= 12)
    return first, second


def neighbours(study: TextStudy, texts: Sequence[str], index: int, *, k: int) -> pd.DataFrame:
    """The ``k`` held-out sentences nearest (cosine) to held-out sentence ``index`` in the
    code space of each model of the main pair (first seed), beside each other: how the
    denoising reshapes which sentences a code sits near."""
    columns = {}
    for name in MAIN:
        _, test = study.first_codes(name)
        unit = test / np.maximum(np.linalg.norm(test, axis=1, keepdims=True), 1e-12)
        similarity = unit @ unit[index]
        similarity[index] = -np.inf  # not itself
        nearest = np.argsort(-similarity, kind="stable")[:k]
        columns[LABELS[name]] = [f"{texts[i]}  ({similarity[i]:.2f})" for i in nearest]
    return pd.DataFrame(columns, index=pd.RangeIndex(1, k + 1, name="rank"))


def explorer_sample(labels: Sequence[int], cap: int, *, seed: int) -> np.ndarray:
    """At most ``cap`` indices of held-out sentences for the latent explorer, stratified by
    label and sorted (a page weight that stays small whatever the corpus)."""
    labels = np.asarray(labels)
    if len(labels) <= cap:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    keep = [rng.choice(np.flatnonzero(labels == label), size=max(1, round(cap * np.mean(labels == label))),
                       replace=False) for label in np.unique(labels)]
    return np.sort(np.concatenate(keep))[:cap]

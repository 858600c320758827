"""Where datasets come from: the data root, verified downloads, and the source fallback.

Every dataset of the book has a real source (what users with internet get) and offline
mirrors (real data installed through a package registry). Loaders share three things:

- :func:`data_root`: the one folder datasets are cached under;
- :func:`verified_file`: a cached file checked against its published checksum, fetched
  again (when allowed) if it is missing or corrupt, never used when it fails;
- :func:`first_available`: try the sources in order and return the first that loads,
  saying which were skipped and why; when every one fails, the error lists the
  commands that would make one available.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, Callable

from latentlib.events import notice
from latentlib.validation import check_choice


class DatasetNotFoundError(FileNotFoundError):
    """No source of a dataset is available; the message says how to get one."""


class CorruptDatasetError(OSError):
    """A downloaded or cached file failed its size, format or checksum check."""


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The folder datasets are cached under: ``root``, else ``$LATENTLIB_DATA``,
    else ``~/.cache/latentlib``."""
    if root is None:
        root = os.environ.get("LATENTLIB_DATA") or Path.home() / ".cache" / "latentlib"
    return Path(root).expanduser()


def file_digest(path: str | os.PathLike, algorithm: str = "sha1") -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified_file(path: Path, *, digest: str, algorithm: str, fetch: Callable[[Path], None],
                  download: bool, what: str, how_to: str) -> Path:
    """``path`` once its ``algorithm`` digest equals ``digest``.

    A file that fails the check is deleted and fetched again with ``fetch(path)`` when
    ``download`` is allowed, else reported (``CorruptDatasetError``, with ``how_to``); a
    missing file is fetched, or reported as not found. A fetch that gives a file failing
    the check deletes it and raises: a corrupt file is never read.
    """
    if path.exists() and file_digest(path, algorithm) != digest:
        if not download:
            raise CorruptDatasetError(f"{path} fails its checksum ({algorithm} != {digest}); delete it and "
                                      f"run {how_to}")
        path.unlink()
    if not path.exists():
        if not download:
            raise DatasetNotFoundError(f"{path} not found")
        path.parent.mkdir(parents=True, exist_ok=True)
        fetch(path)
        if not path.exists():
            raise DatasetNotFoundError(f"fetching {what} gave no file at {path}")
        if file_digest(path, algorithm) != digest:
            path.unlink()
            raise CorruptDatasetError(f"{what} as fetched fails its checksum ({algorithm} != {digest})")
    return path


def without_paths(text: str, root: Path | None = None) -> str:
    """``text`` with the data root and the home folder named, not spelled out: notices
    end up in chapters and records, which speak of the project, not of a machine."""
    for folder, name in ((root, "<data root>"), (data_root(), "<data root>"), (Path.home(), "~")):
        if folder is not None:
            text = text.replace(str(folder), name)
    return text


#: why a source was skipped, in a reader's words, and what in its error says so
NO_INTERNET = "no internet"
NOT_INSTALLED = "not installed"
NOT_ON_DISK = "not on disk"
UNAVAILABLE = "could not be loaded"
_NETWORK_WORDS = ("urlopen error", "name or service not known", "temporary failure in name resolution",
                  "network is unreachable", "could not resolve", "connection refused", "connection reset",
                  "timed out", "error downloading", "download of", "failed to establish a new connection",
                  "no route to host", "getaddrinfo", "enotfound", "eai_again", "max retries exceeded")
_INSTALL_WORDS = ("not installed", "no module named", "is not importable", "are needed to fetch",
                  "command not found")


def _chain(error: BaseException) -> list[BaseException]:
    found, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        found.append(error)
        error = error.__cause__ or error.__context__
    return found


def skip_reason(error: BaseException) -> str:
    """Why a source could not be used, as a reader says it: ``"no internet"`` (a download
    failed to reach its host), ``"not installed"`` (a package or tool is missing),
    ``"not on disk"`` (the files are absent and nothing fetched them), else
    ``"could not be loaded"``. Read from the exception's types and text: the loaders
    wrap the network error of a failed download in their own."""
    import socket
    import urllib.error

    chain = _chain(error)
    text = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, ImportError) for e in chain) or any(w in text for w in _INSTALL_WORDS):
        return NOT_INSTALLED
    if (any(isinstance(e, (urllib.error.URLError, socket.gaierror, ConnectionError, TimeoutError)) for e in chain)
            or any(w in text for w in _NETWORK_WORDS)):
        return NO_INTERNET
    if any(isinstance(e, FileNotFoundError) for e in chain) or "not found" in text or " lacks " in text:
        return NOT_ON_DISK
    return UNAVAILABLE


def fetch_command(source: str, loader: Callable[..., Any], error: str = "") -> str | None:
    """The ``latentlib data NAME`` command that makes ``source`` available: the one its own
    error names (UrbanSound8K's says ``latentlib data urbansound8k``), else the dataset of
    the module defining its loader, when that module is a dataset of ``latentlib data``
    (it defines ``fetch``: torchvision's MNIST loader gives ``latentlib data mnist``), or
    the source's own name when a dataset module beside its loader bears it; else None (no
    command is made up)."""
    import sys

    named = re.search(r"latentlib data ([\w-]+)", error)
    if named:
        return f"latentlib data {named[1]}"
    name = getattr(loader, "__module__", "") or ""
    module = sys.modules.get(name)
    if module is not None and callable(getattr(module, "fetch", None)):
        return f"latentlib data {name.rsplit('.', 1)[-1]}"
    # a loader in the package's one loader module (audio's): the source itself, when a
    # dataset module of that package bears its name (urbansound8k: latentlib.audio.urbansound)
    package = name.rpartition(".")[0]
    if package and any(other.startswith(package + ".") and source.startswith(other.rsplit(".", 1)[-1])
                       and callable(getattr(sys.modules[other], "fetch", None)) for other in list(sys.modules)):
        return f"latentlib data {source}"
    return None


#: each reason as the clause of a sentence about the source
_CLAUSES = {NO_INTERNET: "{} could not download (no internet)", NOT_INSTALLED: "{} is not installed",
            NOT_ON_DISK: "{} is not on disk", UNAVAILABLE: "{} could not be loaded"}


def fallback_message(used: str, skipped: list[tuple[str, str]], command: str | None) -> str:
    """The notice of a fallback in a reader's words: which source ran, why each before it
    did not, and the one command that gets the preferred one (no exception text, no path:
    those stay in the record)."""
    why = ", and ".join(_CLAUSES[reason].format(name) for name, reason in skipped)
    text = f"data source '{used}' used because {why}."
    preferred, reason = skipped[0]
    if command:
        text += (f" To use {preferred} instead, run `{command}`"
                 + (" with internet" if reason == NO_INTERNET else "") + ", then run the chapter again.")
    return text


def first_available(source: str, *, sources: tuple[str, ...], loaders: dict[str, Callable[[Path, bool], Any]],
                    root: Path, download: bool, how_to: str,
                    auto_order: list[tuple[str, bool]] | None = None) -> Any:
    """Load ``source``, or with ``"auto"`` the first of ``sources`` that loads.

    ``loaders[name](root, download)`` loads one source. ``auto_order`` replaces the
    ``(name, download)`` attempts of ``"auto"`` (e.g. local copies before any download).
    A source that is absent is skipped, and the skip is said out loud (a notice: on the
    terminal, in the chapter, in the records) in a reader's words (:func:`fallback_message`);
    the exceptions themselves go only into the notice's ``errors`` field, which the records
    keep. A source that exists but is broken (``CorruptDatasetError``) stops the search,
    since falling back would hide it. When every source is absent the error starts with
    ``how_to`` (the commands that make one available).
    """
    check_choice("source", source, ("auto", *sources))
    errors, skipped = [], []
    attempts = [(source, download)] if source != "auto" else auto_order or [(name, download) for name in sources]
    for name, allowed in attempts:
        try:
            loaded = loaders[name](root, allowed)
        except CorruptDatasetError:
            raise
        except (DatasetNotFoundError, OSError, RuntimeError, ImportError) as error:
            errors.append(f"{name}: {error}")
            skipped.append((name, skip_reason(error)))
            continue
        if errors:
            skipped = _one_per_source(skipped)
            first = skipped[0][0]
            command = fetch_command(first, loaders[first], next(e for e in errors if e.startswith(f"{first}: ")))
            notice("fallback", fallback_message(name, skipped, command), source=name,
                   skipped=[f"{n}: {r}" for n, r in skipped], command=command,
                   errors=[without_paths(e, root) for e in errors])
        return loaded
    detail = "\n".join(f"  ({e})" for e in errors)
    raise DatasetNotFoundError(f"{how_to}\nTried:\n{detail}")


def _one_per_source(skipped: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A source tried twice (on disk first, then by download) is named once, with the
    reason of its last attempt."""
    last = dict(skipped)
    return [(name, last[name]) for name in dict.fromkeys(name for name, _ in skipped)]

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


def first_available(source: str, *, sources: tuple[str, ...], loaders: dict[str, Callable[[Path, bool], Any]],
                    root: Path, download: bool, how_to: str,
                    auto_order: list[tuple[str, bool]] | None = None) -> Any:
    """Load ``source``, or with ``"auto"`` the first of ``sources`` that loads.

    ``loaders[name](root, download)`` loads one source. ``auto_order`` replaces the
    ``(name, download)`` attempts of ``"auto"`` (e.g. local copies before any download).
    A source that is absent is skipped, and the skip is said out loud (a notice: on the
    terminal, in the chapter, in the records); a source that exists but is broken
    (``CorruptDatasetError``) stops the search, since falling back would hide it. When
    every source is absent the error starts with ``how_to`` (the commands that make
    one available).
    """
    check_choice("source", source, ("auto", *sources))
    errors = []
    attempts = [(source, download)] if source != "auto" else auto_order or [(name, download) for name in sources]
    for name, allowed in attempts:
        try:
            loaded = loaders[name](root, allowed)
        except CorruptDatasetError:
            raise
        except (DatasetNotFoundError, OSError, RuntimeError) as error:
            errors.append(f"{name}: {error}")
            continue
        if errors:
            skipped = [without_paths(e.splitlines()[0], root) for e in errors]
            notice("fallback", f"data source {name!r} used because the ones before it are not available: "
                   + "; ".join(skipped), source=name, skipped=skipped)
        return loaded
    detail = "\n".join(f"  ({e})" for e in errors)
    raise DatasetNotFoundError(f"{how_to}\nTried:\n{detail}")

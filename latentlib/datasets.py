"""Dataset name -> fetcher, for ``latentlib data NAME``: each makes one dataset available
under the data root (downloading what is allowed) and returns a one-line description of
the source it found. Fetchers are named as strings and imported only when called, so the
core never imports a modality."""

from __future__ import annotations

import importlib
from pathlib import Path

FETCHERS = {
    "mnist": "latentlib.images.mnist:fetch",
    "fashion_mnist": "latentlib.images.fashion_mnist:fetch",
    "urbansound8k": "latentlib.audio.urbansound:fetch",
    "drumkits": "latentlib.audio.drumkits:fetch",
    "yelp": "latentlib.text.yelp:fetch",
    "rotten_tomatoes": "latentlib.text.rotten_tomatoes:fetch",
}


def fetch(name: str, root: str | Path | None = None) -> str:
    """Make dataset ``name`` available under ``root``; describe the source found."""
    if name not in FETCHERS:
        raise ValueError(f"dataset must be one of {', '.join(sorted(FETCHERS))}, got {name!r}")
    module, function = FETCHERS[name].split(":")
    return getattr(importlib.import_module(module), function)(root)

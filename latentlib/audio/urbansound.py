"""UrbanSound8K in its official layout: 8,732 clips <= 4 s, 10 classes, 10 folds.

Layout (the official archive, or what ``soundata`` downloads)::

    <folder>/metadata/UrbanSound8K.csv      slice_file_name, fsID, start, end, salience,
                                            fold, classID, class
    <folder>/audio/fold1 ... fold10/*.wav

The folds are the dataset's own and are never reshuffled: slices of one field
recording share a fold, so a random split would put near duplicates on both sides.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from latentlib.audio.clips import AudioClips
from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError, data_root

METADATA = Path("metadata") / "UrbanSound8K.csv"
COLUMNS = ("slice_file_name", "fold", "classID", "class")
# the paper names no test fold; hold out the last two so each is scored on its own
DEFAULT_TEST_FOLDS = ("fold9", "fold10")


def candidate_folders(root: str | os.PathLike | None = None) -> list[Path]:
    """Folders that may hold the dataset: ``root`` itself, and ``urbansound8k`` and
    ``UrbanSound8K`` below it (and below the data root when ``root`` is None)."""
    base = Path(root).expanduser() if root is not None else data_root()
    folders = [base, base / "UrbanSound8K", base / "urbansound8k", base / "urbansound8k" / "UrbanSound8K"]
    return list(dict.fromkeys(folders))


def how_to_get_urbansound8k(root: str | os.PathLike | None = None) -> str:
    """The steps that make UrbanSound8K available under ``root`` (or the data root)."""
    target = (Path(root).expanduser() if root is not None else data_root()) / "urbansound8k"
    return (
        "UrbanSound8K not found (looked for metadata/UrbanSound8K.csv under "
        f"{', '.join(str(f) for f in candidate_folders(root))}). To get it (about 6 GB):\n"
        f"  - with soundata: pip install soundata, then in Python\n"
        f"      import soundata; soundata.initialize('urbansound8k', data_home='{target}').download()\n"
        "  - by hand: download UrbanSound8K.tar.gz from https://urbansounddataset.weebly.com/urbansound8k.html,\n"
        f"    then: mkdir -p {target} && tar -xzf UrbanSound8K.tar.gz -C {target}\n"
        "  - or use the offline drum-kit mirror: source='drumkits' (Debian package hydrogen-drumkits)"
    )


def find_urbansound8k(root: str | os.PathLike | None = None) -> Path:
    """The folder holding ``metadata/UrbanSound8K.csv``; raises with the steps to get it."""
    for folder in candidate_folders(root):
        if (folder / METADATA).is_file():
            return folder
    raise DatasetNotFoundError(how_to_get_urbansound8k(root))


def read_metadata(folder: Path) -> pd.DataFrame:
    """The metadata table, checked for the columns the loader needs."""
    path = folder / METADATA
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise CorruptDatasetError(f"{path} is not a readable CSV ({error})") from None
    absent = [c for c in COLUMNS if c not in table.columns]
    if absent:
        raise CorruptDatasetError(f"{path} lacks the columns {absent}; is it the official UrbanSound8K.csv?")
    return table


def load_urbansound8k(root: str | os.PathLike | None = None) -> AudioClips:
    """UrbanSound8K clips in metadata order, grouped by official fold.

    Class ids and names come from the metadata (``classID``, ``class``). Files the
    metadata lists but that are not on disk are counted in ``missing`` and left out;
    files that are there but unreadable are caught later, by feature extraction.

    Parameters
    ----------
    root
        The dataset folder, or a folder above it (see :func:`candidate_folders`).
    """
    folder = find_urbansound8k(root)
    table = read_metadata(folder)
    names = table.drop_duplicates("classID").set_index("classID")["class"].sort_index()
    if list(names.index) != list(range(len(names))):
        raise CorruptDatasetError(f"classID in {folder / METADATA} should run 0..{len(names) - 1}, got {list(names.index)}")
    paths = [folder / "audio" / f"fold{fold}" / name
             for fold, name in zip(table["fold"], table["slice_file_name"])]
    present = [path.is_file() for path in paths]
    kept = table[present]
    return AudioClips(
        paths=[p for p, ok in zip(paths, present) if ok],
        labels=kept["classID"].to_numpy(),
        groups=[f"fold{fold}" for fold in kept["fold"]],
        class_names=[str(n) for n in names],
        source="UrbanSound8K",
        group_kind="fold",
        default_test_groups=DEFAULT_TEST_FOLDS,
        missing=[str(p.relative_to(folder)) for p, ok in zip(paths, present) if not ok],
        info={"listed": int(len(table))},
    )


def fetch(root: str | os.PathLike | None = None) -> str:
    """Download UrbanSound8K with ``soundata`` when it is installed; describe what is there."""
    try:
        folder = find_urbansound8k(root)
    except DatasetNotFoundError:
        try:
            import soundata
        except ImportError:
            raise DatasetNotFoundError(how_to_get_urbansound8k(root)) from None
        target = (Path(root).expanduser() if root is not None else data_root()) / "urbansound8k"
        soundata.initialize("urbansound8k", data_home=str(target)).download()
        folder = find_urbansound8k(root)
    clips = load_urbansound8k(folder)
    return f"UrbanSound8K at {folder}: {len(clips):,} clips, {len(clips.missing)} listed but missing"

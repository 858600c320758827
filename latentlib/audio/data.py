"""The one loader over all audio sources: UrbanSound8K, then the 0 A.D. everyday sounds,
then the drum kits, each returning :class:`~latentlib.audio.clips.AudioClips`."""

from __future__ import annotations

from pathlib import Path

from latentlib.audio import drumkits, everyday_sounds, urbansound
from latentlib.audio.clips import AudioClips
from latentlib.audio.config import AUDIO_SOURCES
from latentlib.data.sources import DatasetNotFoundError, first_available


def load_audio_clips(source: str = "auto", *, root: str | Path | None = None,
                     download: bool = True) -> AudioClips:
    """Load an audio dataset: the first of UrbanSound8K, the everyday sounds and the drum
    kits that is available.

    Parameters
    ----------
    source
        ``"auto"`` (the first available of ``urbansound8k``, ``everyday_sounds``,
        ``drumkits``), or one of them.
    root
        Where the dataset lies (for ``urbansound8k``: the folder holding
        ``metadata/UrbanSound8K.csv`` or one above it; for ``everyday_sounds``: the folder
        holding ``audio/`` or one holding ``0ad-data/audio/``; for ``drumkits``: a
        ``drumkits`` folder). Default: each loader's own search path.
    download
        Allow fetching the drum kits (``apt-get download`` + ``dpkg-deb -x`` under the
        data root, no root needed) when they are not on disk, and the everyday sounds
        when ``source`` names them (1.38 GB: ``"auto"`` never starts that download).

    Raises
    ------
    DatasetNotFoundError
        When no source tried is available; the message says how to get each one.
    CorruptDatasetError
        When the named ``source`` is on disk but unreadable.
    """

    def load_kits(folder: Path | None, download: bool) -> AudioClips:
        try:
            return drumkits.load_drumkits(folder)
        except DatasetNotFoundError:
            if not download or folder is not None:
                raise
            drumkits.download_drumkits()  # unpacked under the data root, without root
            return drumkits.load_drumkits(folder)

    def load_everyday(folder: Path | None, download: bool) -> AudioClips:
        try:
            return everyday_sounds.load_everyday_sounds(folder)
        except DatasetNotFoundError:
            if not download or folder is not None:
                raise
            everyday_sounds.download_everyday_sounds()
            return everyday_sounds.load_everyday_sounds(folder)

    # UrbanSound8K (6 GB) comes only by `latentlib data urbansound8k`, the everyday sounds
    # (1.38 GB) by `latentlib data everyday_sounds` or when named; the kits are fetched here
    loaders = {"urbansound8k": lambda folder, download: urbansound.load_urbansound8k(folder),
               "everyday_sounds": load_everyday, "drumkits": load_kits}
    how_to = ("no audio dataset is available (each source tried says how to get it)" if source == "auto"
              else f"the audio source {source!r} is not available (below: how to get it)")
    auto_order = [("urbansound8k", False), ("everyday_sounds", False), ("drumkits", download)]
    # root None is passed on as is: each loader then searches its own default folders
    return first_available(source, sources=AUDIO_SOURCES, loaders=loaders, root=root, download=download,
                           how_to=how_to, auto_order=auto_order)

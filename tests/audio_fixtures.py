"""Small audio datasets written with soundfile, in the layouts the loaders read."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import soundfile as sf

SR = 22050
US8K_CLASSES = ["air_conditioner", "car_horn", "dog_bark"]
# one tone per class, so the features differ by class
TONES = {0: 220.0, 1: 880.0, 2: 3520.0}


def tone(frequency: float, seconds: float, *, sr: int = SR, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def write_urbansound8k(root: Path, *, folds: int = 3, per_cell: int = 2) -> dict[str, str]:
    """An UrbanSound8K-layout folder: ``per_cell`` good clips per (fold, class), plus one
    corrupt, one empty, one silent and one listed-but-missing file (all in fold 1).

    Returns the file name of each bad file, keyed by what is wrong with it.
    """
    rows = []
    for fold in range(1, folds + 1):
        (root / "audio" / f"fold{fold}").mkdir(parents=True, exist_ok=True)
        for class_id, name in enumerate(US8K_CLASSES):
            for take in range(per_cell):
                file_name = f"{100 + class_id}-{fold}-{take}-0.wav"
                seconds = 1.5 + take  # shorter than 4 s: padded
                sf.write(root / "audio" / f"fold{fold}" / file_name, tone(TONES[class_id], seconds), SR)
                rows.append((file_name, fold, class_id, name))
    bad = {"unreadable": "900-1-0-0.wav", "empty": "901-1-0-0.wav", "silent": "902-1-0-0.wav",
           "missing": "903-1-0-0.wav"}
    folder = root / "audio" / "fold1"
    (folder / bad["unreadable"]).write_bytes(b"RIFF\x10\x00\x00\x00WAVEnot really audio" * 3)
    (folder / bad["empty"]).write_bytes(b"")
    sf.write(folder / bad["silent"], np.zeros(SR, dtype=np.float32), SR)
    for kind in ("unreadable", "empty", "silent", "missing"):
        rows.append((bad[kind], 1, 0, US8K_CLASSES[0]))
    (root / "metadata").mkdir(parents=True, exist_ok=True)
    with open(root / "metadata" / "UrbanSound8K.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["slice_file_name", "fsID", "start", "end", "salience", "fold", "classID", "class"])
        for file_name, fold, class_id, name in rows:
            writer.writerow([file_name, file_name.split("-")[0], 0.0, 4.0, 1, fold, class_id, name])
    return bad


KIT_XML = """<?xml version="1.0" encoding="UTF-8"?>
<drumkit_info xmlns="http://www.hydrogen-music.org/drumkit">
 <name>{name}</name>
 <instrumentList>
{instruments}
 </instrumentList>
</drumkit_info>
"""


def write_drumkit(folder: Path, name: str, instruments: dict[str, list[str]], *, write_files: bool = True) -> None:
    """A Hydrogen kit folder: ``drumkit.xml`` listing ``instruments`` (name -> layer files),
    and each layer file as a short FLAC tone."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    for index, (instrument, files) in enumerate(instruments.items()):
        layers = "".join(f"<layer><filename>{f}</filename></layer>" for f in files)
        parts.append(f"  <instrument><id>{index}</id><name>{instrument}</name>{layers}</instrument>")
        for number, file_name in enumerate(files):
            if write_files and not (folder / file_name).exists():
                sf.write(folder / file_name, tone(200.0 * (index + 1) + number, 0.3), SR, format="FLAC")
    (folder / "drumkit.xml").write_text(KIT_XML.format(name=name, instruments="\n".join(parts)))

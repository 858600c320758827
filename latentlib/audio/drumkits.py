"""Offline audio mirror: drum hits from Debian's ``hydrogen-drumkits``, six classes, by kit.

The package installs Hydrogen drum kits under ``/usr/share/hydrogen/data/drumkits``:
one folder per kit, each with a ``drumkit.xml`` that names its instruments and the
sample files (velocity layers) of each. Instrument names map to six classes by
keyword; instruments that match none (cowbells, djembes, loops ...) are left out.
The group of a clip is its kit: layers of one instrument are near duplicates, and
one kit's recording chain colours all its sounds, so splits hold out whole kits.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from latentlib.audio.clips import AudioClips
from latentlib.data.sources import DatasetNotFoundError, data_root

SYSTEM_FOLDER = Path("/usr/share/hydrogen/data/drumkits")
PACKAGE = "hydrogen-drumkits"
# first matching rule wins: "Crash/Ride" is a cymbal, "Hi-Hat" never a tom
CLASS_RULES = (
    ("clap", r"clap"),
    ("hihat", r"\bhh\b|hi[- ]?hat|\bhat\b"),
    ("cymbal", r"crash|ride|splash|china|cymbal"),
    ("snare", r"snare"),
    ("tom", r"\btom"),
    ("kick", r"kick|bass ?drum"),
)
CLASS_NAMES = ["kick", "snare", "hihat", "tom", "cymbal", "clap"]
# every class appears in each of these kits; the three Millo kits share an author
# (and possibly recordings), so they are held out together
DEFAULT_TEST_KITS = ("Audiophob", "Millo-Drums_v.1", "Millo_MultiLayered2", "Millo_MultiLayered3",
                     "rumpf_kit_z01_h2")


def instrument_class(name: str) -> str | None:
    """The class of a Hydrogen instrument name ("Closed HH" -> "hihat"), or None."""
    lowered = name.lower()
    for label, pattern in CLASS_RULES:
        if re.search(pattern, lowered):
            return label
    return None


def candidate_folders(root: str | os.PathLike | None = None) -> list[Path]:
    """``root`` (and its ``drumkits`` subfolder) if given; else the package unpacked under the
    data root (``dpkg-deb -x``), then the system install."""
    if root is not None:
        base = Path(root).expanduser()
        return [base, base / "drumkits", base / PACKAGE / SYSTEM_FOLDER.relative_to("/")]
    return [data_root() / PACKAGE / SYSTEM_FOLDER.relative_to("/"), SYSTEM_FOLDER]


def how_to_get_drumkits(root: str | os.PathLike | None = None) -> str:
    """The commands that install the mirror (with or without root)."""
    target = data_root() / PACKAGE
    return (
        "The hydrogen-drumkits mirror was not found (looked for */drumkit.xml under "
        f"{', '.join(str(f) for f in candidate_folders(root))}). To get it (143 MB, Debian/Ubuntu):\n"
        f"  - as root: apt-get update && apt-get install -y {PACKAGE}\n"
        f"  - without root: cd /tmp && apt-get download {PACKAGE} && "
        f"dpkg-deb -x {PACKAGE}_*.deb {target}"
    )


def find_drumkits(root: str | os.PathLike | None = None) -> Path:
    """The first candidate folder holding ``*/drumkit.xml``; raises with the install steps."""
    for folder in candidate_folders(root):
        if folder.is_dir() and any(folder.glob("*/drumkit.xml")):
            return folder
    raise DatasetNotFoundError(how_to_get_drumkits(root))


def download_drumkits(target: Path | None = None) -> Path:
    """Unpack the Debian package under the data root without installing it (no root
    needed): ``apt-get download`` then ``dpkg-deb -x``, into a temporary folder that is
    renamed into place only once complete. Returns the folder of the kits.

    Raises
    ------
    DatasetNotFoundError
        Where apt or dpkg-deb is missing, or the package cannot be downloaded; the
        message gives the commands to run by hand.
    """
    target = Path(target) if target is not None else data_root() / PACKAGE
    kits = target / SYSTEM_FOLDER.relative_to("/")
    if kits.is_dir() and any(kits.glob("*/drumkit.xml")):
        return kits
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise DatasetNotFoundError("apt-get and dpkg-deb are needed to fetch the drum kits (a Debian or "
                                   "Ubuntu machine)\n" + how_to_get_drumkits())
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{PACKAGE}-") as scratch:
        download = subprocess.run(["apt-get", "download", PACKAGE], cwd=scratch, capture_output=True,
                                  text=True, timeout=900)
        if download.returncode != 0 and os.geteuid() == 0:
            # a fresh machine has no package lists yet; as root, fetch them and try again
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True, text=True, timeout=900)
            download = subprocess.run(["apt-get", "download", PACKAGE], cwd=scratch, capture_output=True,
                                      text=True, timeout=900)
        debs = sorted(Path(scratch).glob(f"{PACKAGE}_*.deb"))
        if download.returncode != 0 or not debs:
            raise DatasetNotFoundError(f"apt-get download {PACKAGE} failed: {download.stderr.strip()[-300:]}\n"
                                       + how_to_get_drumkits())
        unpacked = Path(scratch) / "unpacked"
        extract = subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(unpacked)], capture_output=True,
                                 text=True, timeout=900)
        if extract.returncode != 0:
            raise DatasetNotFoundError(f"dpkg-deb -x {debs[0].name} failed: {extract.stderr.strip()[-300:]}")
        if target.exists():
            shutil.rmtree(target)
        os.replace(unpacked, target)  # whole or not at all
    return kits


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]  # drop the XML namespace


def read_kit(xml_path: Path) -> list[tuple[str, str]]:
    """``(instrument name, sample file name)`` for every layer of every instrument."""
    layers = []
    for element in ET.parse(xml_path).getroot().iter():
        if _local(element.tag) != "instrument":
            continue
        name = next((c.text or "" for c in element if _local(c.tag) == "name"), "")
        # older kits list <layer> directly, newer ones inside <instrumentComponent>
        layers += [(name, f.text) for f in element.iter() if _local(f.tag) == "filename" and f.text]
    return layers


def load_drumkits(root: str | os.PathLike | None = None) -> AudioClips:
    """Drum hits of the six classes from every kit, grouped by kit (the kit's folder name).

    A sample file listed by two instruments is kept once (the first); a listed file
    that is not on disk is counted in ``missing``.
    """
    folder = find_drumkits(root)
    paths, labels, groups, missing = [], [], [], []
    duplicates = 0
    seen: set[Path] = set()
    for xml_path in sorted(folder.glob("*/drumkit.xml")):
        kit = xml_path.parent
        for instrument, file_name in read_kit(xml_path):
            label = instrument_class(instrument)
            if label is None:
                continue
            path = kit / file_name
            if path in seen:
                duplicates += 1
                continue
            seen.add(path)
            if not path.is_file():
                missing.append(f"{kit.name}/{file_name}")
                continue
            paths.append(path)
            labels.append(CLASS_NAMES.index(label))
            groups.append(kit.name)
    if not paths:
        raise DatasetNotFoundError(f"no drum samples of the classes {CLASS_NAMES} under {folder}")
    present = set(groups)
    return AudioClips(
        paths=paths, labels=labels, groups=groups, class_names=list(CLASS_NAMES),
        source=f"Debian {PACKAGE} (drum hits, 6 classes by instrument name)",
        group_kind="kit",
        default_test_groups=tuple(k for k in DEFAULT_TEST_KITS if k in present),
        missing=missing,
        info={"kits": len(present), "duplicate_listings": duplicates},
    )


def fetch(root: str | os.PathLike | None = None) -> str:
    """Make the mirror available (found installed, or unpacked under the data root by
    :func:`download_drumkits`) and describe it."""
    try:
        clips = load_drumkits(root)
    except DatasetNotFoundError:
        download_drumkits(Path(root).expanduser() / PACKAGE if root is not None else None)
        clips = load_drumkits(root)
    return (f"{clips.source} at {find_drumkits(root)}: {len(clips)} clips in {clips.info['kits']} kits, "
            f"{len(clips.missing)} listed but missing")

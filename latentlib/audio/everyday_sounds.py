"""Offline audio mirror: everyday sound effects from Debian's ``0ad-data``, 15 classes, by source stem.

The game 0 A.D. ships its art in one zip, ``mods/public/public.zip`` (3.26 GB, in the
Debian package ``0ad-data`` 0.0.26-1, 1.38 GB; art CC-BY-SA-3.0). Its ``audio/``
folder (275 MB, Ogg Vorbis, 44.1/48 kHz) holds recorded sound effects: voices,
footsteps, animals, tools, weapons and impacts. Paths map to 15 classes by one label
table (:data:`CLASS_RULES`, first match wins); clips longer than 4 s (music, ambient
loops) and paths that match no rule are left out.

Many clips are variants of one recording (``cattle_01``, ``cattle_02``), so the group
of a clip is its *source stem* (its folder and file name without the trailing
numbering): a split holds out whole stems.

Fetching needs no root: ``apt-get download`` into a temporary folder under the data
root, the .deb checked against its sha256, ``dpkg-deb --fsys-tarfile`` streamed
through :mod:`tarfile` to write only the zip (hashed as it is written), ``audio/*``
taken out of it with :mod:`zipfile`, then the .deb and the zip deleted (peak ~4.7 GB,
then ~275 MB). A manifest (path, class, stem, duration) is cached as CSV beside the
audio, so later loads skip the duration scan.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
import zlib
from pathlib import Path

import pandas as pd

from latentlib.audio.clips import AudioClips
from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError, data_root, file_digest

PACKAGE = "0ad-data"
VERSION = "0.0.26-1"
DEB_NAME = f"{PACKAGE}_{VERSION}_all.deb"
DEB_SIZE = 1_377_557_908
DEB_SHA256 = "53745ae74d05bccf6783400fa98f3932b21729ab9d2e86151aa2c331c3455178"
ZIP_MEMBER = "usr/share/games/0ad/mods/public/public.zip"
ZIP_SHA256 = "451d739a9825e18597502996f082afbeb51796175b4f0814e30a3705ee35af17"
SYSTEM_ZIP = Path("/") / ZIP_MEMBER  # where an installed 0ad-data puts it
FOLDER = PACKAGE  # under the data root: <data root>/0ad-data/audio/...
MANIFEST = "manifest.csv"
MAX_SECONDS = 4.0

# first matching rule wins; each pattern is searched in the path below audio/, lower
# case. Sword hits before the other weapons, the dogs in voice/global before speech;
# left out: music, ambient, interface, gates, ships, siege, fire, mounted steps, flesh
# impacts, muskets
CLASS_RULES: tuple[tuple[str, str], ...] = (
    ("sword_clash", r"^attack/weapon/swordhit"),
    ("bow_arrow", r"^attack/weapon/(bow_attack|arrowfly)"),
    ("sling_shot", r"^attack/weapon/sling"),
    ("melee_swing", r"^attack/weapon/(sword|spear|pike|jav)_attack"),
    ("arrow_impact", r"^attack/impact/arrow"),
    ("sling_impact", r"^attack/impact/sling_"),
    ("shield_hit", r"^attack/impact/shield_"),
    ("human_death", r"^actor/human/death/"),
    ("footstep", r"^actor/(singlesteps|human/movement)/"),
    ("animal", r"^actor/fauna/|^voice/global/civ_dog_"),
    ("speech", r"^voice/"),
    ("gathering", r"^resource/(gathering|farming|foraging)/"),
    ("mining", r"^resource/mining/"),
    ("construction", r"^resource/construction/"),
    ("woodcutting", r"^resource/lumbering/"),
)
CLASS_NAMES = ["speech", "gathering", "human_death", "arrow_impact", "animal", "footstep", "melee_swing",
               "mining", "sling_impact", "shield_hit", "construction", "woodcutting", "sword_clash",
               "bow_arrow", "sling_shot"]
HELD_OUT_SHARE = 0.2


def clip_class(relative: str) -> str | None:
    """The class of a path below ``audio/`` (``"actor/fauna/animal/cattle_01.ogg"`` -> ``"animal"``), or None."""
    lowered = relative.lower().replace("\\", "/")
    for label, pattern in CLASS_RULES:
        if re.search(pattern, lowered):
            return label
    return None


def source_stem(relative: str) -> str:
    """The recording a clip is a variant of: its folder and file name without the
    trailing numbering (``"actor/fauna/animal/cattle_02.ogg"`` -> ``"actor/fauna/animal/cattle"``)."""
    path = Path(relative.replace("\\", "/"))
    name = re.sub(r"([ _-]*\d+[a-z]?)+$", "", path.stem) or path.stem
    return str(path.parent / name) if str(path.parent) != "." else name


def candidate_folders(root: str | os.PathLike | None = None) -> list[Path]:
    """Folders that may hold ``audio/``: ``root`` and ``root/0ad-data``, else ``<data root>/0ad-data``."""
    if root is not None:
        base = Path(root).expanduser()
        return [base, base / FOLDER]
    return [data_root() / FOLDER]


def how_to_get_everyday_sounds(root: str | os.PathLike | None = None) -> str:
    """The commands that make the mirror available (with or without root)."""
    target = candidate_folders(root)[-1]
    return (
        "The 0ad-data everyday-sounds mirror was not found (looked for audio/*.ogg under "
        f"{', '.join(str(f) for f in candidate_folders(root))}). To get it (1.38 GB download, "
        "~4.7 GB of disk while unpacking, 275 MB kept; Debian/Ubuntu):\n"
        "  - latentlib data everyday_sounds   (apt-get download, no root needed)\n"
        f"  - by hand: cd /tmp && apt-get download {PACKAGE}={VERSION} && "
        f"dpkg-deb --fsys-tarfile {DEB_NAME} | tar -xf - ./{ZIP_MEMBER} && "
        f"mkdir -p {target} && unzip -q {ZIP_MEMBER} 'audio/*' -d {target} && rm -r {DEB_NAME} usr"
    )


def find_everyday_sounds(root: str | os.PathLike | None = None) -> Path:
    """The first candidate folder holding ``audio/`` with Ogg files; raises with the steps to get it."""
    for folder in candidate_folders(root):
        if (folder / "audio").is_dir() and next((folder / "audio").rglob("*.ogg"), None) is not None:
            return folder
    raise DatasetNotFoundError(how_to_get_everyday_sounds(root))


# --- fetching ---------------------------------------------------------------------------


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def download_deb(scratch: Path) -> Path:
    """``apt-get download 0ad-data=0.0.26-1`` into ``scratch``; the .deb, checked.

    Raises ``DatasetNotFoundError`` (with the commands to run) when apt cannot fetch it,
    ``CorruptDatasetError`` naming the file when its size or sha256 is wrong.
    """
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise DatasetNotFoundError("apt-get and dpkg-deb are needed to fetch the 0ad-data sounds (a Debian "
                                   "or Ubuntu machine)\n" + how_to_get_everyday_sounds())
    command = ["apt-get", "download", f"{PACKAGE}={VERSION}"]
    download = _run(command, cwd=scratch, timeout=3600)
    if download.returncode != 0 and os.geteuid() == 0:
        # a fresh machine has no package lists yet; as root, fetch them and try again
        _run(["apt-get", "update", "-qq"], timeout=900)
        download = _run(command, cwd=scratch, timeout=3600)
    deb = scratch / DEB_NAME
    if download.returncode != 0 or not deb.is_file():
        raise DatasetNotFoundError(f"{' '.join(command)} failed: {download.stderr.strip()[-300:]}\n"
                                   + how_to_get_everyday_sounds())
    return deb


def check_deb(deb: Path) -> None:
    size = deb.stat().st_size
    if size != DEB_SIZE:
        raise CorruptDatasetError(f"{deb.name} is {size:,} bytes, expected {DEB_SIZE:,} ({PACKAGE} {VERSION}); "
                                  "the download is incomplete or another version")
    digest = file_digest(deb, "sha256")
    if digest != DEB_SHA256:
        raise CorruptDatasetError(f"{deb.name} fails its checksum (sha256 {digest} != {DEB_SHA256})")


def extract_zip(deb: Path, target: Path) -> None:
    """Stream the package's files (``dpkg-deb --fsys-tarfile``) and write only the zip to
    ``target``, hashing it as it is written; raises ``CorruptDatasetError`` naming
    ``public.zip`` when it is absent or fails its sha256."""
    digest = hashlib.sha256()
    found = False
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE,
                                   stderr=errors)
        try:
            with tarfile.open(fileobj=process.stdout, mode="r|") as archive:
                for member in archive:
                    if member.isfile() and member.name.removeprefix("./") == ZIP_MEMBER:
                        source = archive.extractfile(member)
                        with open(target, "wb") as sink:
                            for block in iter(lambda: source.read(1 << 20), b""):
                                digest.update(block)
                                sink.write(block)
                        found = True
                        break
        except tarfile.TarError as error:
            raise CorruptDatasetError(f"{deb.name} is not a readable package ({error})") from None
        finally:
            process.stdout.close()
            if found and process.poll() is None:
                process.terminate()  # the rest of the package is not needed
            process.wait()
        errors.seek(0)
        message = errors.read().decode(errors="replace").strip()
    if not found:
        raise CorruptDatasetError(f"{deb.name} holds no {ZIP_MEMBER}" + (f" ({message[-300:]})" if message else ""))
    if digest.hexdigest() != ZIP_SHA256:
        raise CorruptDatasetError(f"public.zip from {deb.name} fails its checksum "
                                  f"(sha256 {digest.hexdigest()} != {ZIP_SHA256})")


def extract_audio(zip_path: Path, target: Path) -> int:
    """Every ``audio/*`` member of the zip under ``target`` (CRCs checked by zipfile); the count."""
    count = 0
    try:
        with zipfile.ZipFile(zip_path) as archive:
            for info in archive.infolist():
                if info.filename.startswith("audio/") and not info.is_dir():
                    archive.extract(info, target)  # zipfile drops absolute paths and '..'
                    count += 1
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as error:
        raise CorruptDatasetError(f"{zip_path.name} is not a readable zip ({error})") from None
    if not count:
        raise CorruptDatasetError(f"{zip_path.name} holds no audio/ folder")
    return count


def download_everyday_sounds(target: Path | None = None) -> Path:
    """Put ``audio/`` of 0ad-data's ``public.zip`` into ``target`` (default
    ``<data root>/0ad-data``) without installing the package; returns ``target``.

    All work happens in a temporary folder beside ``target`` that is renamed into place
    only once complete; on any failure it is deleted, so nothing is left behind. An
    installed ``0ad-data`` (its zip at :data:`SYSTEM_ZIP`) is used instead of a download.

    Raises
    ------
    DatasetNotFoundError
        When apt or dpkg-deb is missing or the package cannot be downloaded (the
        message gives the commands to run by hand).
    CorruptDatasetError
        When the .deb or the zip fails its checksum (the message names the file).
    """
    target = Path(target) if target is not None else data_root() / FOLDER
    if (target / "audio").is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{FOLDER}-") as scratch_name:
        scratch = Path(scratch_name)
        if SYSTEM_ZIP.is_file():
            zip_path = SYSTEM_ZIP
            digest = file_digest(zip_path, "sha256")
            if digest != ZIP_SHA256:
                raise CorruptDatasetError(f"{zip_path} fails its checksum (sha256 {digest} != {ZIP_SHA256}); "
                                          f"is the installed {PACKAGE} another version than {VERSION}?")
        else:
            deb = download_deb(scratch)
            check_deb(deb)
            zip_path = scratch / "public.zip"
            extract_zip(deb, zip_path)
            deb.unlink()
        staging = scratch / FOLDER
        extract_audio(zip_path, staging)
        if zip_path.parent == scratch:
            zip_path.unlink()
        (staging / "SOURCE.txt").write_text(
            f"audio/ of {ZIP_MEMBER} (sha256 {ZIP_SHA256})\nfrom the Debian package {PACKAGE} {VERSION} "
            f"({DEB_NAME}, sha256 {DEB_SHA256}).\n0 A.D. art and sounds: CC-BY-SA-3.0, Wildfire Games.\n")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)  # whole or not at all
    return target


# --- the manifest and the clips ---------------------------------------------------------

MANIFEST_COLUMNS = ["path", "class", "stem", "duration", "bytes", "sha1"]


def _duration(path: Path) -> float:
    """Seconds, from the header (libsndfile reads Ogg Vorbis; no samples decoded); NaN
    when the file is unreadable."""
    import soundfile

    try:
        return float(soundfile.info(str(path)).duration)
    except (RuntimeError, OSError):  # soundfile.LibsndfileError is a RuntimeError
        return float("nan")


def read_manifest(folder: Path) -> pd.DataFrame:
    """Every ``audio/**/*.ogg`` under ``folder``: path (below ``audio/``), class (empty
    when no rule matches), source stem, duration (s, NaN if unreadable), size and sha1.

    Durations and digests come from ``folder/manifest.csv`` for the files it lists with
    the same size; only new or changed files are scanned. Classes and stems are always recomputed from the label
    table, and the CSV rewritten when anything changed (skipped where the folder is
    read-only).
    """
    audio = folder / "audio"
    files = sorted(p.relative_to(audio).as_posix() for p in audio.rglob("*.ogg"))
    cached = pd.DataFrame(columns=MANIFEST_COLUMNS)
    manifest_path = folder / MANIFEST
    if manifest_path.is_file():
        try:
            cached = pd.read_csv(manifest_path, keep_default_na=False, na_values={"duration": [""]},
                                 dtype={"path": str, "class": str, "stem": str, "sha1": str})
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
            cached = pd.DataFrame(columns=MANIFEST_COLUMNS)
        if list(cached.columns) != MANIFEST_COLUMNS:
            cached = pd.DataFrame(columns=MANIFEST_COLUMNS)
    known = {row.path: (row.duration, row.bytes, row.sha1) for row in cached.itertuples(index=False)}
    rows = []
    for relative in files:
        size = (audio / relative).stat().st_size
        duration, cached_size, digest = known.get(relative, (None, None, None))
        if duration is None or not digest or str(cached_size) != str(size):
            duration, digest = _duration(audio / relative), file_digest(audio / relative)
        rows.append((relative, clip_class(relative) or "", source_stem(relative), float(duration), size, digest))
    table = pd.DataFrame(rows, columns=MANIFEST_COLUMNS)
    if len(cached) != len(table) or not cached.reset_index(drop=True).astype(str).equals(table.astype(str)):
        try:
            partial = manifest_path.with_suffix(".csv.partial")
            table.to_csv(partial, index=False)
            os.replace(partial, manifest_path)
        except OSError:
            pass  # a read-only copy: scanned again next time
    return table


def default_test_stems(stems: list[str], labels: list[int], share: float = HELD_OUT_SHARE) -> tuple[str, ...]:
    """Stems held out when a study names none: for each class with two stems or more,
    stems in a fixed pseudo-random order (crc32 of the name) until about ``share`` of its
    clips are held out, never all of them; a class with one stem stays in training."""
    held: list[str] = []
    for label in sorted(set(labels)):
        sizes: dict[str, int] = {}
        for stem, of in zip(stems, labels):
            if of == label:
                sizes[stem] = sizes.get(stem, 0) + 1
        if len(sizes) < 2:
            continue
        target = share * sum(sizes.values())
        chosen, count = [], 0
        for stem in sorted(sizes, key=lambda s: (zlib.crc32(s.encode()), s)):
            if count >= target or len(chosen) == len(sizes) - 1:
                break
            if count + sizes[stem] <= 1.5 * target:
                chosen.append(stem)
                count += sizes[stem]
        if not chosen:
            chosen = [min(sizes, key=lambda s: (sizes[s], s))]
        held += [s for s in chosen if s not in held]
    return tuple(held)


def load_everyday_sounds(root: str | os.PathLike | None = None, *,
                         max_seconds: float = MAX_SECONDS) -> AudioClips:
    """The labelled clips of at most ``max_seconds``, in path order, grouped by source stem.

    Left out (counted in ``info``): paths no rule labels, clips longer than
    ``max_seconds``, unreadable files, and byte-identical copies of a clip already
    kept (the first in path order; 0 A.D. ships a few sounds twice, under two names).
    """
    folder = find_everyday_sounds(root)
    table = read_manifest(folder)
    labelled = table[table["class"] != ""]
    unreadable = labelled[labelled["duration"].isna()]
    short = labelled[labelled["duration"] <= max_seconds]
    kept = short[~short["sha1"].duplicated()]
    if kept.empty:
        raise DatasetNotFoundError(f"no clips of the classes {CLASS_NAMES} of at most {max_seconds} s under "
                                   f"{folder / 'audio'}")
    labels = [CLASS_NAMES.index(c) for c in kept["class"]]
    stems = kept["stem"].tolist()
    return AudioClips(
        paths=[folder / "audio" / p for p in kept["path"]], labels=labels, groups=stems,
        class_names=list(CLASS_NAMES),
        source=f"Debian {PACKAGE} {VERSION} (0 A.D. sound effects, {len(CLASS_NAMES)} classes by path)",
        group_kind="source recording",
        default_test_groups=default_test_stems(stems, labels),
        info={"files": int(len(table)), "unlabelled": int((table["class"] == "").sum()),
              "longer": int((labelled["duration"] > max_seconds).sum()),
              "unreadable": unreadable["path"].tolist(),
              "duplicates": int(short["sha1"].duplicated().sum()),
              "stems": int(kept["stem"].nunique()), "seconds": float(kept["duration"].sum())},
    )


def fetch(root: str | os.PathLike | None = None) -> str:
    """Make the mirror available (found on disk, or fetched by
    :func:`download_everyday_sounds`) and describe it."""
    try:
        folder = find_everyday_sounds(root)
    except DatasetNotFoundError:
        download_everyday_sounds(Path(root).expanduser() / FOLDER if root is not None else None)
        folder = find_everyday_sounds(root)
    clips = load_everyday_sounds(folder)
    info = clips.info
    return (f"{clips.source} at {folder}: {len(clips)} clips <= {MAX_SECONDS:g} s "
            f"({info['seconds'] / 60:.1f} min) from {info['stems']} source recordings; left out: "
            f"{info['longer']} longer, {info['duplicates']} byte-identical copies, "
            f"{len(info['unreadable'])} unreadable, {info['unlabelled']} files of no class")

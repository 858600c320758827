"""The offline audio mirror: Hydrogen drum kits, six classes by instrument name, split by kit."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from audio_fixtures import write_drumkit

from latentlib.audio.data import load_audio_clips
from latentlib.audio.drumkits import CLASS_NAMES, SYSTEM_FOLDER, instrument_class, load_drumkits
from latentlib.studies import fetch
from latentlib.data.sources import DatasetNotFoundError


@pytest.mark.parametrize("name, expected", [
    ("Kick", "kick"), ("BassDrum", "kick"), ("c3 - bass drum 1", "kick"), ('Kick (Tama Superstar 22")', "kick"),
    ("Snare Rimshot (Pearl Free Floating Maple 14x3.5)", "snare"), ("Snare Jazz", "snare"),
    ("Closed HH", "hihat"), ("Hi-Hat Pedal (Paiste)", "hihat"), ("Hi Hat Opened", "hihat"),
    ("Sabian Hat Swish", "hihat"), ("VariBreaks Hat 1 Cl", "hihat"),
    ("Tom Low", "tom"), ("Floor Tom", "tom"), ("tomhi2", "tom"),
    ("Crash/Ride Bell (Paiste Rude Crash/Ride 18\")", "cymbal"), ("Zildjian Splash Choke", "cymbal"),
    ("China (Paiste Alpha 18\")", "cymbal"), ("ride-cup", "cymbal"),
    ("Hand Clap", "clap"), ("d#3 - clap", "clap"),
    ("Cowbell", None), ("Djembe1 Bass", None), ("Stick", None), ("Sample: beats_01-10.flac", None), ("", None),
])
def test_instrument_names_map_to_six_classes(name, expected):
    assert instrument_class(name) == expected


@pytest.fixture
def kits(tmp_path):
    root = tmp_path / "drumkits"
    write_drumkit(root / "KitA", "Kit A", {"Kick": ["k1.flac", "k2.flac"], "Snare": ["s1.flac"],
                                           "Closed HH": ["h1.flac"], "Cowbell": ["c.flac"]})
    # a layer listed twice (kept once), and one listed but absent
    write_drumkit(root / "Kit B", "Kit B", {"Kick 1": ["kick.flac"], "Kick 2": ["kick.flac"],
                                            "Snare": ["s.flac"], "Tom Hi": ["t.flac"]})
    write_drumkit(root / "Kit B", "Kit B", {"Kick 1": ["kick.flac"], "Kick 2": ["kick.flac"],
                                            "Snare": ["s.flac"], "Tom Hi": ["t.flac"], "Crash": ["gone.flac"]},
                  write_files=False)
    return root


def test_loader_reads_kits_as_groups(kits):
    clips = load_drumkits(kits)
    assert clips.class_names == CLASS_NAMES and clips.group_kind == "kit"
    assert clips.group_names == ["Kit B", "KitA"]
    assert sorted(p.name for p in clips.paths) == ["h1.flac", "k1.flac", "k2.flac", "kick.flac", "s.flac",
                                                  "s1.flac", "t.flac"]
    assert clips.missing == ["Kit B/gone.flac"]
    assert clips.info["duplicate_listings"] == 1
    names = dict(zip((p.name for p in clips.paths), (CLASS_NAMES[label] for label in clips.labels)))
    assert names["k2.flac"] == "kick" and names["h1.flac"] == "hihat" and names["t.flac"] == "tom"
    train, test = clips.split(("KitA",))
    assert set(clips.groups[test]) == {"KitA"} and set(clips.groups[train]) == {"Kit B"}


def test_absent_mirror_says_how_to_install_it(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="apt-get install -y hydrogen-drumkits"):
        load_drumkits(tmp_path)
    with pytest.raises(DatasetNotFoundError, match="no audio dataset"):
        load_audio_clips("auto", root=tmp_path)


@pytest.mark.skipif(not SYSTEM_FOLDER.is_dir(), reason="hydrogen-drumkits is not installed (CI installs it)")
def test_installed_package_gives_every_class_in_train_and_held_out_kits():
    clips = load_drumkits()
    assert len(clips) > 400 and len(clips.group_names) >= 10
    train, test = clips.split()
    assert set(clips.labels[train]) == set(clips.labels[test]) == set(range(6))
    assert not set(clips.groups[train]) & set(clips.groups[test])


def test_auto_falls_back_to_the_kits_and_the_fetcher_describes_them(kits):
    with pytest.warns(UserWarning, match="data source 'drumkits' used"):  # the fallback is said out loud
        clips = load_audio_clips("auto", root=kits)
    assert clips.source.startswith("Debian hydrogen-drumkits") and len(clips) == 7
    assert "7 clips in 2 kits, 1 listed but missing" in fetch("drumkits", kits)


def test_download_unpacks_without_installing(tmp_path, monkeypatch):
    """apt-get download + dpkg-deb -x into the target, renamed into place only when whole."""
    from latentlib.audio import drumkits

    calls = []

    def fake_run(command, cwd=None, **kwargs):
        calls.append(command[:2])
        if command[:2] == ["apt-get", "download"]:
            (Path(cwd) / f"{drumkits.PACKAGE}_1.0_all.deb").write_bytes(b"deb")
        if command[:2] == ["dpkg-deb", "-x"]:
            kit = Path(command[3]) / drumkits.SYSTEM_FOLDER.relative_to("/") / "Kit"
            kit.mkdir(parents=True)
            (kit / "drumkit.xml").write_text("<drumkit_info/>")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(drumkits.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(drumkits.subprocess, "run", fake_run)
    kits = drumkits.download_drumkits(tmp_path / "hydrogen-drumkits")
    assert (kits / "Kit" / "drumkit.xml").exists()
    assert calls == [["apt-get", "download"], ["dpkg-deb", "-x"]]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no scratch left behind


def test_download_failure_says_what_to_run(tmp_path, monkeypatch):
    from latentlib.audio import drumkits

    monkeypatch.setattr(drumkits.shutil, "which", lambda name: None)
    with pytest.raises(DatasetNotFoundError, match="apt-get download hydrogen-drumkits"):
        drumkits.download_drumkits(tmp_path / "hydrogen-drumkits")

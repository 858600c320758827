"""Chapter 04's source order: UrbanSound8K on disk, else the everyday sounds on disk, else the
drum kits; a named source is that source or a clear error; the 1.38 GB everyday download
starts only when that source is named."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_fixtures import write_drumkit, write_urbansound8k

from latentlib.audio import drumkits, everyday_sounds
from latentlib.audio.config import AUDIO_SOURCES, AudioStudyConfig
from latentlib.audio.data import load_audio_clips
from latentlib.data.sources import DatasetNotFoundError

SR = 22050
EVERYDAY = {"actor/fauna/animal/cattle_01.ogg": 300.0, "actor/fauna/animal/cattle_02.ogg": 320.0,
            "actor/fauna/animal/goat_01.ogg": 500.0, "voice/greek/civ/civ_male_yes.ogg": 900.0,
            "voice/greek/civ/civ_male_no.ogg": 1100.0}


def write_everyday(folder: Path) -> None:
    for relative, frequency in EVERYDAY.items():
        path = folder / "audio" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        t = np.arange(int(0.3 * SR)) / SR
        sf.write(path, (0.3 * np.sin(2 * np.pi * frequency * t)).astype(np.float32), SR, format="OGG",
                 subtype="VORBIS")


def write_kits(folder: Path) -> None:
    write_drumkit(folder / "KitA", "KitA", {"Kick": ["k1.flac"], "Snare": ["s1.flac"]})
    write_drumkit(folder / "KitB", "KitB", {"Kick": ["k2.flac"], "Snare": ["s2.flac"]})


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    """An empty data root, with neither download reachable (a call fails the test)."""
    monkeypatch.setenv("LATENTLIB_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(drumkits, "SYSTEM_FOLDER", tmp_path / "no-system-kits")

    def no_download(*args, **kwargs):
        raise AssertionError("no download was asked for")

    monkeypatch.setattr(everyday_sounds, "download_everyday_sounds", no_download)
    monkeypatch.setattr(drumkits, "download_drumkits", no_download)
    return tmp_path / "data"


def test_the_order_is_urbansound_then_everyday_then_kits():
    assert AUDIO_SOURCES == ("urbansound8k", "everyday_sounds", "drumkits")
    assert AudioStudyConfig.from_profile("quick", data_source="everyday_sounds").data_source == "everyday_sounds"


def test_auto_takes_the_everyday_sounds_before_the_kits_and_says_why(tmp_path):
    write_everyday(tmp_path / "0ad-data")
    write_kits(tmp_path / "drumkits")
    with pytest.warns(UserWarning, match=r"data source 'everyday_sounds' used because urbansound8k is not on disk\. To use urbansound8k instead, run `latentlib data urbansound8k`"):
        clips = load_audio_clips("auto", root=tmp_path)
    assert clips.source.startswith("Debian 0ad-data") and len(clips) == len(EVERYDAY)
    assert clips.group_kind == "source recording"
    assert sorted(clips.group_names) == ["actor/fauna/animal/cattle", "actor/fauna/animal/goat",
                                         "voice/greek/civ/civ_male_no", "voice/greek/civ/civ_male_yes"]


def test_auto_falls_back_to_the_kits_without_the_everyday_sounds(tmp_path):
    write_kits(tmp_path / "drumkits")
    with pytest.warns(UserWarning, match=r"'drumkits' used because urbansound8k is not on disk, and everyday_sounds is not on disk"):
        clips = load_audio_clips("auto", root=tmp_path)
    assert clips.source.startswith("Debian hydrogen-drumkits") and len(clips) == 4


def test_urbansound_on_disk_comes_first(tmp_path):
    write_urbansound8k(tmp_path / "UrbanSound8K", folds=2, per_cell=1)
    write_everyday(tmp_path / "0ad-data")
    clips = load_audio_clips("auto", root=tmp_path)
    assert clips.source.startswith("UrbanSound8K") and clips.group_kind == "fold"


def test_a_named_source_is_that_source_even_when_another_comes_first(tmp_path):
    write_urbansound8k(tmp_path / "UrbanSound8K", folds=2, per_cell=1)
    write_everyday(tmp_path / "0ad-data")
    write_kits(tmp_path / "drumkits")
    assert load_audio_clips("everyday_sounds", root=tmp_path).source.startswith("Debian 0ad-data")
    assert load_audio_clips("drumkits", root=tmp_path).source.startswith("Debian hydrogen-drumkits")


def test_a_named_absent_source_says_how_to_get_it(tmp_path):
    write_kits(tmp_path / "drumkits")
    with pytest.raises(DatasetNotFoundError, match=r"'everyday_sounds' is not available(.|\n)*latentlib data "
                                                   r"everyday_sounds"):
        load_audio_clips("everyday_sounds", root=tmp_path)


def test_auto_never_starts_the_large_download(data_root):
    write_kits(drumkits.candidate_folders()[0])  # the kits as unpacked under the data root
    with pytest.warns(UserWarning, match="'drumkits' used"):
        clips = load_audio_clips("auto")  # the patched everyday download would fail the test
    assert clips.source.startswith("Debian hydrogen-drumkits")


def test_the_named_everyday_sounds_are_downloaded_when_absent(data_root, monkeypatch):
    fetched = []

    def fake_download(target=None):
        fetched.append(target)
        write_everyday(data_root / everyday_sounds.FOLDER)
        return data_root / everyday_sounds.FOLDER

    monkeypatch.setattr(everyday_sounds, "download_everyday_sounds", fake_download)
    clips = load_audio_clips("everyday_sounds")
    assert fetched == [None] and len(clips) == len(EVERYDAY)
    shutil.rmtree(data_root / everyday_sounds.FOLDER)
    with pytest.raises(DatasetNotFoundError):  # download=False: never fetched
        load_audio_clips("everyday_sounds", download=False)
    assert len(fetched) == 1


def test_split_counts_give_clips_and_recordings_per_side(tmp_path):
    write_everyday(tmp_path / "0ad-data")
    clips = everyday_sounds.load_everyday_sounds(tmp_path)
    table = clips.split_counts(("actor/fauna/animal/goat", "voice/greek/civ/civ_male_no"))
    assert table.loc["animal"].to_dict() == {"training clips": 2, "held out clips": 1,
                                             "training source recordings": 1, "held out source recordings": 1}
    assert table.loc["speech", "held out clips"] == 1 and table.loc["mining"].sum() == 0

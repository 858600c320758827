"""The offline everyday-sounds mirror: 0 A.D.'s sound effects (Debian 0ad-data), 15 classes
by path, grouped by source stem; fetched without root, nothing left behind on failure."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from latentlib.audio import everyday_sounds as es
from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError, data_root
from latentlib.studies import fetch

SR = 22050


def write_ogg(path: Path, seconds: float, frequency: float = 440.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * SR)) / SR
    sf.write(path, (0.3 * np.sin(2 * np.pi * frequency * t)).astype(np.float32), SR, format="OGG",
             subtype="VORBIS")


# path below audio/ -> class (None: left out)
TREE = {
    "attack/weapon/swordhit_01.ogg": "sword_clash",
    "attack/weapon/swordhit_02.ogg": "sword_clash",
    "attack/weapon/sword_attack_01.ogg": "melee_swing",
    "attack/weapon/sling_attack_01.ogg": "sling_shot",
    "attack/weapon/bow_attack_1.ogg": "bow_arrow",
    "attack/impact/arrow_wood_03.ogg": "arrow_impact",
    "actor/fauna/animal/cattle_01.ogg": "animal",
    "actor/fauna/animal/cattle_02.ogg": "animal",
    "actor/human/death/male_death_07.ogg": "human_death",
    "actor/singlesteps/fs_grass_01.ogg": "footstep",
    "voice/greek/civ/civ_female_attack_1.ogg": "speech",
    "voice/greek/civ/civ_female_attack_2.ogg": "speech",
    "voice/greek/civ/civ_male_yes.ogg": "speech",
    "voice/global/civ_dog_bark.ogg": "animal",
    "resource/lumbering/lumber_tree_01.ogg": "woodcutting",
}
LONG = "actor/fauna/animal/lion_attack1.ogg"  # 4.5 s: left out
UNMATCHED = "ambient/weather/rain_01.ogg"  # no rule: left out
COPY = "voice/latin/civ/civ_male_yes_1.ogg"  # byte-identical to greek civ_male_yes, later in path order: left out


@pytest.fixture
def tree(tmp_path):
    folder = tmp_path / "sounds"
    for index, relative in enumerate(TREE):
        write_ogg(folder / "audio" / relative, 0.2 + 0.05 * index, 200.0 + 50 * index)
    write_ogg(folder / "audio" / LONG, 4.5)
    write_ogg(folder / "audio" / UNMATCHED, 0.5)
    (folder / "audio" / COPY).parent.mkdir(parents=True)
    shutil.copy(folder / "audio" / "voice/greek/civ/civ_male_yes.ogg", folder / "audio" / COPY)
    return folder


@pytest.mark.parametrize("relative, expected", [
    ("voice/persian/civ/civ_female_what_is_it_1.ogg", "speech"),
    ("voice/global/civ_dog_bark.ogg", "animal"), ("voice/global/civ_dog_move.ogg", "animal"),
    ("resource/gathering/gather_meatexpire_02.ogg", "gathering"), ("resource/farming/hoe_03.ogg", "gathering"),
    ("resource/foraging/leaves_05.ogg", "gathering"),
    ("actor/human/death/female_death_01.ogg", "human_death"),
    ("attack/impact/arrow_metal_11.ogg", "arrow_impact"), ("attack/impact/arrow_01.ogg", "arrow_impact"),
    ("actor/fauna/animal/cattle_01.ogg", "animal"), ("actor/fauna/death/goat_3.ogg", "animal"),
    ("actor/fauna/movement/camel_11.ogg", "animal"),
    ("actor/singlesteps/fs_snow_04.ogg", "footstep"),
    ("actor/human/movement/Footsteps/Footstep_Grass_Running.ogg", "footstep"),
    ("actor/human/movement/hstep_dirt_MN_11.ogg", "footstep"),
    ("attack/weapon/sword_attack_04.ogg", "melee_swing"), ("attack/weapon/spear_attack_01.ogg", "melee_swing"),
    ("attack/weapon/pike_attack_01.ogg", "melee_swing"), ("attack/weapon/jav_attack_01.ogg", "melee_swing"),
    ("resource/mining/mine_stone_25.ogg", "mining"),
    ("attack/impact/sling_stone_02.ogg", "sling_impact"), ("attack/impact/shield_wood_16.ogg", "shield_hit"),
    ("resource/construction/con_saw_01.ogg", "construction"),
    ("resource/lumbering/lumber_treeexpire_1.ogg", "woodcutting"),
    ("attack/weapon/swordhit_27.ogg", "sword_clash"),
    ("attack/weapon/bow_attack_03.ogg", "bow_arrow"), ("attack/weapon/arrowfly_09.ogg", "bow_arrow"),
    ("attack/weapon/sling_12.ogg", "sling_shot"), ("attack/weapon/sling_attack_06.ogg", "sling_shot"),
    # left out
    ("actor/mounted/movement/mstep_01.ogg", None), ("actor/mounted/death/death_horse_10.ogg", None),
    ("attack/impact/fleshimp_01.ogg", None), ("attack/impact/siegeprojectilehit_1.ogg", None),
    ("attack/weapon/Musket_1.ogg", None), ("attack/fire/c_11.ogg", None), ("ambient/water/river.ogg", None),
    ("music/common/menu.ogg", None), ("interface/ui/click.ogg", None), ("actor/gate/stonegate_open_21.ogg", None),
])
def test_paths_map_to_fifteen_classes(relative, expected):
    assert es.clip_class(relative) == expected
    assert expected is None or expected in es.CLASS_NAMES


def test_every_class_has_a_rule_and_every_rule_a_class():
    assert sorted(label for label, _ in es.CLASS_RULES) == sorted(es.CLASS_NAMES)
    assert len(es.CLASS_NAMES) == 15


@pytest.mark.parametrize("relative, stem", [
    ("actor/fauna/animal/cattle_02.ogg", "actor/fauna/animal/cattle"),
    ("actor/fauna/animal/lion_attack1.ogg", "actor/fauna/animal/lion_attack"),
    ("attack/fire/sz11.ogg", "attack/fire/sz"),
    ("actor/human/movement/hstep_dirt_MN_11.ogg", "actor/human/movement/hstep_dirt_MN"),
    ("actor/fauna/animal/pig_death.ogg", "actor/fauna/animal/pig_death"),
    ("voice/persian/civ/civ_female_I_will_go.ogg", "voice/persian/civ/civ_female_I_will_go"),
    ("resource/gathering/gather_fieldexpire_3.ogg", "resource/gathering/gather_fieldexpire"),
])
def test_the_group_is_the_source_stem(relative, stem):
    assert es.source_stem(relative) == stem


def test_loader_keeps_labelled_short_unique_clips(tree):
    clips = es.load_everyday_sounds(tree)
    kept = sorted(str(p.relative_to(tree / "audio")) for p in clips.paths)
    assert kept == sorted(TREE)  # not the long one, the unmatched one or the copy
    assert {str(p.relative_to(tree / "audio")): clips.class_names[label]
            for p, label in zip(clips.paths, clips.labels)} == TREE
    counts = dict(zip(clips.class_names, np.bincount(clips.labels, minlength=15)))
    assert counts["animal"] == 3 and counts["speech"] == 3 and counts["sword_clash"] == 2
    assert counts["mining"] == 0
    assert clips.group_kind == "source recording" and clips.class_names == es.CLASS_NAMES
    assert clips.info["longer"] == 1 and clips.info["unlabelled"] == 1 and clips.info["duplicates"] == 1
    assert clips.info["stems"] == len(set(clips.groups)) == 12


def test_split_holds_out_whole_stems(tree):
    clips = es.load_everyday_sounds(tree)
    train, test = clips.split(("actor/fauna/animal/cattle", "voice/greek/civ/civ_female_attack"))
    assert sorted(p.stem for p in np.asarray(clips.paths)[test]) == [
        "cattle_01", "cattle_02", "civ_female_attack_1", "civ_female_attack_2"]
    assert not set(clips.groups[train]) & set(clips.groups[test])
    # default: a class with two stems or more has some held out and some kept; one stem stays in training
    train, test = clips.split()
    for label in set(clips.labels.tolist()):
        stems = set(clips.groups[clips.labels == label])
        held = stems & set(clips.groups[test])
        assert (0 < len(held) < len(stems)) if len(stems) > 1 else not held


def test_default_held_out_stems_are_fixed_and_about_a_fifth():
    stems = [f"s{i // 3}" for i in range(60)] + ["one"] * 5
    labels = [0] * 60 + [1] * 5
    held = es.default_test_stems(stems, labels)
    assert held == es.default_test_stems(stems, labels) and "one" not in held
    assert 0.15 <= sum(s in held for s in stems[:60]) / 60 <= 0.3


def test_manifest_is_cached_and_relabelled_without_a_rescan(tree, monkeypatch):
    es.load_everyday_sounds(tree)
    manifest = tree / es.MANIFEST
    table = np.genfromtxt(manifest, delimiter=",", names=True, dtype=None, encoding="utf-8")
    assert len(table) == len(TREE) + 3 and list(table.dtype.names) == es.MANIFEST_COLUMNS
    written = manifest.stat().st_mtime_ns

    def no_scan(path):
        raise AssertionError(f"{path} scanned again")

    monkeypatch.setattr(es, "_duration", no_scan)
    assert len(es.load_everyday_sounds(tree)) == len(TREE)
    assert manifest.stat().st_mtime_ns == written  # nothing changed: not rewritten
    monkeypatch.setattr(es, "CLASS_RULES", (("speech", r"^voice/"),))
    clips = es.load_everyday_sounds(tree)  # a new label table, the same durations
    assert len(clips) == 4 and set(clips.labels.tolist()) == {es.CLASS_NAMES.index("speech")}
    assert "speech" in manifest.read_text() and ",animal," not in manifest.read_text()


def test_fetcher_describes_a_tree_on_disk(tree):
    text = fetch("everyday_sounds", tree)
    assert f"{len(TREE)} clips <= 4 s" in text and "12 source recordings" in text
    assert "1 longer, 1 byte-identical copies" in text


def test_absent_mirror_says_how_to_get_it(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=r"apt-get download 0ad-data=0\.0\.26-1"):
        es.load_everyday_sounds(tmp_path)


# --- fetching, on a tiny package built here ------------------------------------------------


@pytest.fixture
def fake_package(tmp_path, monkeypatch):
    """A tiny 0ad-data .deb (built with dpkg-deb) holding a public.zip with two sounds and
    a texture; apt-get download is replaced by a copy of it. Returns (deb, zip digest)."""
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb is not installed")
    build = tmp_path / "build"
    write_ogg(build / "src" / "audio/actor/fauna/animal/cattle_01.ogg", 0.3)
    write_ogg(build / "src" / "audio/voice/greek/civ/civ_male_yes.ogg", 0.4, 300.0)
    zip_path = build / "pkg" / es.ZIP_MEMBER
    zip_path.parent.mkdir(parents=True)
    with zipfile.ZipFile(zip_path, "w") as archive:
        for path in sorted((build / "src").rglob("*.ogg")):
            archive.write(path, path.relative_to(build / "src").as_posix())
        archive.writestr("art/textures/skin.png", b"not audio")
    (build / "pkg" / "DEBIAN").mkdir()
    (build / "pkg" / "DEBIAN" / "control").write_text(
        "Package: 0ad-data\nVersion: 0.0.26-1\nArchitecture: all\nMaintainer: t <t@t>\nDescription: test\n")
    deb = build / es.DEB_NAME
    subprocess.run(["dpkg-deb", "--build", "-Zgzip", "--root-owner-group", str(build / "pkg"), str(deb)],
                   check=True, capture_output=True)
    zip_digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()

    def fake_download(scratch):
        shutil.copy(deb, scratch / es.DEB_NAME)
        return scratch / es.DEB_NAME

    monkeypatch.setattr(es, "download_deb", fake_download)
    monkeypatch.setattr(es, "SYSTEM_ZIP", tmp_path / "not-installed.zip")
    monkeypatch.setattr(es, "DEB_SIZE", deb.stat().st_size)
    monkeypatch.setattr(es, "DEB_SHA256", hashlib.sha256(deb.read_bytes()).hexdigest())
    return deb, zip_digest


def test_download_streams_the_zip_and_keeps_only_audio(tmp_path, fake_package, monkeypatch):
    monkeypatch.setattr(es, "ZIP_SHA256", fake_package[1])
    data = tmp_path / "data"
    target = es.download_everyday_sounds(data / "0ad-data")
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == [
        "SOURCE.txt", "audio/actor/fauna/animal/cattle_01.ogg", "audio/voice/greek/civ/civ_male_yes.ogg"]
    assert [p.name for p in data.iterdir()] == ["0ad-data"]  # no .deb, no zip, no scratch
    assert "2 clips <= 4 s" in es.fetch(data)


@pytest.mark.parametrize("broken", ["deb", "zip"])
def test_a_checksum_mismatch_names_the_file_and_leaves_nothing(tmp_path, fake_package, monkeypatch, broken):
    if broken == "deb":
        monkeypatch.setattr(es, "DEB_SHA256", "0" * 64)
        match = rf"{es.DEB_NAME} fails its checksum"
    else:  # the real zip digest: the fake zip fails it
        match = rf"public\.zip from {es.DEB_NAME} fails its checksum"
    data = tmp_path / "data"
    with pytest.raises(CorruptDatasetError, match=match):
        es.fetch(data)
    assert list(data.iterdir()) == []


def test_a_wrong_size_is_reported_before_hashing(tmp_path, fake_package, monkeypatch):
    monkeypatch.setattr(es, "DEB_SIZE", 1_377_557_908)
    monkeypatch.setattr(es, "file_digest", lambda *a: pytest.fail("hashed a file of the wrong size"))
    with pytest.raises(CorruptDatasetError, match=rf"{es.DEB_NAME} is [\d,]+ bytes, expected 1,377,557,908"):
        es.download_everyday_sounds(tmp_path / "data" / "0ad-data")
    assert list((tmp_path / "data").iterdir()) == []


def test_not_downloadable_says_what_to_run(tmp_path, monkeypatch):
    monkeypatch.setattr(es, "SYSTEM_ZIP", tmp_path / "not-installed.zip")
    monkeypatch.setattr(es.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(es, "_run", lambda command, **kwargs: subprocess.CompletedProcess(
        command, 100, "", "E: Unable to locate package 0ad-data"))
    monkeypatch.setattr(es.os, "geteuid", lambda: 1000)
    with pytest.raises(DatasetNotFoundError, match=r"(?s)Unable to locate.*apt-get download 0ad-data=0\.0\.26-1"):
        es.fetch(tmp_path / "data")
    assert list((tmp_path / "data").iterdir()) == []
    monkeypatch.setattr(es.shutil, "which", lambda name: None)
    with pytest.raises(DatasetNotFoundError, match="apt-get and dpkg-deb are needed"):
        es.download_everyday_sounds(tmp_path / "data" / "0ad-data")


# --- the real mirror -----------------------------------------------------------------------

REAL = data_root() / es.FOLDER
# measured on 0ad-data 0.0.26-1: <= 4 s, byte-identical copies left out (2 speech, 1 footstep,
# 2 animal), the two dog sounds of voice/global counted as animal, not speech
REAL_COUNTS = {"speech": 179, "gathering": 84, "human_death": 80, "arrow_impact": 70, "animal": 60,
               "footstep": 57, "melee_swing": 51, "mining": 49, "sling_impact": 36, "shield_hit": 31,
               "construction": 30, "woodcutting": 30, "sword_clash": 27, "bow_arrow": 21, "sling_shot": 18}


@pytest.mark.skipif(not (REAL / "audio").is_dir(), reason="the 0ad-data sounds are not fetched "
                    "(latentlib data everyday_sounds)")
def test_the_real_mirror_has_the_measured_classes():
    clips = es.load_everyday_sounds()
    counts = dict(zip(clips.class_names, np.bincount(clips.labels, minlength=15).tolist()))
    assert counts == REAL_COUNTS and len(clips) == 823
    assert clips.info["duplicates"] == 5 and clips.info["longer"] == 4 and not clips.info["unreadable"]
    assert clips.info["stems"] == 202
    train, test = clips.split()
    assert not set(clips.groups[train]) & set(clips.groups[test])
    # sword_clash is one stem (swordhit_01..27): it cannot sit on both sides
    assert set(clips.labels[train].tolist()) == set(range(15))
    assert set(clips.labels[test].tolist()) == set(range(15)) - {es.CLASS_NAMES.index("sword_clash")}

"""UrbanSound8K loader and fold splits on a small folder in the official layout."""

from __future__ import annotations

import numpy as np
import pytest
from audio_fixtures import US8K_CLASSES, write_urbansound8k

from latentlib.audio.data import load_audio_clips
from latentlib.audio.urbansound import load_urbansound8k
from latentlib.studies import fetch
from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError


@pytest.fixture
def us8k(tmp_path):
    root = tmp_path / "UrbanSound8K"
    bad = write_urbansound8k(root)
    return root, bad


def test_loader_reads_classes_folds_and_counts_missing_files(us8k):
    root, bad = us8k
    clips = load_urbansound8k(root)
    assert clips.class_names == US8K_CLASSES
    assert clips.group_kind == "fold"
    # 3 folds x 3 classes x 2 clips, plus the corrupt, empty and silent files that exist
    assert len(clips) == 18 + 3
    assert clips.missing == [f"audio/fold1/{bad['missing']}"]
    assert clips.info["listed"] == 22
    assert all(path.is_file() for path in clips.paths)
    assert clips.counts().loc["fold2"].tolist() == [2, 2, 2]
    # labels follow the metadata's classID, groups its fold column
    for path, label, group in zip(clips.paths, clips.labels, clips.groups):
        assert path.parent.name == group
        if not path.name.startswith("90"):
            assert int(path.name.split("-")[0]) - 100 == label


def test_loader_finds_the_dataset_below_a_parent_folder(us8k):
    root, _ = us8k
    assert len(load_urbansound8k(root.parent)) == len(load_urbansound8k(root))


def test_split_holds_out_whole_folds_in_metadata_order(us8k):
    clips = load_urbansound8k(us8k[0])
    train, test = clips.split(("fold3",))
    assert set(clips.groups[test]) == {"fold3"}
    assert set(clips.groups[train]) == {"fold1", "fold2"}
    assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)  # never reshuffled
    assert len(train) + len(test) == len(clips)
    # the same split every time
    again = load_urbansound8k(us8k[0]).split(("fold3",))
    assert np.array_equal(again[0], train) and np.array_equal(again[1], test)


def test_bad_splits_fail_naming_the_parameter(us8k):
    clips = load_urbansound8k(us8k[0])
    with pytest.raises(ValueError, match="test_groups.*fold7"):
        clips.split(("fold7",))
    with pytest.raises(ValueError, match="hold out every fold"):
        clips.split(("fold1", "fold2", "fold3"))
    # the default held-out folds (fold9, fold10) do not exist in this small copy
    with pytest.raises(ValueError, match="test_groups"):
        clips.split(None)


def test_limit_per_cell_keeps_the_first_clips_of_each_fold_and_class(us8k):
    clips = load_urbansound8k(us8k[0])
    small = clips.limit_per_cell(1)
    assert small.counts().to_numpy().max() == 1
    assert set(small.group_names) == set(clips.group_names)
    positions = [clips.paths.index(path) for path in small.paths]
    assert positions == sorted(positions)
    assert clips.limit_per_cell(None) is clips


def test_absent_dataset_says_how_to_get_it(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="soundata") as error:
        load_audio_clips("urbansound8k", root=tmp_path)
    assert "drumkits" in str(error.value)
    with pytest.raises(ValueError, match="source must be one of"):
        load_audio_clips("esc50")


def test_auto_prefers_urbansound8k_when_present(us8k):
    assert load_audio_clips("auto", root=us8k[0]).source == "UrbanSound8K"


def test_fetcher_describes_a_present_dataset(us8k):
    assert "21 clips, 1 listed but missing" in fetch("urbansound8k", us8k[0])


def test_a_named_source_that_is_corrupt_is_reported_not_skipped(us8k):
    root, _ = us8k
    (root / "metadata" / "UrbanSound8K.csv").write_text("not,the,columns\n1,2,3\n")
    with pytest.raises(CorruptDatasetError, match="lacks the columns"):
        load_audio_clips("urbansound8k", root=root)

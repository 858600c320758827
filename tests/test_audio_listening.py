"""What chapter 04 plays: short clips padded (no "0:00" player), captions that wrap, and the
explorer's payload (one point, spectrogram, text and clip per held-out clip), offline."""

from __future__ import annotations

import base64
import io
import re
import wave

import numpy as np
import pytest
from audio_fixtures import write_urbansound8k

from latentlib.audio.config import AudioStudyConfig
from latentlib.audio.listening import (EXPLORER_RATE, EXPLORER_SECONDS, audio_explorer, cluster_examples,
                                       explorer_payload)
from latentlib.audio.players import duration_text, playback_waveform, player_html
from latentlib.audio.study import clip_name, run_audio_study
from latentlib.audio.urbansound import load_urbansound8k
from latentlib.book.explorer import COLORBLIND


def wav_of(uri: str) -> tuple[int, np.ndarray]:
    """Sample rate and samples of a ``data:audio/wav;base64,`` URI."""
    assert uri.startswith("data:audio/wav;base64,")
    with wave.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))) as reader:
        return reader.getframerate(), np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")


def test_a_short_clip_is_padded_with_silence_to_one_second():
    clip = np.full(2205, 0.5, dtype=np.float32)  # 0.1 s at 22,050 Hz
    played = playback_waveform(clip, 22050)
    assert len(played) == 22050 and np.array_equal(played[:2205], clip) and not played[2205:].any()


def test_a_long_clip_is_kept_or_cropped_never_padded():
    clip = np.ones(3 * 8000, dtype=np.float32)
    assert len(playback_waveform(clip, 8000)) == 3 * 8000
    assert len(playback_waveform(clip, 8000, max_seconds=1.5)) == 12000


@pytest.mark.parametrize("arguments, parameter", [
    (dict(samples=np.zeros((2, 10))), "samples"), (dict(sample_rate=0), "sample_rate"),
    (dict(min_seconds=-1.0), "min_seconds"), (dict(max_seconds=0.5), "max_seconds"),  # below min_seconds
])
def test_bad_playback_input_names_the_parameter(arguments, parameter):
    values = dict(samples=np.zeros(10), sample_rate=8000) | arguments
    with pytest.raises(ValueError, match=rf"^{parameter} must be"):
        playback_waveform(values.pop("samples"), values.pop("sample_rate"), **values)


def test_a_player_of_a_short_clip_lasts_a_second_and_says_its_true_length():
    markup = player_html(np.full(1000, 0.2), 8000, caption="attack/impact/" + "a_very_long_file_name_" * 6 + ".ogg")
    rate, samples = wav_of(re.search(r'src="([^"]+)"', markup).group(1))
    assert rate == 8000 and len(samples) == 8000  # 0.125 s of sound, then silence: the player reads 0:01
    assert np.all(samples[:1000] == round(0.2 * 32767)) and not samples[1000:].any()
    assert "0.12 s (padded with silence to 1 s)" in markup
    assert "overflow-wrap:anywhere" in markup and "max-width:100%" in markup  # a long name wraps on a phone


def test_a_caption_is_escaped():
    assert "<b>" not in player_html(np.ones(8000) * 0.1, 8000, caption="<b>bold</b>")


def test_duration_text_says_what_the_player_adds_or_cuts():
    assert duration_text(0.25, played=1.0) == "0.25 s (padded with silence to 1 s)"
    assert duration_text(3.0, played=1.5) == "3.00 s (the first 1.5 s)"
    assert duration_text(1.2, played=1.2) == "1.20 s"


# --- on a small study ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("us8k")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LATENTLIB_FEATURES", str(root / "features"))
        patch.setenv("LATENTLIB_CACHE", str(root / "fits"))
        write_urbansound8k(root / "us8k", folds=3, per_cell=2)
        clips = load_urbansound8k(root / "us8k")
        config = AudioStudyConfig.from_profile("quick", test_groups=("fold2", "fold3"), n_mels=16, channels=(4, 8),
                                               embedding_size=4, epochs=2, batch_size=4, n_jobs=1, device="cpu",
                                               seeds=(0,))
        with pytest.warns(UserWarning, match="audio clips skipped"):  # the fixture's bad files
            return run_audio_study(config, clips, write=False, progress=False)


def test_the_explorer_payload_has_one_entry_per_held_out_clip(study):
    payload = explorer_payload(study)
    n = len(study.test_idx)
    assert payload["points"].shape == (n, 2) and np.array_equal(payload["labels"], study.y_test)
    assert len(payload["hover_images"]) == len(payload["hover_texts"]) == len(payload["hover_audio"]) == n
    assert all(uri.startswith("data:image/png;base64,") for uri in payload["hover_images"])
    for position, (text, uri) in enumerate(zip(payload["hover_texts"], payload["hover_audio"])):
        assert text.startswith(clip_name(study.clips, study.test_idx[position]))
        assert f"cluster {study.clusters[position]}" in text
        rate, samples = wav_of(uri)  # the fixture's clips last 1.5 s and 2.5 s: cropped to 1.5 s
        assert rate == EXPLORER_RATE and len(samples) == round(EXPLORER_SECONDS * EXPLORER_RATE)
        assert np.abs(samples).max() > 1000  # the tone, not silence


def test_the_explorer_pads_clips_shorter_than_a_second(study):
    payload = explorer_payload(study, max_seconds=4.0)
    seconds = [len(wav_of(uri)[1]) / EXPLORER_RATE for uri in payload["hover_audio"]]
    assert min(seconds) >= 1.0 and max(seconds) == pytest.approx(2.5)
    assert "(padded" not in " ".join(payload["hover_texts"])  # none is under a second
    short = explorer_payload(study, max_seconds=1.0)
    assert all("(the first 1 s)" in text for text in short["hover_texts"])


def test_the_audio_explorer_is_offline_and_colour_blind_safe(study):
    markup = audio_explorer(study).data
    assert len(re.findall(r"<circle ", markup)) == len(study.test_idx)
    assert COLORBLIND[0] in markup and COLORBLIND[2] in markup
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", markup) and "http" not in markup.split("<script>")[0]


def test_cluster_examples_follow_the_confusion_order(study):
    table = cluster_examples(study, per_cluster=1)
    order = [int(c.removeprefix("c")) for c in study.confusion().columns]
    assert table["cluster"].tolist() == [c for c in order if np.any(study.clusters == c)]
    for row in table.itertuples():
        assert study.clusters[row.test_position] == row.cluster
        assert row.size == int(np.sum(study.clusters == row.cluster))

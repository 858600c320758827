"""What chapter 04 lets a reader hear: a query's neighbours, a few clips per cluster, and the
latent explorer (hover a point: its spectrogram, its clip), all inline in the page, offline."""

from __future__ import annotations

import numpy as np
import pandas as pd

from latentlib.audio.features import FeatureConfig, load_clip
from latentlib.audio.players import PLAYBACK_RATE, duration_text, player_html, playback_waveform
from latentlib.audio.study import AudioStudy, clip_name, neighbour_table
from latentlib.book.explorer import COLORBLIND, audio_clips, latent_explorer, spectrogram_thumbnails
from latentlib.book.plots import project_2d

#: the explorer's clips: telephone bandwidth and at most this long, so ~200 of them stay a few MB
EXPLORER_RATE, EXPLORER_SECONDS = 8000, 1.5
#: players below the tables: a clip is at most this long (the features' 4 s window)
PLAYER_SECONDS = 4.0


def clip_waveform(study: AudioStudy, clip: int, *, sample_rate: int = PLAYBACK_RATE,
                  max_seconds: float = PLAYER_SECONDS) -> np.ndarray:
    """The samples of ``study.clips`` clip ``clip`` at ``sample_rate``, at most ``max_seconds``, unpadded."""
    config = FeatureConfig(sample_rate=sample_rate, n_mels=study.features.config.n_mels, duration=max_seconds)
    return load_clip(study.clips.paths[clip], config, fixed_length=False)


def show_neighbours(study: AudioStudy, query: int, *, k: int | None = None) -> pd.DataFrame:
    """Display the neighbour table and a player for each clip (IPython); return the table."""
    from IPython.display import HTML, display

    table = neighbour_table(study, query, k=k)
    display(table.drop(columns="test_position"))
    players = [player_html(clip_waveform(study, study.test_idx[row["test_position"]]), PLAYBACK_RATE,
                           caption=f"{row['role']}: {row['clip']} ({row['class']})")
               for _, row in table.iterrows()]
    display(HTML("".join(players)))
    return table


def cluster_examples(study: AudioStudy, *, per_cluster: int = 2) -> pd.DataFrame:
    """The first ``per_cluster`` held-out clips of each K-Means cluster (first seed, paper's
    embedding), clusters in the confusion table's order (by their best-matching class), with
    the cluster's size and its majority class."""
    names = study.clips.class_names
    rows = []
    for column in study.confusion().columns:
        cluster = int(column.removeprefix("c"))
        members = np.flatnonzero(study.clusters == cluster)
        counts = np.bincount(study.y_test[members], minlength=len(names))
        for position in members[:per_cluster]:
            rows.append({"cluster": cluster, "size": int(len(members)),
                         "majority": f"{names[int(counts.argmax())]} ({counts.max()} of {len(members)})",
                         "clip": clip_name(study.clips, study.test_idx[position]),
                         "class": names[study.y_test[position]], "test_position": int(position)})
    return pd.DataFrame(rows)


def show_cluster_clips(study: AudioStudy, *, per_cluster: int = 2) -> pd.DataFrame:
    """Display, per cluster, its size, its majority class and players for a few of its clips."""
    from IPython.display import HTML, display

    table = cluster_examples(study, per_cluster=per_cluster)
    blocks = []
    for cluster, part in table.groupby("cluster", sort=False):
        first = part.iloc[0]
        players = "".join(player_html(clip_waveform(study, study.test_idx[row.test_position]), PLAYBACK_RATE,
                                      caption=f"{row.clip} ({row['class']})") for _, row in part.iterrows())
        blocks.append(f"<div><b>cluster {cluster}</b>: {first['size']} clips, most of them "
                      f"{first['majority']}{players}</div>")
    display(HTML("".join(blocks)))
    return table


def explorer_payload(study: AudioStudy, *, sample_rate: int = EXPLORER_RATE,
                     max_seconds: float = EXPLORER_SECONDS) -> dict:
    """Everything the explorer shows per held-out clip: its 2-D point (t-SNE of the paper's
    embedding, first seed), spectrogram thumbnail, text (name, cluster, duration) and WAV clip
    (cropped to ``max_seconds``, short ones padded to 1 s)."""
    x = study.x_test[:, 0]
    # halve both axes (mean of 2x2 bins): a thumbnail of a few kB still shows the sound's shape
    bands, frames = x.shape[1] // 2 * 2, x.shape[2] // 2 * 2
    small = x[:, :bands, :frames].reshape(len(x), bands // 2, 2, frames // 2, 2).mean(axis=(2, 4))
    texts, clips = [], []
    for position, clip in enumerate(study.test_idx):
        samples = clip_waveform(study, clip, sample_rate=sample_rate)
        played = playback_waveform(samples, sample_rate, max_seconds=max_seconds)
        clips.append(played)
        texts.append(f"{clip_name(study.clips, clip)} · cluster {int(study.clusters[position])} · "
                     + duration_text(len(samples) / sample_rate, played=len(played) / sample_rate))
    return {"points": project_2d(study.z_test, "tsne", seed=study.seed), "labels": study.y_test,
            "class_names": list(study.clips.class_names), "hover_images": spectrogram_thumbnails(small),
            "hover_texts": texts, "hover_audio": audio_clips(clips, sample_rate)}


def audio_explorer(study: AudioStudy, **payload_options):
    """The held-out clips in the paper's embedding (t-SNE), as a latent explorer: hover a
    point to see its spectrogram, click it to pin it and play its clip, click a class in the
    legend to hide it. Colours: seaborn's "colorblind" palette."""
    payload = explorer_payload(study, **payload_options)
    return latent_explorer(payload["points"], payload["labels"], payload["class_names"],
                           hover_images=payload["hover_images"], hover_texts=payload["hover_texts"],
                           hover_audio=payload["hover_audio"], palette=COLORBLIND, image_width=172,
                           title=f"held-out clips in the pooled embedding (t-SNE, seed {study.seed})",
                           seed=study.seed)

"""Audio players for the book's pages: short clips padded so a player never reads "0:00 / 0:00",
captions that wrap, and clips small enough to sit inline in a static page.

A browser's player shows the duration in whole seconds, so a 0.2 s arrow impact reads
"0:00" as if it were empty: each clip is padded with trailing silence to
``min_seconds`` for playback, and its caption gives the recorded duration. The WAV
data URIs come from :func:`latentlib.book.explorer.audio_clips` (no file, no network).
"""

from __future__ import annotations

import html

import numpy as np

from latentlib.book.explorer import audio_clips
from latentlib.validation import check_positive_float, check_positive_int, fail

#: a player at this length or more shows a duration of at least 0:01
MIN_PLAYBACK_SECONDS = 1.0
#: players in the page: enough bandwidth for everyday sounds, a quarter of a CD's bytes
PLAYBACK_RATE = 11025


def playback_waveform(samples: np.ndarray, sample_rate: int, *, min_seconds: float = MIN_PLAYBACK_SECONDS,
                      max_seconds: float | None = None) -> np.ndarray:
    """``samples`` cropped to ``max_seconds`` (None: not cropped), then padded with trailing
    silence to at least ``min_seconds``."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim != 1:
        fail("samples", f"array of shape {samples.shape}", "a 1-D array of mono samples")
    check_positive_int("sample_rate", sample_rate)
    check_positive_float("min_seconds", min_seconds)
    if max_seconds is not None:
        check_positive_float("max_seconds", max_seconds)
        if max_seconds < min_seconds:
            fail("max_seconds", max_seconds, f"at least min_seconds ({min_seconds})")
        samples = samples[: int(round(max_seconds * sample_rate))]
    shortest = int(np.ceil(min_seconds * sample_rate))
    if len(samples) < shortest:
        samples = np.concatenate([samples, np.zeros(shortest - len(samples), dtype=np.float32)])
    return samples


def duration_text(seconds: float, *, played: float | None = None) -> str:
    """``"0.21 s (padded with silence to 1 s)"``: the recorded length, and what the player adds or cuts."""
    text = f"{seconds:.2f} s"
    if played is not None and played > seconds + 1e-6:
        text += f" (padded with silence to {played:g} s)"
    elif played is not None and played < seconds - 1e-6:
        text += f" (the first {played:g} s)"
    return text


def player_html(samples: np.ndarray, sample_rate: int, *, caption: str,
                min_seconds: float = MIN_PLAYBACK_SECONDS, max_seconds: float | None = None) -> str:
    """One captioned inline player (``<audio>`` with a WAV data URI). The caption gives the
    clip's duration and wraps anywhere, so a long file name never widens a phone's page."""
    seconds = len(samples) / sample_rate
    played = playback_waveform(samples, sample_rate, min_seconds=min_seconds, max_seconds=max_seconds)
    uri = audio_clips([played], sample_rate)[0]
    label = duration_text(seconds, played=len(played) / sample_rate)
    return (f'<div class="audio-clip" style="max-width:100%;overflow-wrap:anywhere;margin:2px 0 8px">'
            f"<div>{html.escape(caption)} · {html.escape(label)}</div>"
            f'<audio controls preload="metadata" style="max-width:100%" src="{uri}"></audio></div>')

"""The browser test's audio check, on measured pages made by hand: it runs without
Chromium, so the check's logic is tested wherever the browser test is skipped."""

import base64
import struct

from test_browser import AUDIO_CHAPTERS, Visit, audio_problems

CHAPTER = "book/executed/04_audio_urbansound.html"


def wav_uri() -> str:
    data = b"\0\0" * 8
    fmt = struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)  # PCM, mono, 8 kHz, 16 bit
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + fmt + b"data" + struct.pack("<I", len(data))
    return "data:audio/wav;base64," + base64.b64encode(header + data).decode()


def visit(page: str, *audio: dict) -> Visit:
    return Visit(page, f"http://127.0.0.1/{page}", measured={"audio": list(audio)})


def test_chapter_04_is_the_one_that_must_play_clips():
    assert AUDIO_CHAPTERS == (CHAPTER,)


def test_a_chapter_that_plays_clips_without_a_player_fails():
    problems = audio_problems([visit(CHAPTER), visit("book/executed/01_embedding_size.html")])
    assert problems == [f"{CHAPTER}: no audio player, though the chapter plays clips"]


def test_a_build_without_the_audio_chapter_fails():
    problems = audio_problems([visit("book/executed/01_embedding_size.html")])
    assert problems == [f"{CHAPTER}: not in the build (it should play audio clips)"]


def test_playable_players_pass_and_broken_ones_are_named():
    playable = {"readyState": 1, "error": None, "src": "clip.wav"}
    inline = {"readyState": 0, "error": None, "src": wav_uri()}  # a valid WAV data URI passes
    assert audio_problems([visit(CHAPTER, playable, inline), visit("index.html")]) == []
    broken = {"readyState": 0, "error": 4, "src": "data:audio/wav;base64,AAAA"}
    problems = audio_problems([visit(CHAPTER, playable, broken)])
    assert len(problems) == 1 and problems[0].startswith(f"{CHAPTER}: audio 1 (readyState=0, error=4")

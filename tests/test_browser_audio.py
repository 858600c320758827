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


# --- chapter 04's explorer in the built book (Chromium) ---------------------------------------

import pytest  # noqa: E402
from chromium import MISSING, SKIP_REASON  # noqa: E402
from test_browser import PHONE_WIDTH, WIDTH, HEIGHT, check, driver, server, site, visits  # noqa: E402,F401

EXPLORER = r"""
// chapter 04's explorer: pin its first point, load the clip the box offers, report what a reader gets
const root = document.querySelector(".latent-explorer"), done = arguments[arguments.length - 1];
if (!root) { done({found: false}); return; }
const urls = Array.from(root.querySelectorAll("[src], [href]")).map((e) => e.getAttribute("src") || e.getAttribute("href"));
const circle = root.querySelector("svg circle");
circle.scrollIntoView({block: "center"});
const box = circle.getBoundingClientRect();
circle.dispatchEvent(new MouseEvent("click", {bubbles: true, clientX: box.x + 2, clientY: box.y + 2}));
const tip = root.querySelector(".lx-tip"), img = tip.querySelector("img"), audio = tip.querySelector("audio");
const external = urls.filter((u) => !u.startsWith("data:")).concat(
  Array.from(root.querySelectorAll("script")).some((s) => /https?:\/\//.test(s.textContent)) ? ["in the script"] : []);
const result = {found: true, points: root.querySelectorAll("svg circle").length, external,
                visible: getComputedStyle(tip).display !== "none", text: tip.textContent, hasAudio: !!audio};
if (!audio) { done(result); return; }
audio.preload = "metadata";
audio.addEventListener("loadedmetadata", () => done(Object.assign(result, {duration: audio.duration})), {once: true});
audio.addEventListener("error", () => done(Object.assign(result, {error: audio.error && audio.error.code})), {once: true});
audio.load();
const decode = img ? img.decode().then(() => img.naturalWidth, () => -1) : Promise.resolve(0);
decode.then((w) => { result.imageWidth = w; });
"""


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(bool(MISSING), reason=SKIP_REASON)
def test_chapter_04_explorer_shows_spectrograms_plays_clips_and_toggles_offline(visits, server, driver):
    from selenium.webdriver.common.by import By

    problems = []
    driver.set_window_size(WIDTH, HEIGHT)
    driver.get(f"{server}/{CHAPTER}")
    shown = driver.execute_async_script(EXPLORER)
    if not shown["found"]:
        problems.append(f"{CHAPTER}: no latent explorer")
    else:
        if shown["points"] < 10:
            problems.append(f"{CHAPTER}: the explorer drew {shown['points']} points")
        if shown["external"]:
            problems.append(f"{CHAPTER}: the explorer reaches outside the page: {shown['external'][:3]}")
        if not (shown["visible"] and shown["hasAudio"] and " s" in shown["text"]):
            problems.append(f"{CHAPTER}: a pinned point shows no clip or no duration ({shown['text'][:80]!r})")
        if not shown.get("duration", 0) >= 0.99:  # a short clip padded: the player never reads 0:00
            problems.append(f"{CHAPTER}: the pinned clip does not load to a second or more ({shown})")
        image = driver.execute_script("var i = document.querySelector('.latent-explorer .lx-tip img');"
                                      "return i ? i.complete && i.naturalWidth : -1;")
        if not image or image < 0:
            problems.append(f"{CHAPTER}: the pinned point shows no spectrogram")
        root = driver.find_element(By.CSS_SELECTOR, ".latent-explorer")
        legend = root.find_elements(By.CSS_SELECTOR, ".lx-legend span")
        driver.execute_script("arguments[0].click()", legend[0])
        hidden = driver.execute_script(
            "var c = arguments[0].querySelectorAll('svg circle.c' + arguments[1]);"
            "return c.length > 0 && Array.from(c).every(e => getComputedStyle(e).display === 'none');",
            root, legend[0].get_attribute("data-c"))
        if not hidden:
            problems.append(f"{CHAPTER}: a legend click did not hide its class")
    driver.set_window_size(PHONE_WIDTH, HEIGHT)
    driver.get(f"{server}/{CHAPTER}")
    widths = driver.execute_script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    if widths[0] > widths[1]:
        problems.append(f"{CHAPTER}: at {PHONE_WIDTH} px the page scrolls sideways ({widths[0]} > {widths[1]} px)")
    driver.set_window_size(WIDTH, HEIGHT)
    check(problems, driver, visits, "chapter 04's explorer does not work")

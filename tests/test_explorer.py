"""The latent explorer: its HTML checked as text, then used in headless Chromium.

The browser test needs Chromium and its driver (Debian: ``apt-get install chromium
chromium-driver``; other paths through ``$CHROMIUM`` and ``$CHROMEDRIVER``) and ``selenium``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from chromium import MISSING, SKIP_REASON, start_chromium

from latentlib.book.explorer import COLORBLIND, PALETTE, audio_clips, image_thumbnails, latent_explorer, \
    spectrogram_thumbnails, stratified_subsample

NAMES = ["zero", "one", "two"]


def blobs(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(NAMES), n)
    return rng.normal(size=(n, 2)) + labels[:, None] * 3, labels


def circles(markup: str) -> list[str]:
    return re.findall(r"<circle [^>]*/>", markup)


def test_one_circle_per_point_when_all_fit():
    points, labels = blobs(200)
    markup = latent_explorer(points, labels, NAMES).data
    assert len(circles(markup)) == 200
    assert markup.count('class="c1"') == int((labels == 1).sum())


def test_stratified_subsample_keeps_every_class_and_the_limit():
    labels = np.array([0] * 995 + [1] * 3 + [2] * 2)  # two tiny classes a random draw would lose
    keep = stratified_subsample(labels, 50, seed=1)
    assert len(keep) == 50 and set(labels[keep]) == {0, 1, 2}
    assert np.array_equal(keep, stratified_subsample(labels, 50, seed=1))  # fixed by the seed
    markup = latent_explorer(np.random.default_rng(0).normal(size=(1000, 2)), labels, NAMES, max_points=50).data
    assert len(circles(markup)) == 50 and "50 of 1000 points" in markup


def explorer_id(markup: str) -> str:
    return re.search(r'<div id="([^"]+)"', markup).group(1)


def test_same_data_writes_byte_identical_html():
    points, labels = blobs(20)
    texts = [f"point {i}" for i in range(20)]
    first, second = (latent_explorer(points, labels, NAMES, hover_texts=texts, title="t").data for _ in range(2))
    assert first == second  # a re-run of a chapter writes the same page


@pytest.mark.parametrize("change", [
    dict(points=blobs(20)[0] + 1e-3 * np.arange(40).reshape(20, 2)),
    dict(labels=(blobs(20)[1] + 1) % 3),
    dict(class_names=["nil", "one", "two"]),
    dict(title="another"),
    dict(hover_texts=[f"point {i}" for i in range(20)]),
    dict(max_points=10),
])
def test_different_data_gets_a_different_id(change):
    points, labels = blobs(20)
    arguments = dict(points=points, labels=labels, class_names=NAMES) | change
    base, other = latent_explorer(points, labels, NAMES).data, latent_explorer(**arguments).data
    assert explorer_id(base) != explorer_id(other) and explorer_id(other) not in base


def test_hover_payloads_are_embedded_and_script_safe():
    points, labels = blobs(10)
    texts = ["</script><b>x</b>"] * 10  # must neither end the script nor become markup
    images = image_thumbnails(np.random.default_rng(0).random((10, 1, 28, 28)))
    audio = audio_clips([np.zeros(80)] * 10, sample_rate=8000)
    markup = latent_explorer(points, labels, NAMES, hover_images=images, hover_texts=texts, hover_audio=audio).data
    assert markup.count("</script>") == 1 and "<\\/script>" in markup
    assert images[0] in markup and audio[0].startswith("data:audio/wav;base64,") and audio[0] in markup


def test_thumbnails_are_small_pngs():
    uris = image_thumbnails(np.zeros((3, 28, 28)))
    assert all(uri.startswith("data:image/png;base64,") and len(uri) < 400 for uri in uris)
    assert spectrogram_thumbnails(np.random.default_rng(0).normal(size=(2, 32, 40)))[0].startswith("data:image/png")


@pytest.mark.parametrize("change, parameter", [
    (dict(points=np.zeros((5, 3))), "points"),
    (dict(labels=np.zeros(4, dtype=int)), "labels"),
    (dict(labels=np.array([0, 1, 2, 3, 0])), "labels"),  # 3 has no class name
    (dict(labels=np.zeros(5)), "labels"),  # floats, not class indices
    (dict(hover_texts=["a"] * 4), "hover_texts"),
    (dict(hover_images=["not a data uri"] * 5), "hover_images"),
    (dict(max_points=0), "max_points"),
])
def test_bad_input_names_the_parameter_and_the_fix(change, parameter):
    arguments = dict(points=np.zeros((5, 2)), labels=np.zeros(5, dtype=int), class_names=NAMES) | change
    with pytest.raises(ValueError, match=rf"^{parameter} must be .+, got "):
        latent_explorer(**arguments)


def test_default_colours_stay_and_a_palette_replaces_them():
    points, labels = blobs(30)
    default = latent_explorer(points, labels, NAMES).data
    assert all(f".c{k}{{fill:{PALETTE[k]}}}" in default for k in range(3))  # chapters 01 and 05 unchanged
    blind = latent_explorer(points, labels, NAMES, palette=COLORBLIND).data
    assert all(f".c{k}{{fill:{COLORBLIND[k]}}}" in blind for k in range(3)) and PALETTE[0] not in blind


def test_classes_past_the_palette_repeat_a_colour_with_a_ring():
    names = [f"class {k}" for k in range(12)]
    labels = np.arange(24) % 12
    markup = latent_explorer(np.random.default_rng(0).normal(size=(24, 2)), labels, names, palette=COLORBLIND).data
    assert f".c10{{fill:{COLORBLIND[0]};stroke:#333;stroke-width:1.5px}}" in markup
    assert f".c0{{fill:{COLORBLIND[0]}}}" in markup  # the first round has no ring
    assert "box-shadow:0 0 0 1.5px #333" in markup  # and the legend's swatch shows it


@pytest.mark.parametrize("palette", ["#000", [], [None]])
def test_a_bad_palette_is_named(palette):
    points, labels = blobs(5)
    with pytest.raises(ValueError, match=r"^palette must be"):
        latent_explorer(points, labels, NAMES, palette=palette)


def test_thumbnails_refuse_pixels_out_of_range():
    with pytest.raises(ValueError, match=r"x must be .*\[0, 1\].*255"):
        image_thumbnails(np.full((2, 28, 28), 255.0))


# --- in a real browser --------------------------------------------------------------



@pytest.fixture
def driver(tmp_path):
    browser = start_chromium(tmp_path / "profile", width=1000, height=1200)
    yield browser
    browser.quit()


@pytest.mark.browser
@pytest.mark.skipif(bool(MISSING), reason=SKIP_REASON)
def test_two_explorers_on_one_page_hover_and_toggle(driver, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    points, labels = blobs(120)
    images = image_thumbnails(np.random.default_rng(0).random((120, 28, 28)))
    first = latent_explorer(points, labels, NAMES, hover_images=images, title="first").data
    second = latent_explorer(points, labels, NAMES, hover_texts=[f"point {i}" for i in range(120)]).data
    page = tmp_path / "explorers.html"
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>explorers</title></head>"
                    f"<body>{first}<hr>{second}</body></html>")
    driver.get(page.as_uri())
    roots = driver.find_elements(By.CSS_SELECTOR, ".latent-explorer")
    assert len(roots) == 2

    # hover a point of the first explorer: its tooltip shows a decoded thumbnail
    ActionChains(driver).move_to_element(roots[0].find_element(By.CSS_SELECTOR, "circle.c1")).perform()
    tip = roots[0].find_element(By.CSS_SELECTOR, ".lx-tip")
    assert tip.is_displayed() and "one" in tip.text
    image = tip.find_element(By.TAG_NAME, "img")
    assert driver.execute_async_script(
        "const img = arguments[0], done = arguments[1];"
        "img.decode().then(() => done(img.naturalWidth), () => done(-1));", image) > 0
    # the second explorer's tooltip is its own: text, untouched by the first hover
    assert not roots[1].find_element(By.CSS_SELECTOR, ".lx-tip").is_displayed()
    ActionChains(driver).move_to_element(roots[1].find_element(By.CSS_SELECTOR, "circle.c0")).perform()
    assert "point " in roots[1].find_element(By.CSS_SELECTOR, ".lx-tip").text

    # a legend click hides that class in this explorer only; a second click shows it again
    roots[0].find_element(By.CSS_SELECTOR, '.lx-legend span[data-c="2"]').click()
    assert not any(c.is_displayed() for c in roots[0].find_elements(By.CSS_SELECTOR, "circle.c2"))
    assert all(c.is_displayed() for c in roots[0].find_elements(By.CSS_SELECTOR, "circle.c1"))
    assert all(c.is_displayed() for c in roots[1].find_elements(By.CSS_SELECTOR, "circle.c2"))
    roots[0].find_element(By.CSS_SELECTOR, '.lx-legend span[data-c="2"]').click()
    assert all(c.is_displayed() for c in roots[0].find_elements(By.CSS_SELECTOR, "circle.c2"))

    errors = [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
    assert not errors, errors


@pytest.mark.browser
@pytest.mark.skipif(bool(MISSING), reason=SKIP_REASON)
def test_on_a_phone_the_tooltip_stays_inside_the_page(tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    browser = start_chromium(tmp_path / "phone", width=412, height=900)
    try:
        points, labels = blobs(60)
        texts = ["attack/impact/" + "a_long_file_name_without_spaces_" * 4 + ".ogg"] * 60
        markup = latent_explorer(points, labels, NAMES, hover_texts=texts, palette=COLORBLIND).data
        page = tmp_path / "phone.html"
        page.write_text("<!doctype html><html><head><meta charset='utf-8'><meta name='viewport' "
                        f"content='width=device-width'></head><body style='margin:8px'>{markup}</body></html>")
        browser.get(page.as_uri())
        circles = browser.find_elements(By.CSS_SELECTOR, "circle")
        rightmost = max(circles, key=lambda c: c.rect["x"])  # the tooltip would overflow here first
        ActionChains(browser).move_to_element(rightmost).perform()
        tip = browser.find_element(By.CSS_SELECTOR, ".lx-tip")
        assert tip.is_displayed() and "a_long_file_name" in tip.text
        width = browser.execute_script("return document.documentElement.clientWidth")
        assert tip.rect["x"] + tip.rect["width"] <= width + 1
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    finally:
        browser.quit()


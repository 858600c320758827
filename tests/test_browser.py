"""The rendered book in a real browser: headless Chromium opens every page of a strict build.

The committed book is copied and built once per session (``-W -n --keep-going``; or
``$LATENTLIB_BROWSER_SITE`` names a built site to test instead), served on 127.0.0.1 and
opened at a laptop's and a phone's width: every HTML page of the build (but the search and
index pages) is opened once at each, with the browser's cache off; each test then checks
one thing on every page: no console error, no URL of another host, every image decoded,
every internal link answered with 200, every table fits its column or scrolls sideways in
its own box, no sideways scroll of the page on a phone, figure text legible on a phone,
the provenance box on every chapter, every audio clip playable, and no dead weight (each
page's transfer size is reported in ``_build/page-weight.txt``). A failing test saves a
screenshot of every page under ``_build/screenshots/`` (the tests workflow uploads that
folder); the results page and chapters 01-03 are kept there at both widths in any case
(``reader/``).

Needs Chromium and its driver (Debian: ``apt-get install chromium chromium-driver``;
other paths through ``$CHROMIUM`` and ``$CHROMEDRIVER``) and ``selenium`` (dev extra).
"""

from __future__ import annotations

import base64
import functools
import os
import shutil
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from chromium import MISSING, SKIP_REASON, start_chromium

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "_build" / "screenshots"
SKIPPED_PAGES = {"search.html", "genindex.html"}
WIDTH, HEIGHT = 1280, 900  # a laptop screen: the sidebar shown, the content column ~ 740 px
PHONE_WIDTH = 412  # a phone held upright: tables are measured again at this width

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(bool(MISSING), reason=SKIP_REASON),
]

TABLES = r"""
// every table of the page's article: its width, its column's, and the nearest box
// (the table itself or an ancestor) that scrolls sideways
const measureTables = () => {
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const article = document.querySelector("article") || document.body;
  return Array.from(article.querySelectorAll("table")).map((table, index) => {
    let box = table, scroller = null;
    while (box && box !== article.parentElement) { if (scrolls(box)) { scroller = box; break; } box = box.parentElement; }
    const parent = table.parentElement;
    return {index, scroller: scroller ? scroller.tagName + "." + scroller.className : null,
            scrollerClips: scroller ? scroller.clientWidth > 0 && scroller.clientWidth <= article.clientWidth + 1 : false,
            tableWidth: Math.ceil(table.getBoundingClientRect().width), parentWidth: parent.clientWidth,
            parentScrollWidth: parent.scrollWidth, articleWidth: article.clientWidth,
            head: (table.querySelector("th, td") || {}).textContent || ""};
  });
};
"""

# In the page: wait for every image to be decoded (lazy ones made eager), every audio
# clip to have its metadata and MathJax to have typeset, then measure what the tests check.
MEASURE = TABLES + r"""
const done = arguments[arguments.length - 1];
const settle = (p) => Promise.race([p.catch(() => null), new Promise((r) => setTimeout(r, 10000))]);
const images = Array.from(document.images);
images.forEach((img) => { img.loading = "eager"; });
const audios = Array.from(document.querySelectorAll("audio"));
const metadata = (a) => a.readyState >= 1 ? Promise.resolve() : new Promise((r) => {
  a.addEventListener("loadedmetadata", r, {once: true}); a.addEventListener("error", r, {once: true});
  a.preload = "metadata"; a.load(); });
const typeset = window.MathJax && MathJax.startup && MathJax.startup.promise ? [settle(MathJax.startup.promise)] : [];
Promise.all([...images.map((img) => settle(img.decode())), ...audios.map((a) => settle(metadata(a))), ...typeset]).then(() => {
  const tables = measureTables();
  const sameOrigin = Array.from(document.querySelectorAll("a[href]")).map((a) => a.getAttribute("href"))
    .filter((href) => href && !href.startsWith("#") && !href.startsWith("javascript:"))
    .map((href) => new URL(href, location.href)).filter((url) => url.origin === location.origin)
    .map((url) => url.origin + url.pathname);
  const banner = Array.from(document.querySelectorAll(".admonition")).find(
    (box) => (box.querySelector(".admonition-title") || {}).textContent === "Provenance of this chapter");
  const firstCell = document.querySelector(".cell");
  done({
    images: images.map((img) => ({src: img.currentSrc || img.src, complete: img.complete, width: img.naturalWidth})),
    links: Array.from(new Set(sameOrigin)),
    tables,
    banner: banner ? {text: banner.innerText, visible: banner.offsetHeight > 0,
                      beforeFirstCell: !firstCell || !!(banner.compareDocumentPosition(firstCell) & Node.DOCUMENT_POSITION_FOLLOWING)}
                   : null,
    // every URL the page declares for the browser to fetch (not links a reader may follow)
    declared: Array.from(document.querySelectorAll("[src], link[href], [srcset], object[data]"))
      .map((el) => el.getAttribute("src") || el.getAttribute("href") || el.getAttribute("srcset") || el.getAttribute("data"))
      .concat(Array.from(document.querySelectorAll("script:not([src])"))
        .flatMap((el) => el.textContent.match(/https?:\/\/[^"'\s)]+/g) || []))
      .filter((url) => url && !url.startsWith("data:")),
    // icons the site's icon script did not draw (the theme names each by its Font Awesome class)
    icons: {drawn: document.querySelectorAll("svg.svg-inline--fa").length,
            left: Array.from(document.querySelectorAll("i[class*='fa-'], span[class*='fa-']")).map((el) => el.className)},
    math: {formulas: document.querySelectorAll("article .math").length,
           typeset: document.querySelectorAll("article .math mjx-container, article mjx-container.MathJax").length},
    audio: audios.map((a) => ({readyState: a.readyState, error: a.error ? a.error.code : null,
                               src: a.currentSrc || (a.querySelector("source") || {}).src || a.src || ""})),
  });
});
"""


@dataclass
class Visit:
    page: str  # path of the page in the build, e.g. book/executed/01_embedding_size.html
    url: str
    console: list[dict] = field(default_factory=list)
    measured: dict = field(default_factory=dict)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no request log in the test output
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # a browser dropping a request it no longer needs (a page left mid-load): no traceback


def build_book_copy(tmp_path_factory) -> Path:
    """A strict build of a copy of the committed book; the HTML folder."""
    from latentlib.book.runner import build_book

    work = tmp_path_factory.mktemp("browser-book")
    source = work / "source"
    shutil.copytree(ROOT / "book", source / "book", ignore=shutil.ignore_patterns("results"))
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(ROOT / name, source / name)
    return build_book(ROOT, path_output=work / "out", source=source)


#: an HTML build to test instead of building the committed book (e.g. a user's
#: ``latentlib book --profile smoke --path-output DIR``: DIR/_build/html)
SITE_ENV = "LATENTLIB_BROWSER_SITE"


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    if os.environ.get(SITE_ENV):
        return Path(os.environ[SITE_ENV])
    return build_book_copy(tmp_path_factory)


@pytest.fixture(scope="session")
def server(site):
    handler = functools.partial(_Quiet, directory=str(site))
    httpd = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def driver(tmp_path_factory):
    browser = start_chromium(tmp_path_factory.mktemp("chromium-profile"), width=WIDTH, height=HEIGHT,
                             extra=("--autoplay-policy=no-user-gesture-required",), page_load_timeout=120)
    browser.set_script_timeout(60)
    yield browser
    browser.quit()


def pages_of(site: Path) -> list[str]:
    """Every HTML page of the build but the search and index pages, theme assets and the
    redirect to the front page (it has no body to measure)."""
    return sorted(path.relative_to(site).as_posix() for path in site.rglob("*.html")
                  if path.name not in SKIPPED_PAGES and not path.relative_to(site).parts[0].startswith("_")
                  and 'http-equiv="Refresh"' not in path.read_text(errors="replace")[:2000])


CELL_GAPS = r"""
// the smallest gap, in px, between the text of two neighbouring cells of one table row:
// the right edge of a cell's text to the left edge of the next one's (the book's tables
// once ran "0.362 ± 0.0070.402 ± 0.030" together)
const measureCellGaps = () => {
  const article = document.querySelector("article") || document.body;
  const textBox = (cell) => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0);
    if (!rects.length) return null;
    return {left: Math.min(...rects.map((r) => r.left)), right: Math.max(...rects.map((r) => r.right)),
            top: Math.min(...rects.map((r) => r.top))};
  };
  const found = [];
  article.querySelectorAll("table").forEach((table, index) => {
    table.querySelectorAll("tr").forEach((row) => {
      const cells = Array.from(row.children).filter((c) => c.textContent.trim());
      for (let i = 0; i + 1 < cells.length; i++) {
        const a = textBox(cells[i]), b = textBox(cells[i + 1]);
        if (a && b && Math.abs(a.top - b.top) < 40)
          found.push({index, gap: b.left - a.right, left: cells[i].textContent.trim().slice(0, 30),
                      right: cells[i + 1].textContent.trim().slice(0, 30)});
      }
    });
  });
  return found;
};
"""
#: the least room between the texts of two neighbouring cells (about a space in the book's font)
MIN_CELL_GAP = 4

# What a page cost to load with an empty cache: the page and every resource it fetched,
# as the browser counts them (bytes over the wire), with their URLs.
TRANSFERS = r"""
const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
return entries.map((e) => ({url: e.name, bytes: e.transferSize || e.encodedBodySize || 0}));
"""

# At a phone's width: how wide the page is against the screen, and every figure of a
# chapter's output, its rendered and natural widths, and its source (for its PNG's text size).
PHONE = r"""
const done = arguments[arguments.length - 1];
const images = Array.from(document.querySelectorAll("article .cell_output img, article .output img"));
images.forEach((img) => { img.loading = "eager"; });
const settle = (p) => Promise.race([p.catch(() => null), new Promise((r) => setTimeout(r, 10000))]);
Promise.all(images.map((img) => settle(img.decode()))).then(() => done({
  scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
  widest: Array.from(document.querySelectorAll("article *")).reduce((w, el) => {
    const r = el.getBoundingClientRect();
    return r.right > w.right ? {right: Math.round(r.right), what: el.tagName + "." + el.className} : w;
  }, {right: 0, what: ""}),
  figures: images.map((img) => ({src: img.currentSrc || img.src, shown: img.getBoundingClientRect().width,
                                 natural: img.naturalWidth})),
}));
"""
#: the least height, in CSS px on a 412 px phone, of a figure's smallest text (its font size)
MIN_FIGURE_TEXT_PX = 7.0


@pytest.fixture(scope="session")
def visits(site, server, driver) -> list[Visit]:
    found = []
    driver.get_log("browser")  # start from an empty console
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})  # each page as if first
    for page in pages_of(site):
        visit = Visit(page, f"{server}/{page}")
        driver.get(visit.url)
        visit.measured = driver.execute_async_script(MEASURE)
        visit.measured["transfers"] = driver.execute_script(TRANSFERS)
        visit.measured["cell_gaps"] = driver.execute_script(CELL_GAPS + "return measureCellGaps();")
        visit.console = driver.get_log("browser")
        found.append(visit)
    driver.set_window_size(PHONE_WIDTH, HEIGHT)
    for visit in found:
        driver.get(visit.url)
        visit.measured["tables_phone"] = driver.execute_script(TABLES + "return measureTables();")
        visit.measured["phone"] = driver.execute_async_script(PHONE)
        visit.console += driver.get_log("browser")
    driver.set_window_size(WIDTH, HEIGHT)
    driver.get_log("browser")
    assert any(v.page.startswith("book/executed/") for v in found), "no chapter pages in the build"
    return found


_screenshots_saved: list[bool] = []


def save_screenshots(driver, visits: list[Visit]) -> None:
    """A full-height screenshot (capped) of every page, for the failure artifact; once a session."""
    if _screenshots_saved:
        return
    _screenshots_saved.append(True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):  # the last failure's (the reader's pages keep their folder)
        old.unlink()
    for visit in visits:
        driver.set_window_size(WIDTH, HEIGHT)
        driver.get(visit.url)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(WIDTH, min(max(height, HEIGHT), 12000))
        driver.save_screenshot(str(SCREENSHOTS / (visit.page.replace("/", "__").removesuffix(".html") + ".png")))
    driver.set_window_size(WIDTH, HEIGHT)


def check(problems: list[str], driver, visits: list[Visit], what: str) -> None:
    if problems:
        save_screenshots(driver, visits)
        pytest.fail(f"{what} ({len(problems)}); screenshots in {SCREENSHOTS}:\n" + "\n".join(problems[:40]),
                    pytrace=False)


def test_no_console_errors(visits, driver):
    """Not one console error on any page, at either width (thebe's doubled config script,
    once tolerated here, is gone with thebe)."""
    problems = [f"{v.page}: {entry['message']}" for v in visits for entry in v.console
                if entry.get("level") == "SEVERE"]
    check(problems, driver, visits, "console errors")


def test_no_page_declares_an_external_url(visits, server, driver):
    """Every script, style sheet, image or frame a page names is served by the book itself:
    the site works offline and tells no other host who reads it."""
    from urllib.parse import urlsplit

    local = urlsplit(server).netloc
    problems = []
    for visit in visits:
        for url in visit.measured["declared"]:
            host = urlsplit(url).netloc if "//" in url else ""
            if host and host != local:
                problems.append(f"{visit.page}: declares {url[:120]}")
        for transfer in visit.measured["transfers"]:
            if not transfer["url"].startswith(server):
                problems.append(f"{visit.page}: fetched {transfer['url'][:120]}")
    assert sum(len(v.measured["declared"]) for v in visits) > len(visits)  # scripts and styles were seen
    check(problems, driver, visits, "external URLs declared or fetched")


def test_every_image_is_decoded(visits, driver):
    problems = [f"{v.page}: {img['src'][:120]} (complete={img['complete']}, naturalWidth={img['width']})"
                for v in visits for img in v.measured["images"] if not (img["complete"] and img["width"] > 0)]
    assert sum(len(v.measured["images"]) for v in visits if v.page.startswith("book/executed/")) > 0
    check(problems, driver, visits, "images not decoded")


def test_every_internal_link_answers_200(visits, driver):
    status: dict[str, object] = {}
    for visit in visits:
        for link in visit.measured["links"]:
            if link in status:
                continue
            try:
                with urllib.request.urlopen(link, timeout=30) as response:
                    status[link] = response.status
            except urllib.error.HTTPError as error:
                status[link] = error.code
            except OSError as error:
                status[link] = repr(error)
    assert len(status) > len(visits)  # the navigation alone links every page
    problems = [f"{link}: {code}" for link, code in sorted(status.items()) if code != 200]
    check(problems, driver, visits, "internal links that do not answer 200")


def test_every_table_fits_or_scrolls_sideways(visits, driver):
    problems = []
    for visit in visits:
        for screen, key in (("laptop", "tables"), ("phone", "tables_phone")):
            for table in visit.measured[key]:
                scrolls = table["scroller"] is not None and table["scrollerClips"]
                fits = (table["tableWidth"] <= table["parentWidth"] + 1
                        and table["parentScrollWidth"] <= table["parentWidth"] + 1
                        and table["tableWidth"] <= table["articleWidth"] + 1)
                if not (scrolls or fits):
                    problems.append(f"{visit.page} ({screen}): table {table['index']} ({table['head'][:30]!r}) "
                                    f"is {table['tableWidth']} px wide in a {table['parentWidth']} px column "
                                    "with no horizontal scrolling")
    assert any(v.measured["tables"] for v in visits) and any(v.measured["tables_phone"] for v in visits)
    check(problems, driver, visits, "tables wider than their column")


def test_neighbouring_cells_never_run_together(visits, driver):
    gaps = [(v.page, g) for v in visits for g in v.measured["cell_gaps"]]
    assert len(gaps) > 100  # the chapters' and the results page's tables were measured
    problems = [f"{page}: table {g['index']}: {g['left']!r} | {g['right']!r} only {g['gap']:.1f} px apart"
                for page, g in gaps if g["gap"] < MIN_CELL_GAP]
    check(problems, driver, visits, f"neighbouring table cells closer than {MIN_CELL_GAP} px")


def test_every_chapter_shows_its_provenance_box(visits, driver):
    chapters = [v for v in visits if v.page.startswith("book/executed/")]
    problems = []
    for visit in chapters:
        banner = visit.measured["banner"]
        if banner is None:
            problems.append(f"{visit.page}: no 'Provenance of this chapter' box")
        elif not (banner["visible"] and banner["beforeFirstCell"]):
            problems.append(f"{visit.page}: the provenance box is hidden or not above the code")
        elif not all(key in banner["text"] for key in ("Profile", "Data", "Commit", "Re-run")):
            problems.append(f"{visit.page}: the provenance box lacks profile, data, commit or re-run line")
    assert len(chapters) == len(list((ROOT / "book" / "executed").glob("*.ipynb")))
    check(problems, driver, visits, "chapters without their provenance box")


def test_every_formula_is_typeset(visits, driver):
    """MathJax is served with the book (``mathjax_path``): formulas render offline too."""
    problems = [f"{v.page}: {v.measured['math']['typeset']} of {v.measured['math']['formulas']} formulas typeset"
                for v in visits if v.measured["math"]["typeset"] < v.measured["math"]["formulas"]]
    assert sum(v.measured["math"]["formulas"] for v in visits) > 0
    check(problems, driver, visits, "formulas MathJax did not typeset")


def _valid_wav_data_uri(src: str) -> bool:
    head, _, data = src.partition(",")
    if not (head.startswith("data:audio/") and head.endswith(";base64")):
        return False
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError:
        return False
    return len(raw) > 44 and ((raw[:4] == b"RIFF" and raw[8:12] == b"WAVE") or head != "data:audio/wav;base64")


#: chapters that play clips: each must show at least one audio player (a build that lost
#: them, or a page without any, must not pass for want of something to check)
AUDIO_CHAPTERS = ("book/executed/04_audio_urbansound.html",)


def audio_problems(visits: list[Visit], chapters: tuple[str, ...] = AUDIO_CHAPTERS) -> list[str]:
    """Audio players that cannot play, and chapters of ``chapters`` missing or without any."""
    problems = [f"{v.page}: audio {i} (readyState={a['readyState']}, error={a['error']}, src={a['src'][:60]!r})"
                for v in visits for i, a in enumerate(v.measured["audio"])
                if not (a["readyState"] >= 1 or _valid_wav_data_uri(a["src"]))]
    pages = {v.page: v for v in visits}
    for chapter in chapters:
        if chapter not in pages:
            problems.append(f"{chapter}: not in the build (it should play audio clips)")
        elif not pages[chapter].measured["audio"]:
            problems.append(f"{chapter}: no audio player, though the chapter plays clips")
    return problems


def test_every_audio_clip_is_playable(visits, driver):
    check(audio_problems(visits), driver, visits, "audio clips that cannot play, or chapters without them")


EXPLORER_PAGES = ("book/executed/01_embedding_size.html", "book/executed/05_text_yelp_daae.html")


def test_the_latent_explorers_render_and_answer_in_the_built_book(visits, server, driver):
    """Chapters 01 and 05 carry interactive maps: points drawn, a hover shows the point's
    digit (or sentence), a legend click hides that class (the book's own page, offline)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    problems = []
    for page in EXPLORER_PAGES:
        driver.get(f"{server}/{page}")
        explorers = driver.find_elements(By.CSS_SELECTOR, ".latent-explorer")
        if not explorers:
            problems.append(f"{page}: no latent explorer")
            continue
        root = explorers[0]
        circles = root.find_elements(By.CSS_SELECTOR, "svg circle")
        if not circles:
            problems.append(f"{page}: the explorer drew no point")
            continue
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", circles[0])
        ActionChains(driver).move_to_element(circles[0]).perform()
        shown = driver.execute_script(
            "var t = arguments[0].querySelector('.lx-tip'); var img = t.querySelector('img');"
            "return {visible: getComputedStyle(t).display !== 'none', text: t.textContent,"
            " image: img ? img.complete && img.naturalWidth > 0 : null};", root)
        if not shown["visible"] or (shown["image"] is False) or (shown["image"] is None and not shown["text"]):
            problems.append(f"{page}: hovering a point shows nothing ({shown})")
        legend = root.find_elements(By.CSS_SELECTOR, ".lx-legend span")
        first_class = circles[0].get_attribute("class")
        legend[0].click()
        hidden = driver.execute_script(
            "var c = arguments[0].querySelectorAll('svg circle.c' + arguments[1]);"
            "return c.length > 0 && Array.from(c).every(e => getComputedStyle(e).display === 'none');",
            root, legend[0].get_attribute("data-c"))
        if not hidden:
            problems.append(f"{page}: a legend click did not hide its class ({first_class})")
    check(problems, driver, visits, "latent explorers that do not work")


def test_no_page_scrolls_sideways_on_a_phone(visits, driver):
    """At 412 px the page is no wider than the screen (wide tables scroll in their own box)."""
    problems = [f"{v.page}: {v.measured['phone']['scrollWidth']} px wide on a {v.measured['phone']['innerWidth']} px "
                f"screen (widest: {v.measured['phone']['widest']['what'][:60]!r} to "
                f"{v.measured['phone']['widest']['right']} px)"
                for v in visits if v.measured["phone"]["scrollWidth"] > v.measured["phone"]["innerWidth"]]
    check(problems, driver, visits, "pages wider than a phone's screen")


def _png_text(src: str) -> dict[str, str] | None:
    """The text chunks of the PNG at ``src`` (a data URI or a URL of the served book); None
    for an image that is not a PNG."""
    import io

    from PIL import Image

    if src.startswith("data:"):
        head, _, data = src.partition(",")
        raw = base64.b64decode(data) if head.endswith(";base64") else b""
    else:
        with urllib.request.urlopen(src, timeout=30) as response:
            raw = response.read()
    if not raw.startswith(b"\x89PNG"):
        return None
    image = Image.open(io.BytesIO(raw))
    image.load()
    return dict(getattr(image, "text", {}) or {})


def figure_text_problems(visits: list[Visit], minimum: float = MIN_FIGURE_TEXT_PX) -> tuple[list[str], int]:
    """Figures whose smallest text is shown below ``minimum`` px on a phone, and how many
    figures were measured. The figure's PNG records the height of its smallest text in its
    own pixels (``latentlib.book.display.FONT_KEY``); shown ``shown`` px wide of its
    ``natural`` pixels, that text is ``recorded * shown / natural`` px tall on the screen."""
    from latentlib.book.display import FONT_KEY

    problems, measured = [], 0
    for visit in visits:
        for index, figure in enumerate(visit.measured["phone"]["figures"]):
            text = _png_text(figure["src"])
            if text is None or not text.get("Software", "").startswith("Matplotlib"):
                continue  # not a figure (a digit thumbnail, a logo)
            if FONT_KEY not in text:
                problems.append(f"{visit.page}: figure {index} does not record its text size "
                                "(drawn before the book's figure style: re-run the chapter)")
                continue
            measured += 1
            if float(text[FONT_KEY]) == 0:
                continue  # a figure without text
            shown = float(text[FONT_KEY]) * figure["shown"] / max(figure["natural"], 1)
            if shown < minimum:
                problems.append(f"{visit.page}: figure {index}: its smallest text is {shown:.1f} px tall "
                                f"on a {PHONE_WIDTH} px phone (shown {figure['shown']:.0f} px wide)")
    return problems, measured


def test_figure_text_is_legible_on_a_phone(visits, driver):
    problems, measured = figure_text_problems(visits)
    assert measured or problems, "no figure of a chapter was measured"
    check(problems, driver, visits, f"figures whose text is under {MIN_FIGURE_TEXT_PX} px on a phone")


WEIGHT_REPORT = ROOT / "_build" / "page-weight.txt"


def page_weights(visits: list[Visit]) -> list[tuple[str, int, int, int]]:
    """(page, bytes with an empty cache, requests, bytes of its largest resource) per page."""
    rows = []
    for visit in visits:
        sizes = [t["bytes"] for t in visit.measured["transfers"]]
        rows.append((visit.page, sum(sizes), len(sizes), max(sizes, default=0)))
    return rows


def test_page_weight_is_reported_and_carries_no_dead_weight(visits, site, driver):
    """Each page's transfer size with an empty cache, printed and written to
    ``_build/page-weight.txt``; no page fetches a source map, the full icon font script,
    or MathJax without a formula."""
    rows = page_weights(visits)
    site_bytes = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    lines = [f"site: {site_bytes / 2**20:.1f} MiB on disk", f"{'page':<48} {'KiB':>8} {'requests':>9} {'largest KiB':>12}"]
    lines += [f"{page:<48} {total / 1024:>8.0f} {count:>9} {largest / 1024:>12.0f}" for page, total, count, largest in rows]
    WEIGHT_REPORT.parent.mkdir(parents=True, exist_ok=True)
    WEIGHT_REPORT.write_text("\n".join(lines) + "\n")
    print("\n" + "\n".join(lines))
    assert all(total > 0 for _, total, _, _ in rows)
    problems = []
    for visit in visits:
        for transfer in visit.measured["transfers"]:
            url = transfer["url"].split("?")[0]
            if url.endswith(".map"):
                problems.append(f"{visit.page}: fetched a source map {url}")
            if url.endswith("fontawesome.js") and transfer["bytes"] > 100_000:
                problems.append(f"{visit.page}: fetched the whole Font Awesome ({transfer['bytes']:,} bytes)")
            if any(font in url for font in ("fa-brands", "fa-regular", ".ttf")):
                problems.append(f"{visit.page}: fetched an icon font it draws nothing with: {url}")
            if "mathjax" in url.lower() and not visit.measured["math"]["formulas"]:
                problems.append(f"{visit.page}: loads MathJax without a formula")
    problems += [f"source map shipped: {p.relative_to(site)}" for p in site.rglob("*.map")]
    check(problems, driver, visits, "dead weight on the pages")


def test_every_icon_is_drawn(visits, driver):
    """The site ships only the icons its pages name (``latentlib.book.site``): each one drawn."""
    problems = [f"{v.page}: icon {name!r} not drawn" for v in visits for name in v.measured["icons"]["left"]]
    assert all(v.measured["icons"]["drawn"] > 3 for v in visits)  # menu, search, theme switch, ...
    check(problems, driver, visits, "icons the site does not draw")


#: the pages a reader starts from, kept as screenshots at both widths for the CI artefact
READER_PAGES = ("book/paper_vs_ours.html", "book/executed/01_embedding_size.html",
                "book/executed/02_triplet_vs_mse.html", "book/executed/03_pca_vs_autoencoder.html")


def test_screenshots_of_the_readers_pages_at_both_widths(visits, driver):
    """Full-height screenshots (capped) of the results page and chapters 01-03 at 1280 and
    412 px under ``_build/screenshots/reader/``, for a person to read."""
    folder = SCREENSHOTS / "reader"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    pages = {v.page: v for v in visits}
    for page in READER_PAGES:
        assert page in pages, f"{page} is not in the build"
        for width in (WIDTH, PHONE_WIDTH):
            driver.set_window_size(width, HEIGHT)
            driver.get(pages[page].url)
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(width, min(max(height, HEIGHT), 16000))
            path = folder / f"{page.replace('/', '__').removesuffix('.html')}-{width}px.png"
            driver.save_screenshot(str(path))
            assert path.stat().st_size > 10_000
    driver.set_window_size(WIDTH, HEIGHT)

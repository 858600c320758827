"""The one way the browser tests start headless Chromium (Debian's chromium and
chromium-driver, or $CHROMIUM / $CHROMEDRIVER), with the flags this closed network needs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
MISSING = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
SKIP_REASON = (f"headless browser test needs {' and '.join(MISSING)} "
               "(Debian: apt-get install chromium chromium-driver; or set $CHROMIUM / $CHROMEDRIVER)")
# without the background-networking flags Chromium keeps calling hosts it cannot reach
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")


def start_chromium(profile: Path, *, width: int, height: int, extra: tuple[str, ...] = (),
                   page_load_timeout: int = 60):
    """A Selenium driver on a fresh profile, logging the browser console."""
    pytest.importorskip("selenium", reason="selenium is a dev dependency: pip install -e '.[dev]'")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, *extra, f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(page_load_timeout)
    return browser

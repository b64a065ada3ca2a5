"""Headless Chromium through Selenium, for the HTML report's tests, benchmark and screenshot.

Debian's `chromium` and `chromium-driver` packages (`.ci/run` installs them when missing). The
flags keep the browser off the network and away from any profile: a fresh user-data-dir each time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")


def chromium_binary() -> str | None:
    return CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")


def chromedriver_binary() -> str | None:
    return shutil.which("chromedriver") or next(
        (p for p in ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver") if os.access(p, os.X_OK)),
        None)


def missing_browser() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    missing = [name for name, found in (("chromium", chromium_binary()),
                                        ("chromedriver", chromedriver_binary())) if not found]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if missing:
        return (f"{' and '.join(missing)} not found: apt-get install -y chromium chromium-driver; "
                "pip install '.[test]'")
    return None


@contextmanager
def chromium(width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """A headless Chromium driven by Selenium, with a fresh profile removed afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="np2calico-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = chromium_binary() or CHROMIUM
        for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=Service(chromedriver_binary()))
        try:
            yield driver
        finally:
            driver.quit()


def open_report(driver: Any, path: Path, timeout: float = 30.0) -> None:
    """Load a report from disk and wait until its script has drawn the matrix."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, timeout, poll_frequency=0.02).until(
        lambda d: d.execute_script("return document.documentElement.dataset.ready === 'true'"))

"""Regenerate docs/report.png, the README's screenshot of the lab's migration report.

    python docs/make_screenshot.py

Renders `np2calico diff samples/lab/policies --cluster samples/lab/cluster.yaml --migrate
--default-deny global -o html`, opens it in headless Chromium (tests/browser.py), selects the
dev -> kube-system cell and saves the top of the page.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from typer.testing import CliRunner  # noqa: E402

from tests.browser import chromium, missing_browser, open_report  # noqa: E402
from tests.report_cases import LAB_MIGRATION  # noqa: E402
from translator.cli import app  # noqa: E402

TARGET = ROOT / "docs" / "report.png"


def main() -> int:
    why = missing_browser()
    if why is not None:
        print(f"make_screenshot: {why}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "report.html"
        # Paths relative to the repository root, as a user would type them.
        args = [str(Path(a).relative_to(ROOT)) if a.startswith(str(ROOT)) else a for a in LAB_MIGRATION]
        with _chdir(ROOT):
            result = CliRunner().invoke(app, ["diff", *args, "-o", "html", "--output-file", str(page)])
        if result.exit_code != 1:
            print(result.output, file=sys.stderr)
            return 2
        with chromium(1280, 1520) as driver:
            open_report(driver, page)
            driver.find_element("css selector", 'td.cell[data-source="dev"][data-destination="kube-system"]').click()
            driver.execute_script("window.scrollTo(0, 0); document.activeElement.blur();")
            driver.save_screenshot(str(TARGET))
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


class _chdir:
    def __init__(self, path: Path) -> None:
        self.path, self.previous = path, Path.cwd()

    def __enter__(self) -> None:
        import os

        os.chdir(self.path)

    def __exit__(self, *exc: object) -> None:
        import os

        os.chdir(self.previous)


if __name__ == "__main__":
    sys.exit(main())

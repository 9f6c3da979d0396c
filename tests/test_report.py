"""`freeze report`: the page renders in a real browser and finds a module."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from support import build_app, freeze

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed with apt-get when absent and allowed (root), else a
    skip that says why."""
    found = next(filter(None, map(shutil.which, BROWSERS)), None)
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("needs chromium; as root with apt-get the suite installs it "
                    "(apt-get install chromium)")
    def apt_get(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["apt-get", *args], stdin=subprocess.DEVNULL, capture_output=True,
                              env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
                              text=True, timeout=1800)

    installed = apt_get("install", "-y", "-q", "chromium")
    if installed.returncode != 0:  # a fresh machine may have no package lists yet
        apt_get("update", "-q")
        installed = apt_get("install", "-y", "-q", "chromium")
    found = next(filter(None, map(shutil.which, BROWSERS)), None)
    if installed.returncode != 0 or not found:
        pytest.skip(f"cannot install chromium: {(installed.stderr or installed.stdout)[-300:]}")
    return found


def render(browser: str, page: Path, fragment: str, tmp_path: Path) -> str:
    """The page's DOM after its script ran, in headless chromium."""
    shown = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                            "--window-size=1200,900", f"--user-data-dir={tmp_path / 'profile'}",
                            "--virtual-time-budget=5000", "--dump-dom",
                            page.as_uri() + fragment],
                           capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL)
    assert shown.returncode == 0, shown.stderr[-2000:]
    return shown.stdout


@pytest.mark.slow
def test_the_report_renders_a_treemap_and_finds_a_module(tmp_path: Path, chromium: str) -> None:
    out = build_app(tmp_path, {
        "app.py": "import shapes.circle, shapes.square\nprint(shapes.circle.AREA)\n",
        "shapes/__init__.py": "",
        "shapes/circle.py": "from . import square\nAREA = 3.14 * 2 ** 2\n" + "# pad\n" * 200,
        "shapes/square.py": "AREA = 4\n",
    })
    made = freeze("report", out, "-o", tmp_path / "report.html")
    assert made.returncode == 0, made.stderr
    dom = render(chromium, tmp_path / "report.html", "#q=square", tmp_path)
    cells = re.findall(r'<div class="cell"[^>]*data-name="([^"]+)"', dom)
    assert {"(the app)", "shapes", "shapes.circle", "shapes.square"} <= set(cells), cells
    rows = re.findall(r'<tr data-name="([^"]+)"', dom)
    assert rows == ["shapes.square"]
    row = dom[dom.index('<tr data-name="shapes.square"'):]
    row = row[:row.index("</tr>")]
    assert "imported by __main__" in row and "__main__, shapes.circle" in row

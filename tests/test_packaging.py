"""The wheel ships what the package reads at run time: the JSON Schemas and the HTML report's
templates (a template missing from the wheel would only fail on a user's `-o html`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "translator" / "render" / "templates"


def test_the_wheel_holds_the_templates_and_schemas(tmp_path: Path) -> None:
    source = tmp_path / "src"  # a copy: building in place would leave build/ in the work tree
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for folder in ("translator", "schemas"):
        shutil.copytree(ROOT / folder, source / folder, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)]
    built = subprocess.run(command, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("np2calico-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {f"translator/render/templates/{p.name}" for p in TEMPLATES.iterdir() if p.is_file()}
    assert templates and templates <= names
    assert "translator/schemas/networkpolicy.schema.json" in names

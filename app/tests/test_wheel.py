"""The wheel a deploy installs carries the code, migrations, templates and static files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

APP_DIR = Path(__file__).resolve().parents[1]


def test_wheel_carries_everything_a_release_needs(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(APP_DIR)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("flaskapp-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "flaskapp/__init__.py",
        "flaskapp/migrations/env.py",
        "flaskapp/migrations/alembic.ini",
        "flaskapp/templates/index.html",
        "flaskapp/static/app.css",
        "flaskapp/static/app.js",
    }
    assert expected <= names
    assert any(name.startswith("flaskapp/migrations/versions/") for name in names)

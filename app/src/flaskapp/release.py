"""What is running: the release id, build and source revision the deploy recorded."""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

UNKNOWN = "unknown"


def package_version() -> str:
    try:
        return version("flaskapp")
    except PackageNotFoundError:
        return UNKNOWN


def read(path: str) -> dict[str, str]:
    """The release metadata file, or placeholders when there is none (a run outside a deploy)."""
    info = {"release": "development", "revision": UNKNOWN}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return info | {"version": package_version()}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: release metadata must be a JSON object")
    info.update({key: str(value) for key, value in data.items() if key in {"release", "build", "revision", "built_at"}})
    return info | {"version": package_version()}

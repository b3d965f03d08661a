"""The bench's sections, in the page's order.

Each module has TITLE; measure(runs), which runs on the lab and saves its
figures under bench/results/<name>.json; and report(figures, out, every), which
appends its part of docs/benchmarks.md (under the heading the page numbers) to
out, where every holds all the sections' figures for those that compare with
another's (the ceiling). It may have chart(ax, figures), its panel of
docs/benchmarks.png, and layouts(), the inventories of its own that
lab.write_inventories writes ({name: (groups, app group variables)}). A new
section is a new module here and its name in ORDER.
"""

from __future__ import annotations

import importlib

ORDER = ["ceiling", "http", "static", "workers", "disruption", "converge", "scale", "tls", "data"]
BY_NAME = {name: importlib.import_module(f"sections.{name}") for name in ORDER}

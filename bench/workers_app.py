"""The deployed WSGI app with one more route for the workers section: a page that first waits on a slow dependency.

GET /bench/slow calls the dependency stub (BENCH_SLOW_URL, an HTTP server on
the lab network that answers after 50 ms), reads its answer, then serves the
app's own GET / (its query and template) as the answer. Every other path is the
app's. The app is the one Gunicorn would load (BENCH_APP, a wsgi_app string);
only the standard library and Gunicorn, so any WSGI app. Under gevent workers
the dependency call yields like any socket call (Gunicorn patches the standard
library before it loads this module).
"""

from __future__ import annotations

import os
import urllib.request

from gunicorn.util import import_app

_app = import_app(os.environ["BENCH_APP"])
_slow = os.environ["BENCH_SLOW_URL"]


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/bench/slow":
        with urllib.request.urlopen(_slow, timeout=5) as answer:
            answer.read()
        environ = dict(environ, PATH_INFO="/")
    return _app(environ, start_response)

"""flaskapp: a small notes service, the default payload of the deployment roles.

Gunicorn entry point: ``flaskapp:create_app()``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import api, cache, errors, logs, ops, release, web
from .config import ConfigError, load
from .extensions import db, migrate

__all__ = ["ConfigError", "create_app"]

MIGRATIONS = str(Path(__file__).parent / "migrations")


def create_app(env: Mapping[str, str] | None = None, *, config_name: str | None = None) -> Flask:
    """Build the app from `env` (the process environment by default).

    Raises ConfigError, naming the setting, when the configuration is unsafe.
    """
    env = os.environ if env is None else env
    instance_path = env.get("INSTANCE_PATH")
    app = Flask(__name__, instance_path=os.path.abspath(instance_path) if instance_path else None)
    app.config.update(load(env, name=config_name, instance_path=app.instance_path))
    app.config["RELEASE_INFO"] = release.read(str(app.config["RELEASE_FILE"]))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    cache.init_app(app)
    logs.init_app(app)
    errors.init_app(app)
    for blueprint in (ops.bp, api.bp, web.bp):
        app.register_blueprint(blueprint)
    web.version_static_urls(app)
    return app

"""Configuration from the environment, and the refusals that keep production safe."""

from __future__ import annotations

import pytest
from flaskapp import ConfigError, create_app
from flaskapp.config import load

GOOD_KEY = "s" * 32


def production(**extra: str) -> dict[str, str]:
    return {"APP_ENV": "production", "SECRET_KEY": GOOD_KEY} | extra


def test_production_starts_with_a_strong_key_and_no_debug(tmp_path):
    app = create_app(production(INSTANCE_PATH=str(tmp_path)))
    assert app.config["ENV_NAME"] == "production"
    assert not app.debug


def test_app_env_defaults_to_production(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY must be set in production"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize("value", ["1", "true", "yes", "on"])
def test_production_refuses_debug(tmp_path, value):
    with pytest.raises(ConfigError, match=r"^DEBUG must be off in production"):
        create_app(production(DEBUG=value, INSTANCE_PATH=str(tmp_path)))


def test_production_refuses_a_short_secret_key(tmp_path):
    with pytest.raises(ConfigError, match=r"^SECRET_KEY must be at least 32 characters in production, got 31$"):
        create_app(production(SECRET_KEY="s" * 31, INSTANCE_PATH=str(tmp_path)))


def test_production_refuses_a_missing_secret_key(tmp_path):
    env = production(INSTANCE_PATH=str(tmp_path))
    del env["SECRET_KEY"]
    with pytest.raises(ConfigError, match=r"^SECRET_KEY must be set in production"):
        create_app(env)


def test_unknown_app_env_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"^APP_ENV must be one of development, testing, production"):
        load({"APP_ENV": "prod"}, instance_path=str(tmp_path))


@pytest.mark.parametrize(("value", "problem"), [("two", "whole number"), ("-1", "0 or more")])
def test_bad_trusted_proxies_is_refused(tmp_path, value, problem):
    with pytest.raises(ConfigError, match=rf"^TRUSTED_PROXIES must be .*{problem}"):
        load(production(TRUSTED_PROXIES=value), instance_path=str(tmp_path))


def test_development_allows_debug_without_a_key(tmp_path):
    settings = load({"APP_ENV": "development"}, instance_path=str(tmp_path))
    assert settings["DEBUG"] is True


def test_sqlite_in_the_instance_folder_by_default(tmp_path):
    settings = load(production(), instance_path=str(tmp_path))
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/flaskapp.db"


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_postgres_url_uses_the_psycopg_driver(tmp_path, scheme):
    settings = load(production(DATABASE_URL=f"{scheme}://u:p@db:5432/app"), instance_path=str(tmp_path))
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db:5432/app"


def _remote_addr_seen(app, headers):
    @app.get("/_whoami")
    def whoami():
        from flask import request

        return {"remote_addr": request.remote_addr, "scheme": request.scheme}

    return app.test_client().get("/_whoami", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.9"}).json


def test_one_trusted_proxy_gives_the_client_address_and_scheme(env):
    env["TRUSTED_PROXIES"] = "1"
    seen = _remote_addr_seen(create_app(env), {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert seen == {"remote_addr": "203.0.113.7", "scheme": "https"}


def test_no_trusted_proxy_ignores_forwarded_headers(env):
    env["TRUSTED_PROXIES"] = "0"
    seen = _remote_addr_seen(create_app(env), {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert seen == {"remote_addr": "10.0.0.9", "scheme": "http"}


def test_one_trusted_proxy_ignores_a_spoofed_first_hop(env):
    env["TRUSTED_PROXIES"] = "1"
    seen = _remote_addr_seen(create_app(env), {"X-Forwarded-For": "6.6.6.6, 203.0.113.7"})
    assert seen["remote_addr"] == "203.0.113.7"


def test_redis_url_must_name_a_redis_scheme():
    with pytest.raises(ConfigError, match=r"^REDIS_URL must start with redis://"):
        load(production(REDIS_URL="http://cache:6379"), instance_path="/tmp")

"""Configuration from the environment, with development, testing and production classes."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

ENVIRONMENTS = ("development", "testing", "production")
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """The configuration is unsafe or malformed; the message names the setting."""


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _database_url(value: str | None, instance_path: str) -> str:
    if not value:
        return f"sqlite:///{Path(instance_path) / 'flaskapp.db'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants a driver name.
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    return value


def _non_negative_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must be 0 or more, got {value}")
    return value


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI = ""
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, object]] = {"pool_pre_ping": True}
    # How many proxies in front of the app set X-Forwarded-* (Nginx: 1).
    TRUSTED_PROXIES = 1
    LOG_LEVEL = "INFO"
    # Redis (cache of reads, write limits); empty: none, every read from the database.
    REDIS_URL = ""
    CACHE_TTL = 30
    # Writes a client address may make a minute (0: no limit); counted in Redis.
    WRITE_RATE_LIMIT = 0
    # JSON file with {"release": ..., "revision": ...}, written by the deploy.
    RELEASE_FILE = "release.json"
    JSON_SORT_KEYS = False
    MAX_CONTENT_LENGTH = 1024 * 1024

    @classmethod
    def from_env(cls, env: Mapping[str, str], instance_path: str) -> dict[str, object]:
        settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
        settings["DEBUG"] = _flag(env["DEBUG"]) if "DEBUG" in env else cls.DEBUG
        settings["SECRET_KEY"] = env.get("SECRET_KEY") or cls.SECRET_KEY
        settings["SQLALCHEMY_DATABASE_URI"] = _database_url(env.get("DATABASE_URL"), instance_path)
        settings["TRUSTED_PROXIES"] = _non_negative_int(env, "TRUSTED_PROXIES", cls.TRUSTED_PROXIES)
        settings["LOG_LEVEL"] = env.get("LOG_LEVEL", cls.LOG_LEVEL).upper()
        settings["RELEASE_FILE"] = env.get("RELEASE_FILE", cls.RELEASE_FILE)
        settings["REDIS_URL"] = env.get("REDIS_URL", cls.REDIS_URL)
        settings["CACHE_TTL"] = _non_negative_int(env, "CACHE_TTL", cls.CACHE_TTL)
        settings["WRITE_RATE_LIMIT"] = _non_negative_int(env, "WRITE_RATE_LIMIT", cls.WRITE_RATE_LIMIT)
        if settings["REDIS_URL"] and not str(settings["REDIS_URL"]).startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(
                f"REDIS_URL must start with redis://, rediss:// or unix://, got {settings['REDIS_URL']!r}"
            )
        cls.check(settings)
        return settings

    @classmethod
    def check(cls, settings: Mapping[str, object]) -> None:
        """Refuse settings that are wrong in this environment."""


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = True
    SECRET_KEY = "development-only-key-never-use-in-production"
    LOG_LEVEL = "DEBUG"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-key-never-use-in-production"
    TRUSTED_PROXIES = 0


class ProductionConfig(Config):
    ENV_NAME = "production"

    @classmethod
    def check(cls, settings: Mapping[str, object]) -> None:
        if settings["DEBUG"]:
            raise ConfigError("DEBUG must be off in production (unset DEBUG or set DEBUG=0)")
        key = settings["SECRET_KEY"]
        if not key:
            raise ConfigError("SECRET_KEY must be set in production (32 characters or more)")
        if len(str(key)) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters in production, got {len(str(key))}"
            )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load(env: Mapping[str, str] | None = None, *, name: str | None = None, instance_path: str) -> dict[str, object]:
    """Settings for APP_ENV (production when unset) read from `env`."""
    env = os.environ if env is None else env
    name = name or env.get("APP_ENV", "production")
    if name not in CONFIGS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, got {name!r}")
    return CONFIGS[name].from_env(env, instance_path)

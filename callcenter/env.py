"""Small typed readers for settings that come from the environment."""

import os
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def checked_secret_key(key: str, *, debug: bool, development_key: str) -> str:
    """The SECRET_KEY, or ImproperlyConfigured when DEBUG is off and it is the development key or
    not a real secret (Django's own test of one: 50 characters or more, 5 different ones or more,
    not one of its generated insecure keys). The app then does not start at all: sessions, password
    reset links and signed upload tokens would otherwise be signed with a key anyone can read."""
    if debug:
        return key
    if key == development_key or len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-"):
        raise ImproperlyConfigured(
            "DEBUG is off but SECRET_KEY is the development key or too weak: set SECRET_KEY to a long random "
            "value (50+ characters), e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    return key


def proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """SECURE_PROXY_SSL_HEADER from "X-Forwarded-Proto: https" (the header the TLS-ending proxy
    sets, and its value for HTTPS); None when not configured. Only set it behind such a proxy
    that always sets or strips the header, or a client could claim HTTPS."""
    if not value.strip():
        return None
    name, separator, expected = value.partition(":")
    if not separator or not name.strip() or not expected.strip():
        raise ImproperlyConfigured(f'SECURE_PROXY_SSL_HEADER must look like "X-Forwarded-Proto: https", got {value!r}')
    return "HTTP_" + name.strip().upper().replace("-", "_"), expected.strip()


def database_from_url(url: str) -> dict:
    """Turn postgres://user:pass@host:port/name?sslmode=... into a DATABASES entry.

    Only PostgreSQL is accepted: the product relies on SKIP LOCKED, COPY and partial indexes.
    """
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL must be a postgres:// URL, got {parsed.scheme!r}")
    options = {}
    for pair in filter(None, parsed.query.split("&")):
        key, _, value = pair.partition("=")
        options[key] = unquote(value)
    host = unquote(parsed.hostname or "") if parsed.hostname else ""
    if not host and "host" in options:  # socket directory given as ?host=/path
        host = options.pop("host")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "callcenter",
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": host,
        "PORT": str(parsed.port or ""),
        "OPTIONS": options,
    }

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


def storage_from_url(url: str) -> dict:
    """STORAGES["default"] for STORAGE_URL: empty for files under MEDIA_ROOT, or
    s3://bucket[/prefix]?endpoint_url=https://...&region=ap-northeast-1 for an S3-compatible
    object store (django-storages). Credentials come the way boto3 finds them (AWS_ACCESS_KEY_ID
    and AWS_SECRET_ACCESS_KEY, or the machine's role), never from the URL."""
    if not url.strip():
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.hostname:
        raise ImproperlyConfigured(f"STORAGE_URL must look like s3://bucket/prefix?endpoint_url=..., got {url!r}")
    if parsed.username or parsed.password:
        raise ImproperlyConfigured(
            "STORAGE_URL must not carry credentials: set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
        )
    query = dict(pair.partition("=")[::2] for pair in filter(None, parsed.query.split("&")))
    unknown = set(query) - {"endpoint_url", "region"}
    if unknown:
        raise ImproperlyConfigured(f"STORAGE_URL: unknown parameters {sorted(unknown)} (endpoint_url, region)")
    options = {
        "bucket_name": parsed.hostname,
        "location": parsed.path.strip("/"),
        # Uploads are private: read through signed URLs or by the app, never public.
        "default_acl": None,
        "querystring_auth": True,
        # Two uploads of the same name never overwrite each other (each has a folder of its own anyway).
        "file_overwrite": False,
    }
    if query.get("endpoint_url"):
        options["endpoint_url"] = unquote(query["endpoint_url"])
    if query.get("region"):
        options["region_name"] = unquote(query["region"])
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}

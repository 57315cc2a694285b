import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from callcenter.env import checked_secret_key, database_from_url, proxy_ssl_header

REAL_KEY = "k3#Vq9!zR7@pL2$wX8^mN5&bT1*cY6(hJ4)gF0-dS_aQ+eUo8Li3Kj7Hn2Mb"


def manage_py(*args, **env_changes):
    """Run manage.py in a fresh process with production-like settings plus `env_changes` (None
    removes a variable)."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set for Playwright
    env.update(DJANGO_SETTINGS_MODULE="callcenter.settings", ALLOWED_HOSTS="callcenter.example.jp")
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )


def test_check_deploy_reports_nothing_with_production_values():
    result = manage_py(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=REAL_KEY,
        CSRF_TRUSTED_ORIGINS="https://callcenter.example.jp",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "secret_key",
    [None, "dev-only-insecure-key-change-me-in-production-0123456789", "short-but-set", "a" * 60],
    ids=["unset", "development key", "short", "one character"],
)
def test_with_debug_off_the_app_refuses_to_start_without_a_real_secret_key(secret_key):
    result = manage_py("check", DEBUG="0", SECRET_KEY=secret_key)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "ImproperlyConfigured" in result.stderr


def test_with_debug_on_the_development_key_is_fine():
    assert manage_py("check", DEBUG="1", SECRET_KEY=None).returncode == 0
    assert checked_secret_key("dev", debug=True, development_key="dev") == "dev"
    with pytest.raises(ImproperlyConfigured):
        checked_secret_key("django-insecure-" + REAL_KEY, debug=False, development_key="dev")
    assert checked_secret_key(REAL_KEY, debug=False, development_key="dev") == REAL_KEY


def test_the_proxy_ssl_header_is_trusted_only_when_configured():
    # Not configured (the test run sets nothing): a client's X-Forwarded-Proto claims nothing.
    assert os.environ.get("SECURE_PROXY_SSL_HEADER") is None and settings.SECURE_PROXY_SSL_HEADER is None
    assert proxy_ssl_header("") is None
    assert proxy_ssl_header("X-Forwarded-Proto: https") == ("HTTP_X_FORWARDED_PROTO", "https")
    with pytest.raises(ImproperlyConfigured):
        proxy_ssl_header("X-Forwarded-Proto")
    printed = manage_py(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)",
        DEBUG="0",
        SECRET_KEY=REAL_KEY,
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https",
    )
    assert printed.stdout.strip().endswith("('HTTP_X_FORWARDED_PROTO', 'https')"), printed.stderr


def test_a_forwarded_proto_header_does_not_make_a_request_secure_unless_configured():
    from django.test import RequestFactory

    request = RequestFactory().get("/", HTTP_X_FORWARDED_PROTO="https")
    assert not request.is_secure()


def test_database_url_parsing_accepts_postgres_only():
    db = database_from_url("postgres://app:s%40cret@db.internal:6543/cc?sslmode=require")
    assert db["NAME"] == "cc" and db["USER"] == "app" and db["PASSWORD"] == "s@cret"
    assert db["HOST"] == "db.internal" and db["PORT"] == "6543"
    assert db["OPTIONS"] == {"sslmode": "require"}
    socket = database_from_url("postgres:///cc?host=/tmp/sock")
    assert socket["HOST"] == "/tmp/sock"
    try:
        database_from_url("sqlite:///db.sqlite3")
    except ValueError as exc:
        assert "postgres" in str(exc)
    else:
        raise AssertionError("sqlite must be refused")


def test_development_defaults():
    # The call center's clock (calling hours, KPI days) when TIME_ZONE is not set: read by a fresh
    # process, since this one may have been started with TIME_ZONE set.
    env = {k: v for k, v in os.environ.items() if k != "TIME_ZONE"}
    printed = subprocess.run(
        [sys.executable, "-c", "from callcenter import settings; print(settings.TIME_ZONE)"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert printed.stdout.strip() == "Asia/Tokyo", printed.stderr
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert settings.CELERY_BROKER_URL.startswith("redis://")

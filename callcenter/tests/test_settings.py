import os
import subprocess
import sys

from django.conf import settings

from callcenter.env import database_from_url


def test_check_deploy_reports_nothing_with_production_values():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set for Playwright
    env.update(
        DJANGO_SETTINGS_MODULE="callcenter.settings",
        DEBUG="0",
        SECRET_KEY="k3#Vq9!zR7@pL2$wX8^mN5&bT1*cY6(hJ4)gF0-dS_aQ+eUo8Li3Kj7Hn2Mb",
        ALLOWED_HOSTS="callcenter.example.jp",
        CSRF_TRUSTED_ORIGINS="https://callcenter.example.jp",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


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
    assert settings.TIME_ZONE == os.environ.get("TIME_ZONE", "Asia/Tokyo")
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert settings.CELERY_BROKER_URL.startswith("redis://")

"""Liveness of the three things the product cannot work without."""

import redis
from django.conf import settings
from django.db import connection

from .celery import app as celery_app


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - report, never crash: this is the health page
        return f"error: {exc.__class__.__name__}: {exc}".strip()[:300]


def check_redis() -> str:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - reported on the health page, never raised
        return f"error: cannot reach Redis at {_safe_url(settings.REDIS_URL)}: {exc}"[:300]


def check_celery(timeout: float = 1.0, app=None) -> str:
    try:
        replies = (app or celery_app).control.ping(timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - reported on the health page, never raised
        return f"error: cannot ask workers through the broker: {exc}"[:300]
    if not replies:
        return "error: no Celery worker answered the ping"
    return "ok"


def health_status() -> dict[str, str]:
    status = {"database": check_database(), "redis": check_redis()}
    # Without the broker a worker ping can only hang until its timeout: report it directly.
    status["celery"] = check_celery() if status["redis"] == "ok" else "error: broker unreachable"
    return status


def _safe_url(url: str) -> str:
    return url.split("@")[-1]

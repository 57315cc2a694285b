"""The cache for things that may be lost: Redis away (restart, network blip) must not turn a
console action into an error page. Reads give None, writes and deletes do nothing, and a warning
is logged; callers work without the cached value."""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def get(key: str):
    try:
        return cache.get(key)
    except Exception:
        logger.warning("cache unavailable: %s not read", key, exc_info=True)
        return None


def set(key: str, value, timeout) -> None:  # noqa: A001 - the cache's own word
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("cache unavailable: %s not written", key, exc_info=True)


def delete(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.warning("cache unavailable: %s not deleted", key, exc_info=True)

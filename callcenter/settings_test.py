"""Test overrides: fast hashing, isolated cache keys; still PostgreSQL and Redis for real."""

import os

from .env import storage_from_url
from .settings import *  # noqa: F403
from .settings import CACHES, REST_FRAMEWORK

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES["default"]["KEY_PREFIX"] = f"callcenter-test-{os.getpid()}"
STORAGES = {
    "default": storage_from_url(os.environ.get("STORAGE_URL", "")),  # the object-store tests set it for their worker
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The suite (and the API fuzzing in it) makes many requests a minute as one user from one address:
# throttling tests lower these rates for themselves.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {scope: "1000000/minute" for scope in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]},
}

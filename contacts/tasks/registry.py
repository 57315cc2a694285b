"""Celery tasks of this area: thin wrappers that take ids and call a service."""

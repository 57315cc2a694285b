import os
from fnmatch import fnmatchcase

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callcenter.settings")

app = Celery("callcenter")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def queue_name(kind: str | None, base: str) -> str:
    """The queue of a kind of work: `<base>.<kind>`, or `base` itself for the general queue."""
    return f"{base}.{kind}" if kind else base


def kind_of_work(task_name: str) -> str | None:
    """The kind of work (a key of settings.CELERY_WORK_KINDS) a task belongs to, None for the rest."""
    from django.conf import settings

    for kind, patterns in settings.CELERY_WORK_KINDS.items():
        if any(fnmatchcase(task_name, pattern) for pattern in patterns):
            return kind
    return None


def route_by_kind(name, args, kwargs, options, task=None, **extra):
    """Celery router (CELERY_TASK_ROUTES): each task goes to the queue of its kind of work. The
    base name is read at each call, so a test worker's private queue (conftest) gets its kinds too."""
    return {"queue": queue_name(kind_of_work(name), app.conf.task_default_queue)}

import pytest


@pytest.fixture(autouse=True)
def eager_celery():
    """The invitation tasks run where they are queued (after the commit), so the tests read the
    mail in Django's locmem outbox instead of leaving tasks in Redis."""
    from callcenter.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous

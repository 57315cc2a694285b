import pytest

from callcenter.tasks import ping


@pytest.mark.worker
def test_round_trip_through_real_worker_and_redis(transactional_db, celery_worker_process, settings):
    from django.db import connection

    result = ping.delay()
    answer = result.get(timeout=30)
    # The worker is a separate process that read the task from Redis and used the test database.
    assert answer == {"pong": True, "database": connection.settings_dict["NAME"]}
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert not ping.app.conf.task_always_eager

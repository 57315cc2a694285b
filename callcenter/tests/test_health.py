import pytest
from django.urls import reverse


@pytest.mark.worker
def test_healthz_is_ok_when_database_redis_and_worker_are_up(transactional_db, client, celery_worker_process):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok", "celery": "ok"}


@pytest.mark.django_db
def test_healthz_is_503_with_a_clear_message_for_staff_when_redis_is_unreachable(login, admin_user, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = login(admin_user).get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["redis"].startswith("error: cannot reach Redis at redis://127.0.0.1:1/0")
    assert body["celery"] != "ok"


@pytest.mark.django_db
def test_healthz_tells_others_only_ok_or_failed(client, login, supervisor, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    expected = {"database": "ok", "redis": "failed", "celery": "failed"}
    anonymous = client.get(reverse("healthz"))
    assert anonymous.status_code == 503 and anonymous.json() == expected
    assert "127.0.0.1" not in anonymous.content.decode()
    signed_in = login(supervisor).get(reverse("healthz"))  # a supervisor is not staff
    assert signed_in.status_code == 503 and signed_in.json() == expected


def test_celery_check_reports_when_no_worker_answers(settings):
    from celery import Celery

    from callcenter.health import check_celery

    # A broker database no worker listens on: the ping goes out and nobody answers.
    lonely = Celery("lonely", broker=settings.REDIS_URL.rsplit("/", 1)[0] + "/15")
    assert check_celery(timeout=0.5, app=lonely) == "error: no Celery worker answered the ping"

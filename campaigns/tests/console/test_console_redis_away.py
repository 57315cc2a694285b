"""Redis away (restarting, network blip): operators keep working. Dispatch and outcomes live in
PostgreSQL; what uses Redis on their way (presence, cached explanations and best hours, the retry
task's broker) is best effort there, so an operator never gets an error page for a call that was
saved. Redis is made unreachable for real: the cache and the broker point at a closed port."""

import pytest
from django.urls import reverse

from campaigns.models import CallAttempt, CallListEntry, Disposition
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign

pytestmark = pytest.mark.django_db(transaction=True)
CLOSED_PORT = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_away(settings):
    from callcenter.celery import app

    def reset_broker_pools():
        # New pools get made for the current broker URL. The old ones are left to the garbage
        # collector, not closed: a producer made from them may still be referenced elsewhere.
        app._pool = None
        app.amqp._producer_pool = None

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED_PORT}}
    previous = app.conf.broker_url
    app.conf.broker_url = CLOSED_PORT
    reset_broker_pools()
    yield
    app.conf.broker_url = previous
    reset_broker_pools()


@pytest.fixture
def call_list(reference_data, operator):
    policy = open_around_the_clock(prefer_best_hours=True)
    call_list = ready_list(working_campaign(operators=[operator], policy=policy))
    entry(call_list)
    return call_list


def test_an_operator_works_a_call_while_redis_is_away(login, operator, call_list, redis_away):
    from django.core.cache import cache

    with pytest.raises(Exception):  # noqa: B017 - any failure: the point is that Redis does not answer
        cache.get("probe")
    client = login(operator)

    assert client.get(reverse("campaigns:console")).status_code == 200
    assert client.post(reverse("campaigns:console_state"), {"state": "ready"}).status_code == 302
    assert client.post(reverse("campaigns:console_next")).status_code == 302
    held = CallListEntry.objects.get(status=CallListEntry.Status.HELD, held_by=operator)

    no_answer = Disposition.objects.get(code="no_answer")
    response = client.post(
        reverse("campaigns:console_outcome", args=[held.pk]),
        {"disposition": no_answer.code, "client_token": "redis-away-1", "save": "1"},
    )

    assert response.status_code == 302  # saved, not an error page
    attempt = CallAttempt.objects.get(client_token="redis-away-1")
    assert attempt.entry_id == held.pk
    held.refresh_from_db()
    assert held.status == CallListEntry.Status.PENDING and held.next_attempt_at is not None  # provisional time


def test_the_api_explains_an_empty_queue_while_redis_is_away(api_as, operator, call_list, redis_away):
    CallListEntry.objects.filter(call_list=call_list).update(status=CallListEntry.Status.DONE)
    response = api_as(operator).post("/api/v1/dispatch/next/")
    assert response.status_code == 204
    assert response["X-Dispatch-Reason"]

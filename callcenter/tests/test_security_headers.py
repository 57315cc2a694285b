"""Response headers that keep customer data where it belongs: no cache keeps what a signed-in user
was shown."""

import pytest
from django.urls import reverse

from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def test_pages_for_a_signed_in_user_are_not_stored(login, supervisor):
    customer = CustomerFactory(name="山田 太郎")
    client = login(supervisor)
    for url in (reverse("contacts:customer_list"), reverse("contacts:customer_detail", args=[customer.pk])):
        response = client.get(url)
        assert response.status_code == 200 and "山田 太郎" in response.content.decode()
        assert {"no-store", "private"} <= cache_control(response), url


def test_api_answers_for_a_token_user_are_not_stored(api_as, supervisor):
    CustomerFactory(name="山田 太郎")
    response = api_as(supervisor).get("/api/v1/customers/")
    assert response.status_code == 200 and response.json()["results"][0]["name"] == "山田 太郎"
    assert {"no-store", "private"} <= cache_control(response)


def test_anonymous_static_answers_keep_their_own_caching(client):
    response = client.get("/favicon.ico")
    assert "no-store" not in cache_control(response)

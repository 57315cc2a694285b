"""A policy started from a preset is named as a copy of it, in the user's language."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "language, name",
    [
        ("ja", "日本・販売の標準（特定商取引法）（コピー）"),
        ("en", "Japan sales standard (特定商取引法) (copy)"),
    ],
)
def test_a_preset_copy_is_named_in_the_users_language(login, supervisor, language, name):
    client = login(supervisor)
    client.cookies["django_language"] = language
    response = client.get(reverse("campaigns:policy_create"), {"preset": "japan_standard"})
    assert response.status_code == 200
    assert response.context["form"].initial["name"] == name

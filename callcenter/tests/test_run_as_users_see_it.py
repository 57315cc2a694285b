"""`make run` shows the product as users see it (DEBUG off: the app's own error pages in the
user's language); `make dev` is the one with Django's debug pages."""

import subprocess
from pathlib import Path

import pytest
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parents[2]


def recipe(target: str) -> str:
    return subprocess.run(
        ["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout


def test_make_run_turns_debug_off_and_make_dev_on():
    run, dev = recipe("run"), recipe("dev")
    assert "export DEBUG=0" in run and "collectstatic" in run and "SECRET_KEY" in run
    assert "export DEBUG=1" in dev and "DEBUG=0" not in dev
    assert "exec tools/run.sh" in run and "exec tools/run.sh" in dev


@pytest.mark.django_db
@override_settings(DEBUG=False)
@pytest.mark.parametrize("language, text", [("ja", "ページが見つかりません"), ("en", "Page not found")])
def test_a_wrong_address_shows_the_apps_page_in_the_users_language(login, supervisor, language, text):
    client = login(supervisor)
    client.cookies["django_language"] = language
    response = client.get("/contacts/customers/999999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert text in page and "Callcenter" in page
    assert "Traceback" not in page and "URLconf" not in page and "Django" not in page


@pytest.mark.django_db
def test_a_server_error_shows_the_apps_page_in_both_languages(reference_data):
    from django.urls import path

    def boom(request):
        raise RuntimeError("kaboom")

    urls = type("urls", (), {"urlpatterns": [path("boom/", boom)], "handler500": None})
    client = Client(raise_request_exception=False)
    with override_settings(ROOT_URLCONF=urls, DEBUG=False):
        response = client.get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "エラーが発生しました" in page and "Something went wrong" in page
    assert "kaboom" not in page and "Traceback" not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, title", [("ja", "<title>顧客 | Callcenter</title>"), ("en", "<title>Customers | Callcenter</title>")]
)
def test_page_titles_read_page_then_product(login, supervisor, language, title):
    client = login(supervisor)
    client.cookies["django_language"] = language
    assert title in client.get("/contacts/customers/").content.decode()


def test_a_page_without_a_title_reads_the_product_name():
    from callcenter.templatetags.callcenter_tags import page_title

    assert page_title("  ") == "Callcenter"
    assert page_title("\n 顧客 \n") == "顧客 | Callcenter"

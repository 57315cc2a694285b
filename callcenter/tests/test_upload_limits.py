"""Every upload has a size limit, said in the user's language, and a refused file loses nothing:
the page is shown again with its other forms, nothing of the file is recorded. A request body
larger than any upload may be is refused before anything reads it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import PreNotice
from campaigns.tests.factories import CampaignFactory
from contacts.models import ImportJob
from contacts.tests.factories import CustomerFactory
from contacts.tests.factories_imports import csv_file

pytestmark = pytest.mark.django_db

PRENOTICES = b"external_id,sent_on,channel\n" + b"K001,2030-01-10,dm\n" * 20


@pytest.mark.parametrize(
    "language, message",
    [("en", "The file is too large; the limit is 0 MB"), ("ja", "ファイルが大きすぎます。上限は 0 MB です。")],
)
def test_a_prenotice_csv_over_the_limit_is_refused_and_nothing_is_recorded(
    login, supervisor, settings, language, message
):
    settings.PRENOTICE_MAX_BYTES = len(PRENOTICES) - 1
    campaign = CampaignFactory()
    CustomerFactory(external_id="K001")
    client = login(supervisor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    url = reverse("campaigns:prenotice_list", args=[campaign.pk])
    response = client.post(url, {"csv-file": SimpleUploadedFile("notices.csv", PRENOTICES)})
    assert response.status_code == 200
    assert message in response.context["upload"].errors["file"][0]
    assert 'data-testid="prenotice-import"' in response.content.decode()
    assert not PreNotice.objects.exists()

    settings.PRENOTICE_MAX_BYTES = len(PRENOTICES)
    client.post(url, {"csv-file": SimpleUploadedFile("notices.csv", PRENOTICES)})
    assert PreNotice.objects.count() == 1


def test_a_customer_import_over_the_limit_is_refused(login, supervisor, settings):
    upload = csv_file()
    settings.IMPORT_MAX_BYTES = upload.size - 1
    client = login(supervisor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    response = client.post(reverse("contacts:import_list"), {"file": upload, "kind": "customers"})
    assert response.status_code == 200
    assert "ファイルが大きすぎます" in response.context["form"].errors["file"][0]
    assert not ImportJob.objects.exists()


def test_a_script_file_over_one_megabyte_is_refused(login, supervisor):
    big = SimpleUploadedFile("script.json", b'{"name": "' + b"x" * (1024 * 1024) + b'"}')
    response = login(supervisor).post(reverse("scripts:script_import"), {"file": big})
    assert response.status_code == 200
    assert "ファイルが1MBを超えています。" in response.context["form"].errors["__all__"]


@pytest.mark.parametrize("language, message", [("en", "The request is too large"), ("ja", "リクエストが大きすぎます")])
def test_a_request_body_over_the_limit_is_refused_before_it_is_read(client, settings, language, message):
    settings.REQUEST_MAX_BYTES = 1000

    def body():
        return {"username": "someone", "password": "x", "file": SimpleUploadedFile("big.bin", b"x" * 2000)}

    response = client.post(reverse("login"), body(), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 413
    assert message in response.content.decode()
    api = client.post("/api/v1/auth/token/", body(), HTTP_ACCEPT_LANGUAGE=language)
    assert api.status_code == 413 and message in api.json()["detail"]


def test_a_request_body_under_the_limit_goes_through(client, settings):
    settings.REQUEST_MAX_BYTES = 10_000
    body = {"username": "someone", "password": "x", "file": SimpleUploadedFile("small.bin", b"x" * 2000)}
    assert client.post(reverse("login"), body).status_code == 200  # the login form, with its error

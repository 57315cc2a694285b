"""The customer's "no workplace calls" flag (貸金業法 Art. 21) and the workplace phone kind, in
imports, the API and the customer page; dispatch honours them (campaigns tests)."""

import pytest
from django.urls import reverse
from django.utils import translation

from contacts.models import Customer, ImportJob, PhoneNumber
from contacts.tests.factories import CustomerFactory, PhoneNumberFactory
from contacts.tests.factories_imports import csv_file, run_import

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def test_an_import_sets_the_flag_and_the_workplace_number(supervisor):
    rows = [
        ["顧客ID", "氏名", "携帯電話", "勤務先電話番号", "勤務先架電不可"],
        ["W-1", "山田 太郎", "090-1111-2222", "03-1234-5678", "はい"],
        ["W-2", "佐藤 花子", "090-3333-4444", "", "0"],
        ["W-3", "鈴木 一郎", "090-5555-6666", "", "たぶん"],
    ]
    with translation.override("en"):
        job = run_import(supervisor, csv_file(rows))
    assert job.status == ImportJob.Status.DONE
    first = Customer.objects.get(external_id="W-1")
    assert first.no_workplace_calls is True
    assert first.phones.get(kind=PhoneNumber.Kind.WORK).number == "+81312345678"
    assert Customer.objects.get(external_id="W-2").no_workplace_calls is False
    assert job.failed_count == 1
    assert "yes or no" in job.row_errors.get().message


def test_the_api_reads_and_writes_the_flag(supervisor, api_as):
    customer = CustomerFactory()
    client = api_as(supervisor)
    assert client.get(f"/api/v1/customers/{customer.pk}/").json()["no_workplace_calls"] is False
    changed = client.patch(f"/api/v1/customers/{customer.pk}/", {"no_workplace_calls": True}, format="json")
    assert changed.status_code == 200, changed.json()
    customer.refresh_from_db()
    assert customer.no_workplace_calls is True


def test_the_customer_page_shows_the_flag_and_the_workplace_kind(supervisor, login):
    customer = CustomerFactory(phone=False, no_workplace_calls=True)
    PhoneNumberFactory(customer=customer, kind=PhoneNumber.Kind.WORK)
    page = login(supervisor).get(reverse("contacts:customer_detail", args=[customer.pk])).content.decode()
    assert 'data-testid="no-workplace-calls"' in page and "勤務先" in page

"""CSV export: Excel-friendly (UTF-8 with BOM), safe against formula injection, audited,
supervisors and managers only."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation

from callcenter.models import AuditEvent
from contacts.services.dnc import register_dnc
from contacts.services.exports import neutralize
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
EXPORT = reverse("contacts:customer_export")


def download(client, **params):
    response = client.get(EXPORT, params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    raw = b"".join(response.streaming_content)
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.mark.parametrize("role", ["supervisor", "manager"])
def test_export_is_utf8_with_bom_and_only_the_filtered_rows(request, login, role):
    user = request.getfixturevalue(role)
    CustomerFactory(external_id="T1", name="東京 花子", prefecture="東京都", phone="090-1234-5678")
    CustomerFactory(external_id="O1", name="大阪 太郎", prefecture="大阪府")
    with translation.override("ja"):
        raw, rows = download(login(user), prefecture="東京都")
        expected_header = [
            translation.gettext("customer ID"),
            translation.gettext("name"),
            translation.gettext("name (kana)"),
        ]
        phone_column = translation.gettext("primary phone")
    assert raw.startswith(b"\xef\xbb\xbf"), "BOM first, so Excel reads UTF-8"
    header = rows[0]
    assert header[:3] == expected_header and header[0] == "顧客ID", "headers in the user's language"
    assert [row[0] for row in rows[1:]] == ["T1"]
    assert rows[1][1] == "東京 花子"
    assert rows[1][header.index(phone_column)] == "090-1234-5678"


def test_cells_that_a_spreadsheet_would_run_are_neutralized(login, supervisor):
    CustomerFactory(
        external_id="=1+1",
        name='=HYPERLINK("http://evil.example","クリック")',
        name_kana="+SUM(A1)",
        tags=["@cmd", "-2+3"],
        attributes={"note": "=x"},
        phone="+1 212-555-0100",
    )
    _raw, rows = download(login(supervisor))
    row = dict(zip(rows[0], rows[1]))
    values = list(row.values())
    assert "'=1+1" in values
    assert '\'=HYPERLINK("http://evil.example","クリック")' in values
    assert "'+SUM(A1)" in values
    assert "'@cmd -2+3" in values
    assert "'+1 212-555-0100" in values, "a foreign number starting with + is made plain text too"
    for value in values:
        assert not value.startswith(("=", "+", "-", "@")), value


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1", "'=1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@a", "'@a"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("＝1", "'＝1"),
        ("ok", "ok"),
        ("", ""),
        (None, ""),
        (12, "12"),
        ("a=b", "a=b"),
    ],
)
def test_neutralize(value, expected):
    assert neutralize(value) == expected


def test_every_export_is_audited_with_who_when_and_filter(login, manager, supervisor):
    customer = CustomerFactory(tags=["vip"])
    register_dnc(by=supervisor, customer=customer, reason="customer_request", source="supervisor")
    _raw, rows = download(login(manager), tag="vip", q="", dnc="blocked")
    event = AuditEvent.objects.get(action="customers.export")
    assert event.actor == manager and event.created_at is not None
    assert event.data["filters"] == {"tag": "vip", "dnc": "blocked", "sort": "-id"}
    assert len(rows) == 2
    with translation.override("en"):
        assert rows[1][-1] in ("yes", "はい")


@pytest.mark.parametrize("role", ["operator", "client_viewer"])
def test_operators_and_client_viewers_cannot_export(request, login, role):
    response = login(request.getfixturevalue(role)).get(EXPORT)
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="customers.export").exists()


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(EXPORT)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "language, churn, product", [("en", "Churn score", "Favourite product"), ("ja", "解約スコア", "お気に入り商品")]
)
def test_each_attribute_key_of_the_exported_customers_gets_its_own_labelled_column(
    login, supervisor, language, churn, product
):
    CustomerFactory(
        external_id="A1",
        prefecture="東京都",
        attributes={"churn_score": 0.82, "favourite_product": "青汁", "会員ランク": "ゴールド", "flag": True},
    )
    CustomerFactory(external_id="A2", prefecture="東京都", attributes={"churn_score": 0.1, "email": "x"})
    CustomerFactory(external_id="O1", prefecture="大阪府", attributes={"only_in_osaka": 1})
    client = login(supervisor)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    _raw, rows = download(client, prefecture="東京都")
    with translation.override(language):
        email_column = translation.gettext("email")
        # The key "email" is also the header of the e-mail column in English: it says it is the attribute.
        attribute_of_email = (
            translation.gettext("%(label)s (attribute)") % {"label": "email"} if email_column == "email" else "email"
        )
        attributes_column, tags_column = translation.gettext("attributes"), translation.gettext("tags")
    header = rows[0]
    # Sorted by key, where the one JSON column was; a key no exported customer has gets no column.
    tags_at = header.index(tags_column)
    assert header[tags_at + 1 : tags_at + 6] == [churn, attribute_of_email, product, "flag", "会員ランク"]
    assert "only_in_osaka" not in header and attributes_column not in header
    by_id = {row[0]: dict(zip(header, row)) for row in rows[1:]}
    assert set(by_id) == {"A1", "A2"}
    assert (by_id["A1"][churn], by_id["A1"][product], by_id["A1"]["会員ランク"], by_id["A1"]["flag"]) == (
        "0.82",
        "青汁",
        "ゴールド",
        "true",
    )
    assert (by_id["A2"][churn], by_id["A2"][product], by_id["A2"][attribute_of_email]) == ("0.1", "", "x")
    assert by_id["A2"][email_column] != "x"  # the customer's e-mail column stays the e-mail


def test_an_export_without_attributes_has_no_attribute_column(login, supervisor):
    CustomerFactory(external_id="N1", attributes={})
    client = login(supervisor)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    _raw, rows = download(client)
    assert rows[0][rows[0].index("tags") + 1] == "last contact"
    assert rows[1][0] == "N1"

"""Placeholders render whitelisted values, escaped; anything else is a visible marker."""

import datetime

import pytest
from django.utils import timezone, translation

from contacts.tests.factories import CustomerFactory
from scripts.placeholders import PlaceholderContext, render_outline, render_text, unknown_placeholders


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_customer_name_is_escaped(db):
    customer = CustomerFactory(name="<script>alert(1)</script>")
    html = render_text("こんにちは{{ customer.name }}様", PlaceholderContext(customer=customer))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_script_text_itself_is_escaped_and_never_a_template(db):
    html = render_text('<b onclick="x()">{% load static %}{# c #}</b>\n2行目', PlaceholderContext())
    assert "<b " not in html and "</b>" not in html and "&lt;b onclick=" in html
    assert "{% load static %}" in html  # shown as text, never executed
    assert "<br>2行目" in html


def test_secret_key_placeholder_shows_marker_and_leaks_nothing(db, settings):
    settings.SECRET_KEY = "do-not-leak-this-secret-0123456789"
    html = render_text("鍵: {{ settings.SECRET_KEY }} / {{customer.__class__}} / {{ x|upper }}", PlaceholderContext())
    assert "do-not-leak-this-secret" not in html
    assert "⟦unknown: settings.SECRET_KEY⟧" in html
    assert "⟦unknown: customer.__class__⟧" in html
    assert "⟦unknown: x|upper⟧" in html


def test_unknown_marker_content_is_escaped_and_shortened():
    html = render_text("{{ <img src=x onerror=alert(1)> }}{{ " + "a" * 100 + " }}", PlaceholderContext())
    assert "<img" not in html and "&lt;img" in html
    assert "a" * 100 not in html and "…" in html


def test_whitelisted_values(db, operator):
    last_purchase = timezone.make_aware(datetime.datetime(2025, 3, 14, 23, 30))
    customer = CustomerFactory(name="山田 花子", last_purchase_at=last_purchase, purchase_count=1234, total_spent=98765)

    class Campaign:
        name = "春の<キャンペーン>"

    context = PlaceholderContext(customer=customer, campaign=Campaign(), operator=operator)
    text = (
        "{{customer.name}}|{{ customer.last_purchase_at }}|{{ customer.purchase_count }}|{{ customer.total_spent }}"
        "|{{ campaign.name }}|{{ operator.name }}|{{ operator.last_name }}"
    )
    html = render_text(text, context)
    assert "山田 花子" in html
    assert "March 14, 2025" in html
    assert "1,234" in html and "¥98,765" in html
    assert "春の&lt;キャンペーン&gt;" in html
    assert "鈴木 一郎" in html and ">鈴木<" in html


def test_japanese_date_format(db):
    customer = CustomerFactory(last_purchase_at=timezone.make_aware(datetime.datetime(2025, 3, 14, 10, 0)))
    with translation.override("ja"):
        html = render_text("{{ customer.last_purchase_at }}", PlaceholderContext(customer=customer))
    assert "2025年3月14日" in html


def test_missing_values_show_a_marker_not_none(db):
    customer = CustomerFactory(last_purchase_at=None)
    html = render_text("{{ customer.last_purchase_at }} {{ campaign.name }}", PlaceholderContext(customer=customer))
    assert "None" not in html
    assert html.count("ph-missing") == 2


def test_odd_input_renders_as_text_or_a_marker(db):
    unknown_empty = '<mark class="ph ph-unknown">⟦unknown: ⟧</mark>'
    expected = {
        "": "",
        None: "",
        "{{": "{{",
        "}}": "}}",
        "{{}}": unknown_empty,
        "{{ }}": unknown_empty,
        "{{{{ customer.name }}}}": '<mark class="ph ph-unknown">⟦unknown: {{ customer.name⟧</mark>}}',
        "{{\n customer.name \n}}": '<mark class="ph ph-missing" title="customer.name">⟦no data: Customer name⟧</mark>',
    }
    assert {text: render_text(text, PlaceholderContext()) for text in expected} == expected


def test_unknown_placeholders_and_outline():
    assert unknown_placeholders("{{ customer.name }} {{ settings.SECRET_KEY }} {{ foo }}") == [
        "settings.SECRET_KEY",
        "foo",
    ]
    outline = render_outline("<i>{{ customer.name }}</i> {{ nope }}")
    assert "&lt;i&gt;" in outline and "ph-known" in outline and "ph-unknown" in outline

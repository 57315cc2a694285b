"""Segment pages: save, rename, duplicate, delete, live count (htmx) with clear errors."""

import html
import json

import pytest
from django.urls import reverse
from django.utils import translation

from contacts.models import Segment
from contacts.tests.factories import CustomerFactory, SegmentFactory

pytestmark = pytest.mark.django_db
CRITERIA = {"match": "all", "rules": [{"field": "subscription_status", "op": "eq", "value": "active"}]}


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English (the default language is Japanese) so messages can be asserted."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def sv(login, supervisor):
    return login(supervisor)


def test_create_validates_and_saves(sv, supervisor):
    url = reverse("contacts:segment_create")
    bad = {"match": "all", "rules": [{"field": "age", "op": "between", "value": [60, 20]}]}
    response = sv.post(url, {"name": "シニア", "criteria": json.dumps(bad)})
    assert response.status_code == 200 and not Segment.objects.exists()
    assert "the low value 60 is above the high value 20" in html.unescape(response.content.decode())
    assert "シニア" in html.unescape(response.content.decode()), "what was typed is kept"
    response = sv.post(url, {"name": "定期購入中", "description": "解約防止", "criteria": json.dumps(CRITERIA)})
    assert response.status_code == 302
    segment = Segment.objects.get()
    assert segment.criteria == CRITERIA and segment.created_by == supervisor
    assert sv.post(url, {"name": "定期購入中", "criteria": json.dumps(CRITERIA)}).status_code == 200
    assert Segment.objects.count() == 1
    assert sv.post(url, {"name": "x", "criteria": "{not json"}).status_code == 200


def test_edit_renames_and_changes_rules(sv):
    segment = SegmentFactory(name="旧名", criteria=CRITERIA)
    new = {"match": "any", "rules": [{"field": "tag", "op": "eq", "value": "vip"}]}
    response = sv.post(
        reverse("contacts:segment_edit", args=[segment.pk]), {"name": "新名", "criteria": json.dumps(new)}
    )
    assert response.status_code == 302
    segment.refresh_from_db()
    assert segment.name == "新名" and segment.criteria == new


def test_duplicate_and_delete(sv):
    segment = SegmentFactory(name="高額購入者", criteria=CRITERIA)
    sv.post(reverse("contacts:segment_duplicate", args=[segment.pk]))
    sv.post(reverse("contacts:segment_duplicate", args=[segment.pk]))
    names = set(Segment.objects.values_list("name", flat=True))
    assert names == {"高額購入者", "高額購入者 (copy)", "高額購入者 (copy 2)"}
    response = sv.post(reverse("contacts:segment_delete", args=[segment.pk]), follow=True)
    assert not Segment.objects.filter(pk=segment.pk).exists()
    response = sv.post(reverse("contacts:segment_delete", args=[segment.pk]), follow=True)
    assert response.status_code == 200 and "already deleted" in html.unescape(response.content.decode())


def test_live_count_and_errors(sv):
    CustomerFactory(subscription_status="active")
    CustomerFactory(subscription_status="")
    url = reverse("contacts:segment_preview")
    response = sv.post(url, {"criteria": json.dumps(CRITERIA)})
    assert response.context["count"] == 1
    assert 'data-count="1"' in html.unescape(response.content.decode())
    response = sv.post(url, {"criteria": json.dumps({"rules": [{"field": "shoe_size", "op": "eq", "value": 1}]})})
    assert 'unknown field "shoe_size"' in html.unescape(response.content.decode())
    assert "rule 1" in html.unescape(response.content.decode())
    assert sv.post(url, {"criteria": "]["}).status_code == 200


def test_saved_segment_count_badge_links_to_its_customers(sv):
    CustomerFactory(subscription_status="active")
    segment = SegmentFactory(criteria=CRITERIA)
    body = sv.get(reverse("contacts:segment_count", args=[segment.pk])).content.decode()
    assert ">1<" in body and f"?segment={segment.pk}" in body
    listing = html.unescape(sv.get(reverse("contacts:segment_list")).content.decode())
    assert segment.name in listing and "Subscription is Active" in listing


def test_builder_suggests_the_outcomes_and_reactions_campaigns_registers(sv, reference_data):
    """Outcomes belong to campaigns (above contacts): the builder asks callcenter.call_outcomes. A
    retired outcome is still offered, since customers' last calls carry it."""
    from campaigns.models import Disposition

    Disposition.objects.filter(code="busy").update(active=False)
    page = sv.get(reverse("contacts:segment_create")).content.decode()
    schema = json.loads(
        html.unescape(page.split('id="segment-schema" type="application/json">')[1].split("</script>")[0])
    )
    outcomes = dict(schema["suggestions"]["last_disposition"])
    assert outcomes["no_answer"] == "No answer" and outcomes["busy"] == "Busy"
    assert dict(schema["suggestions"]["last_reaction"])["interested"] == "Interested"

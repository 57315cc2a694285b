"""The talk-script panel of the operator console (campaigns:console_walk): the scripts app's walk-through
for the call the operator holds, through the Django test client."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CallListEntry
from campaigns.tests.factories import CallListEntryFactory, CampaignFactory
from contacts.tests.factories import CustomerFactory
from scripts.models import Step
from scripts.tests.factories import branching_script


@pytest.fixture
def held_entry(operator, reference_data):
    version = branching_script()
    campaign = CampaignFactory(script=version.script)
    return CallListEntryFactory(
        call_list__campaign=campaign,
        status=CallListEntry.Status.HELD,
        held_by=operator,
        held_until=timezone.now() + datetime.timedelta(minutes=10),
        customer=CustomerFactory(name="山田 太郎"),
    )


def test_walk_panel_for_the_entry_the_operator_holds(login, operator, held_entry):
    url = reverse("campaigns:console_walk", args=[held_entry.pk])
    response = login(operator).get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = response.content.decode()
    version = held_entry.campaign.script.latest_published()
    assert f'name="script_version" value="{version.pk}" form="outcome-form"' in page
    assert 'name="answers" value="{}" form="outcome-form"' in page
    assert "山田 太郎" in page and "data-walk-disclosure" in page
    assert "<html" not in page  # a partial for htmx
    assert "<html" in login(operator).get(url).content.decode()  # opened directly: a full page


def test_walk_panel_refuses_what_the_operator_does_not_hold(login, operator, operator2, supervisor, held_entry):
    url = reverse("campaigns:console_walk", args=[held_entry.pk])
    assert login(operator2).get(url, HTTP_HX_REQUEST="true").status_code == 409
    assert login(supervisor).get(url, HTTP_HX_REQUEST="true").status_code == 403
    CallListEntry.objects.filter(pk=held_entry.pk).update(status=CallListEntry.Status.DONE, held_until=None)
    assert login(operator).get(url, HTTP_HX_REQUEST="true").status_code == 409
    # An unknown id gets the same answer as somebody else's entry.
    assert login(operator).get(reverse("campaigns:console_walk", args=[999999])).status_code == 409


def test_walk_panel_without_a_published_script(login, operator, reference_data):
    entry = CallListEntryFactory(
        status=CallListEntry.Status.HELD, held_by=operator, held_until=timezone.now() + datetime.timedelta(minutes=5)
    )
    response = login(operator).get(reverse("campaigns:console_walk", args=[entry.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'name="script_version" value="" form="outcome-form"' in response.content.decode()


def test_step_kinds_render_their_inputs(login, operator, held_entry):
    page = (
        login(operator)
        .get(reverse("campaigns:console_walk", args=[held_entry.pk]), HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert 'type="radio" name="walk-interest" value="yes"' in page
    assert 'type="number" step="any" inputmode="decimal" name="walk-budget"' in page
    assert 'type="date" name="walk-visit"' in page
    assert 'data-walk-suggest="success"' in page
    assert Step.objects.filter(version__script=held_entry.campaign.script, kind="branch").exists()

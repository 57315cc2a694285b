"""Every page answers odd query strings (a hand-edited URL, a stale bookmark, a scanner) with a
page or a 4xx, never a server error: page numbers that are not numbers, unknown sort keys and
statuses, impossible dates, NUL characters, ids of nothing."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

ODD = {
    "page": "abc",
    "sort": "'; --",
    "q": "%_山田\\",
    "status": "zzz",
    "purpose": "zzz",
    "from": "2026-13-45",
    "to": "0000-00-00",
    "date_from": "x",
    "date_to": "9999-99-99",
    "campaign": "abc",
    "operator": "-1",
    "call_list": "1e9",
    "segment": "abc",
    "group": "nonsense",
    "kind": "zzz",
    "active": "maybe",
    "empty": "1",
    "preset": "nonsense",
    "day": "yesterday",
    "compare": "maybe",
    "tag": "x" * 300,
    "prefecture": "火星",
    "dnc": "x",
    "gender": "x",
    "subscription": "x",
    "action": "nonsense",
    "actor": "abc",
    "per_page": "-5",
    "version": "abc",
    "script": "abc",
    "list": "abc",
    "id": "99999999999999999999",
}
HUGE = {key: "99999999999999999999" for key in ODD}  # ids and numbers past bigint


def page_routes(resolver=None, prefix=""):
    """The route of every page (the admin, the API and the language switch left out)."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if not route.startswith(("admin/", "api/", "i18n/")):
                yield from page_routes(pattern, prefix + route)
        elif isinstance(pattern, URLPattern):
            yield prefix + route


def argless_page_paths():
    for route in page_routes():
        if "<" not in route and "(?P" not in route:
            yield "/" + route.lstrip("^").rstrip("$").replace("\\", "")


@pytest.mark.parametrize("role", ["supervisor", "manager", "operator", "client_viewer"])
def test_no_page_fails_on_odd_query_strings(role, login, request):
    client = login(request.getfixturevalue(role))
    paths = sorted(set(argless_page_paths()))
    assert "/campaigns/console/" in paths and "/contacts/customers/" in paths
    failures = {}
    for path in paths:
        if path in ("/accounts/logout/", "/healthz"):  # healthz answers 503 by design when a part is down
            continue
        for params in (ODD, HUGE, {"q": "a\x00b"}):
            response = client.get(path, params)
            if response.status_code >= 500:
                failures[f"{path} {params}"] = response.status_code
    assert failures == {}


def pages_with_arguments():
    """The paths of the pages that name a row, every argument an id of nothing or a word."""
    for route in page_routes():
        if "<" in route:
            path = re.sub(r"<int:\w+>", "987654321", route)
            yield "/" + re.sub(r"<(?:str|slug):\w+>", "nothing", path)


@pytest.mark.parametrize("role", ["supervisor", "operator"])
def test_pages_of_things_that_do_not_exist_are_not_server_errors(role, login, request):
    """GET and POST (as a double click after someone deleted the row would) of every page that
    names a row, for a row that does not exist: 404 (or 403/405/302), never 500."""
    client = login(request.getfixturevalue(role))
    paths = sorted(set(pages_with_arguments()))
    assert "/campaigns/manage/987654321/" in paths
    failures = {}
    for path in paths:
        for method in (client.get, client.post):
            response = method(path)
            if response.status_code >= 500:
                failures[f"{method.__name__} {path}"] = response.status_code
    assert failures == {}


def test_pages_of_real_rows_answer_odd_query_strings(login, supervisor, operator):
    """The pages of a campaign, list, customer, script, segment and KPI export with the odd query
    strings above."""
    from campaigns.tests.factories import CallingPolicyFactory, CallListEntryFactory, CallListFactory, CampaignFactory
    from contacts.tests.factories import CustomerFactory, DoNotCallFactory, SegmentFactory
    from scripts.tests.factories import branching_script

    version = branching_script(by=supervisor)
    campaign = CampaignFactory(policy=CallingPolicyFactory(), script=version.script)
    call_list = CallListFactory(campaign=campaign)
    customer = CustomerFactory()
    CallListEntryFactory(call_list=call_list, customer=customer)
    segment = SegmentFactory()
    dnc = DoNotCallFactory()
    paths = [
        f"/campaigns/manage/{campaign.pk}/",
        f"/campaigns/manage/{campaign.pk}/edit/",
        f"/campaigns/manage/{campaign.pk}/prenotices/",
        f"/campaigns/manage/{campaign.pk}/lists/new/",
        f"/campaigns/lists/{call_list.pk}/",
        f"/campaigns/lists/{call_list.pk}/progress/",
        f"/campaigns/lists/{call_list.pk}/export.csv",
        f"/campaigns/{campaign.pk}/survey-results/",
        f"/campaigns/{campaign.pk}/survey-results.csv",
        f"/contacts/customers/{customer.pk}/",
        f"/contacts/segments/{segment.pk}/",
        f"/contacts/segments/{segment.pk}/count/",
        f"/contacts/dnc/{dnc.pk}/",
        f"/scripts/{version.script_id}/",
        f"/scripts/versions/{version.pk}/",
        f"/scripts/versions/{version.pk}/preview/",
        f"/scripts/versions/{version.pk}/export/",
        f"/scripts/{version.script_id}/rebuttals/",
        "/campaigns/kpis/day.csv",
        "/campaigns/kpis/operator.csv",
        "/campaigns/kpis/weekday_hour.csv",
        "/campaigns/dashboard/",
        "/campaigns/script-reports/versions/",
        "/campaigns/wallboard/panel/",
    ]
    failures = {}
    assert login(supervisor).get("/campaigns/kpis/day.csv").status_code == 200  # the paths are real
    for user in (supervisor, operator):
        client = login(user)
        for path in paths:
            for params in (ODD, HUGE):
                response = client.get(path, params)
                if response.status_code >= 500:
                    failures[f"{user.username} {path} {params is HUGE}"] = response.status_code
    assert failures == {}

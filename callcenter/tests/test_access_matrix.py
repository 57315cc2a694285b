"""The access matrix: every URL of the project (pages and API, from the URL resolver) × every role
× an object that belongs to someone else.

A world is planted: a customer with a recognisable name, kana, number and notes, called in a
campaign that neither the operator under test works (another operator holds its entry) nor the
client viewer under test is assigned to, with a list, an attempt, a do-not-call entry, a segment,
an import with an error row, a talk script with a variant, and so on. Every URL is requested
(GET, then POST, and PATCH for the API) with every argument pointing at the planted objects.

- `ACCESS` says, for each URL name, which roles may use it. A role outside that set gets a
  refusal (the login page, 401, 403, 404, 405 or 409); a role inside gets no server error.
  A URL missing from `ACCESS` fails the test until it is classified.
- No refused response carries the planted customer's name or number.
- The operator, the client viewer and the salesperson never see the planted customer at all,
  whatever the answer (the customer's appointment is another salesperson's; the client viewer
  never sees the planted campaign's name).
"""

import datetime as dt
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

pytestmark = pytest.mark.django_db

NAME = "漏洩 禁子"
KANA = "ロウエイ キンコ"
NUMBER = "+819055501234"
NUMBER_SHOWN = ["+819055501234", "090-5550-1234", "09055501234"]
NOTES = "金庫の暗証番号は1234"
CAMPAIGN_NAME = "極秘キャンペーン"
CUSTOMER_DATA = [NAME, KANA, NOTES, *NUMBER_SHOWN]

ROLES = ["anonymous", "operator", "supervisor", "manager", "client_viewer", "sales", "admin"]
EVERYONE = set(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
# Superusers hold every permission and are allowed everywhere (see the test); these are the roles.
STAFF = {"supervisor"}  # manages lists, campaigns, scripts, the registry
BACK_OFFICE = {"supervisor", "manager"}  # read customers, KPIs, audit; export

# Which roles may use each URL (its permission check passes). The object-level rules inside
# (an operator's held entry, a client viewer's campaigns) are what the data assertions test.
ACCESS = {
    # ---- sign-in, navigation, health, schema
    "": EVERYONE,  # the API's catch-all (JSON 404 / trailing-slash redirect)
    "home": SIGNED_IN,
    "login": EVERYONE,
    "logout": EVERYONE,
    "password_change": SIGNED_IN,
    "password_change_done": SIGNED_IN,
    "two_factor_verify": SIGNED_IN,
    "two_factor_setup": SIGNED_IN,
    "api_tokens": SIGNED_IN,  # one's own tokens only
    "api_token_revoke": SIGNED_IN,  # one's own token only: another's is a 404
    "sign_out_everywhere": SIGNED_IN,
    "healthz": EVERYONE,
    "set_language": EVERYONE,
    "api_docs": EVERYONE,
    "api_schema": EVERYONE,
    "api_token": EVERYONE,
    "api_me": SIGNED_IN,
    "no_role": SIGNED_IN,
    "audit_list": BACK_OFFICE,
    "audit_export": BACK_OFFICE,
    "admin": {"admin"},
    # ---- customers, do-not-call, segments, imports
    "contacts:customer_list": BACK_OFFICE,
    "contacts:customer_detail": BACK_OFFICE,
    "contacts:customer_export": BACK_OFFICE,
    "contacts:dnc_list": BACK_OFFICE,
    "contacts:dnc_detail": BACK_OFFICE,
    "contacts:dnc_revoke": STAFF,
    "contacts:dnc_audit": BACK_OFFICE,
    "contacts:dnc_create": STAFF,
    "contacts:dnc_export": BACK_OFFICE,
    "contacts:import_list": STAFF,
    "contacts:import_detail": STAFF,
    "contacts:import_errors_csv": STAFF,
    "contacts:import_progress": STAFF,
    "contacts:import_mapping": STAFF,
    "contacts:segment_list": BACK_OFFICE,
    "contacts:segment_edit": BACK_OFFICE,
    "contacts:segment_count": BACK_OFFICE,
    "contacts:segment_delete": STAFF,
    "contacts:segment_duplicate": STAFF,
    "contacts:segment_create": STAFF,
    "contacts:segment_preview": BACK_OFFICE,
    "customer-list": BACK_OFFICE,
    "customer-detail": BACK_OFFICE,
    "customer-erase": STAFF,
    "contacts:customer_erase": STAFF,
    "dnc-list": BACK_OFFICE | {"operator"},
    "dnc-detail": BACK_OFFICE,
    "dnc-revoke": STAFF,
    "dnc-check": BACK_OFFICE | {"operator"},
    "segment-list": BACK_OFFICE,
    "segment-detail": BACK_OFFICE,
    "segment-count": BACK_OFFICE,
    "segment-preview": BACK_OFFICE,
    "api_import_list": STAFF,
    "api_import_detail": STAFF,
    "api_import_errors_csv": STAFF,
    # ---- talk scripts
    "scripts:script_list": STAFF,
    "scripts:script_detail": STAFF,
    "scripts:script_delete": STAFF,
    "scripts:draft_start": STAFF,
    "scripts:script_edit": STAFF,
    "scripts:rebuttal_list": STAFF | {"operator"},
    "scripts:script_import": STAFF,
    "scripts:script_create": STAFF,
    "scripts:rebuttal_delete": STAFF,
    "scripts:rebuttal_edit": STAFF,
    "scripts:step_delete": STAFF,
    "scripts:step_edit": STAFF,
    "scripts:step_move": STAFF,
    "scripts:version_detail": STAFF,
    "scripts:version_discard": STAFF,
    "scripts:version_export": STAFF,
    "scripts:version_preview": STAFF,
    "scripts:version_publish": STAFF,
    "scripts:version_set_start": STAFF,
    "scripts:step_add": STAFF,
    "scripts:choice_next_step": STAFF,
    "api_script_list": BACK_OFFICE | {"operator"},
    "api_script_detail": BACK_OFFICE | {"operator"},
    "api_script_draft": STAFF,
    "api_script_export": STAFF,
    "api_script_publish": STAFF,
    "api_script_rebuttals": STAFF | {"operator"},
    "api_script_import": STAFF,
    "api_script_version": BACK_OFFICE | {"operator"},
    "api_script_check_answers": STAFF | {"operator"},
    # ---- operator work
    "campaigns:console": {"operator"},
    "campaigns:console_state": {"operator"},
    "campaigns:console_next": {"operator"},
    "campaigns:console_presence": {"operator"},
    "campaigns:console_outcome": {"operator"},
    "campaigns:console_renew": {"operator"},
    "campaigns:console_call_events": {"operator"},
    "campaigns:console_sip_credentials": {"operator"},
    "campaigns:console_walk": {"operator"},
    "campaigns:console_appointment_slots": {"operator"},  # the held call's customer only
    "campaigns:console_customer": {"operator"},  # the held call's customer only: another's is a 409
    "contacts:customer_create": STAFF,
    "contacts:customer_bulk": STAFF,
    "contacts:customer_edit": STAFF,
    "campaigns:console_board": BACK_OFFICE,
    "campaigns:console_release": STAFF,
    "campaigns:console_sign_off": STAFF,
    "api_agent_state": {"operator"},
    "api_dispatch_next": {"operator"},
    "api_dispatch_renew": {"operator"},
    "api_attempts": {"operator"},
    "api_call_events": {"operator"},
    # ---- campaigns, lists, policies, outcomes
    "campaigns:campaign_list": STAFF,
    "campaigns:campaign_detail": STAFF,
    "campaigns:campaign_edit": STAFF,
    "campaigns:campaign_create": STAFF,
    "campaigns:campaign_transition": STAFF,
    "campaigns:list_create": STAFF,
    "campaigns:prenotice_list": STAFF,
    "campaigns:debt_list": STAFF,
    "campaigns:debt_promise": STAFF,
    "campaigns:disclosure_check": STAFF,
    "api_policy_presets": BACK_OFFICE,
    "api_campaign_debts": STAFF,
    "api_debt_promise": STAFF,
    "api_campaign_disclosure": BACK_OFFICE,
    "campaigns:script_variant_add": STAFF,
    "campaigns:script_variant_delete": STAFF,
    "campaigns:script_variant_move": STAFF,
    "campaigns:list_detail": STAFF,
    "campaigns:list_export": BACK_OFFICE,
    "campaigns:list_progress": STAFF,
    "campaigns:list_recycle": STAFF,
    "campaigns:list_entry_add": STAFF,
    "campaigns:list_entry_cancel": STAFF,
    "campaigns:list_transition": STAFF,
    "campaigns:operator_list": STAFF,
    "campaigns:policy_list": STAFF,
    "campaigns:policy_edit": STAFF,
    "campaigns:policy_create": STAFF,
    "campaigns:campaign_outcomes": STAFF,
    "campaigns:disposition_list": STAFF,
    "campaigns:disposition_edit": STAFF,
    "campaigns:disposition_create": STAFF,
    "api_campaign_list": BACK_OFFICE | {"operator"},
    "api_campaign_detail": BACK_OFFICE,
    "api_campaign_activate": STAFF,
    "api_campaign_readiness": STAFF,
    "api_campaign_finish": STAFF,
    "api_campaign_pause": STAFF,
    "api_campaign_lists": BACK_OFFICE,
    "api_campaign_outcomes": BACK_OFFICE | {"operator"},  # an operator: their own campaigns' only
    "api_campaign_outcome_detail": STAFF,
    "api_script_variants": BACK_OFFICE,
    "api_script_variant_detail": STAFF,
    "api_list_detail": BACK_OFFICE,
    "api_list_close": STAFF,
    "api_list_entries": BACK_OFFICE,
    "api_list_pause": STAFF,
    "api_list_recycle": STAFF,
    "api_list_resume": STAFF,
    "api_policy_list": BACK_OFFICE,
    "api_policy_detail": BACK_OFFICE,
    "api_disposition_list": STAFF | {"operator", "manager"},
    # ---- appointments (supervisors every one, a salesperson their own; the feed is behind its secret)
    "campaigns:appointment_calendar": STAFF | {"sales"},
    "campaigns:appointment_detail": STAFF | {"sales"},
    "campaigns:appointment_status": STAFF | {"sales"},
    "campaigns:appointment_reschedule": STAFF | {"sales"},
    "campaigns:appointment_feed": EVERYONE,
    "campaigns:salesperson_list": STAFF,
    "campaigns:salesperson_create": STAFF,
    "campaigns:salesperson_edit": STAFF,
    "campaigns:salesperson_renew_feed": STAFF,
    "api_appointment_list": BACK_OFFICE | {"sales"},
    "api_appointment_detail": BACK_OFFICE | {"sales"},
    "api_appointment_slots": {"operator"},  # the held call's customer only
    # ---- KPIs and reports
    "campaigns:dashboard": BACK_OFFICE,
    "campaigns:client_kpis": {"client_viewer", "admin"},
    "campaigns:kpi_export": BACK_OFFICE | {"client_viewer"},
    "campaigns:wallboard": BACK_OFFICE,
    "campaigns:wallboard_panel": BACK_OFFICE,
    "campaigns:script_version_report": BACK_OFFICE,
    "campaigns:script_survey_results": BACK_OFFICE,
    "campaigns:script_survey_csv": BACK_OFFICE,
    "api_kpis": BACK_OFFICE | {"client_viewer", "operator"},
    "api_script_kpis": BACK_OFFICE,
    "api_survey_results": BACK_OFFICE,
    # ---- callbacks
    "campaigns:callback_list": STAFF,
    "campaigns:callback_reassign": STAFF,
    "campaigns:callback_move": STAFF,
    "api_callbacks": STAFF,
    "api_callback_reassign": STAFF,
    "api_callback_move": STAFF,
    "api_list_entry_add": STAFF,
    "api_list_entry_cancel": STAFF,
    # ---- people's accounts (supervisors; a superuser passes everywhere)
    "campaigns:user_list": STAFF,
    "campaigns:user_create": STAFF,
    "campaigns:user_import": STAFF,
    "campaigns:user_edit": STAFF,
    "campaigns:user_reset_password": STAFF,
    "campaigns:user_set_active": STAFF,
    "api_user_list": STAFF,
    "api_user_detail": STAFF,
    "campaigns:compliance_index": BACK_OFFICE | {"client_viewer"},
    "campaigns:compliance_report": BACK_OFFICE | {"client_viewer"},  # a client viewer: their campaigns only
    "campaigns:compliance_csv": BACK_OFFICE | {"client_viewer"},
    "api_compliance_report": BACK_OFFICE | {"client_viewer"},
}

# Arguments that are not ids of a planted object.
FIXED_ARGUMENTS = {
    "table": "day",
    "action": "pause",
    "direction": "up",
    "path": "nothing",
    "code": "busy",
    "status": "broken",
}
# The planted object each URL's `pk` names, by the first matching name fragment.
PK_KINDS = [
    ("api_token", "api_token"),
    ("appointment", "appointment"),
    ("salesperson", "salesperson"),
    ("user", "account"),
    ("callback", "entry"),
    ("script_variant", "campaign"),
    ("survey", "campaign"),
    ("compliance", "campaign"),
    ("debt_list", "campaign"),
    ("campaign_debts", "campaign"),
    ("disclosure", "campaign"),
    ("debt", "debt"),
    ("campaign", "campaign"),
    ("prenotice", "campaign"),
    ("list_create", "campaign"),
    ("list", "call_list"),
    ("customer", "customer"),
    ("dnc", "dnc"),
    ("segment", "segment"),
    ("import", "import_job"),
    ("rebuttal_list", "script"),
    ("rebuttal", "rebuttal"),
    ("step_add", "version"),
    ("choice_next", "choice"),
    ("step", "step"),
    ("version", "version"),
    ("check_answers", "version"),
    ("script", "script"),
    ("draft", "script"),
    ("disposition", "disposition"),
    ("policy", "policy"),
]
REFUSED = {401, 403, 404, 405, 409}
# Destructive posts last, so that they do not take the planted rows away from the others.
LAST = ("delete", "discard", "revoke", "close", "finish", "release", "sign_off", "logout")


def routes(resolver=None, prefix="", namespace=""):
    """(route, URL name) of every URL of the project; the admin as one entry."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith("admin/"):
                yield prefix + route, "admin"
                continue
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from routes(pattern, prefix + route, inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + route, namespace + (pattern.name or "")


def pk_kind(name):
    bare = name.split(":")[-1].replace("-", "_")
    for fragment, kind in PK_KINDS:
        if fragment in bare:
            return kind
    raise AssertionError(f"{name}: which planted object does its pk name? Add it to PK_KINDS.")


def concrete_path(route, name, world):
    def value(match):
        argument = match.group("name")
        if argument in FIXED_ARGUMENTS:
            return FIXED_ARGUMENTS[argument]
        if argument == "pk":
            return str(world[pk_kind(name)].pk)
        return str(world[argument].pk if hasattr(world[argument], "pk") else world[argument])

    path = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", value, route)  # the API router's regex routes
    path = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", value, path)
    path = path.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + path


@pytest.fixture
def world(reference_data, operator2, supervisor, sales):
    from callcenter.signin.tokens import issue_personal_token
    from campaigns.models import Appointment, CallAttempt, CampaignScriptVariant, Debt, Disposition
    from campaigns.tests.factories import CallingPolicyFactory, CallListEntryFactory, CallListFactory, CampaignFactory
    from campaigns.tests.factories_appointments import SalespersonFactory
    from conftest import make_user
    from contacts.models import ImportJob, ImportRowError
    from contacts.tests.factories import CustomerFactory, DoNotCallFactory, SegmentFactory
    from scripts.models import Choice
    from scripts.tests.factories import RebuttalFactory, branching_script

    customer = CustomerFactory(name=NAME, name_kana=KANA, phone=NUMBER, notes=NOTES)
    version = branching_script(by=supervisor)
    campaign = CampaignFactory(
        name=CAMPAIGN_NAME, policy=CallingPolicyFactory(), script=version.script, operators=[operator2], status="active"
    )
    other_viewer = make_user("client_other", "client_viewer")
    campaign.client_viewers.set([other_viewer])
    call_list = CallListFactory(campaign=campaign)
    segment = SegmentFactory(criteria={"match": "all", "rules": [{"field": "tag", "op": "eq", "value": "x"}]})
    now = timezone.now()
    entry = CallListEntryFactory(
        call_list=call_list,
        customer=customer,
        phone=NUMBER,
        status="held",
        held_by=operator2,
        held_until=now + dt.timedelta(minutes=10),
        held_at=now,
    )
    attempt = CallAttempt.objects.create(
        entry=entry,
        call_list=call_list,
        campaign=campaign,
        customer=customer,
        operator=operator2,
        phone=NUMBER,
        attempt_number=1,
        started_at=now - dt.timedelta(minutes=5),
        ended_at=now - dt.timedelta(minutes=4),
        disposition=Disposition.objects.get(code="no_answer"),
        notes=NOTES,
    )
    job = ImportJob.objects.create(original_name="顧客.csv", file="imports/x.csv", created_by=supervisor)
    ImportRowError.objects.create(job=job, line=2, column="電話番号", value=NUMBER, message=NAME)
    variant = CampaignScriptVariant.objects.create(campaign=campaign, segment=segment, script=version.script)
    # The planted customer's appointment is another salesperson's: the Sales user under test has a
    # calendar of their own, empty.
    other_salesperson = SalespersonFactory(name="別の営業")
    SalespersonFactory(name="自分", user=sales)
    appointment = Appointment.objects.create(
        salesperson=other_salesperson,
        customer=customer,
        campaign=campaign,
        call_list=call_list,
        attempt=attempt,
        booked_by=operator2,
        starts_at=now + dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=1, hours=1),
        notes=NOTES,
        set_at=now,
    )
    return {
        "customer": customer,
        "campaign": campaign,
        "call_list": call_list,
        "entry": entry,
        "entry_id": entry,
        "attempt": attempt,
        "dnc": DoNotCallFactory(customer=customer, phone_number=NUMBER),
        "segment": segment,
        "import_job": job,
        "token": "nothing",
        "script": version.script,
        "version": version,
        "step": version.steps.order_by("position").first(),
        "choice": Choice.objects.filter(step__version=version).first(),
        "rebuttal": RebuttalFactory(script=version.script),
        "disposition": Disposition.objects.get(code="no_answer"),
        "policy": campaign.policy,
        "debt": Debt.objects.create(campaign=campaign, customer=customer, amount_due=52000, account_reference="ACC-1"),
        "variant_pk": variant,
        "operator_id": operator2,
        "api_token": issue_personal_token(operator2)[0],
        "appointment": appointment,
        "salesperson": other_salesperson,
        "account": operator2,
    }


def signed_in_client(role, client, request):
    from callcenter.signin.testing import sign_in

    if role == "anonymous":
        return client
    fixture = {"admin": "admin_user"}.get(role, role)
    return sign_in(client, request.getfixturevalue(fixture))  # second factor included


def refused(response):
    if response.status_code in REFUSED:
        return True
    return response.status_code == 302 and "/login/" in response.get("Location", "")  # ours or the admin's


def ordered(items):
    return sorted(items, key=lambda item: (any(word in item[1] for word in LAST), item[1], item[0]))


def test_the_table_names_only_urls_that_exist():
    stale = sorted(set(ACCESS) - {name for _route, name in routes()})
    assert stale == [], "these URLs are gone: remove them from ACCESS"


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_every_url_for_every_role(role, world, client, request):
    client = signed_in_client(role, client, request)
    all_routes = list(routes())
    unclassified = sorted({name for _route, name in all_routes if name not in ACCESS})
    assert unclassified == [], "classify these URLs in ACCESS"
    secrets = CUSTOMER_DATA + ([CAMPAIGN_NAME] if role == "client_viewer" else [])
    never_sees = role in ("operator", "client_viewer", "sales")
    problems = []
    for method in ("get", "post", "patch"):
        for route, name in ordered(all_routes):
            api = route.startswith("api/v1/")
            if method == "patch" and not api:
                continue
            if name in ("logout", "sign_out_everywhere") and method != "get":
                continue  # signs the client out for the rest of the run
            path = concrete_path(route, name, world) if name != "admin" else "/admin/"
            response = (
                getattr(client, method)(path, content_type="application/json")
                if api
                else (getattr(client, method)(path))
            )
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode("utf-8", "replace")
            may_use = role == "admin" or role in ACCESS[name]  # a superuser holds every permission
            if response.status_code >= 500 and not (name == "healthz" and response.status_code == 503):
                # (/healthz answers 503 by design when a part is down: no Celery worker runs here)
                problems.append(f"{method.upper()} {path}: {response.status_code}")
            elif not may_use and not refused(response):
                problems.append(f"{method.upper()} {path}: {response.status_code}, expected a refusal")
            if refused(response) or never_sees:
                leaked = [secret for secret in secrets if secret in text]
                if leaked:
                    problems.append(f"{method.upper()} {path}: {response.status_code} carries {leaked}")
    assert not problems, "\n".join(problems)

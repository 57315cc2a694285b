"""The OpenAPI schema tells the truth: Schemathesis generates requests from the schema the app
serves (/api/schema/), sends them to the app in process (WSGI) as each role, and checks every
answer: never a 5xx, a status code the schema documents, the documented content type and
headers, a body that matches the documented schema, a 401 without credentials.

The supervisor, who may do the most, gets every phase: the schema's examples, the coverage phase
(boundary values, each parameter and field missing or of the wrong type, undocumented methods)
and random requests. The other roles get random requests only, which bounds the run: their
answers are mostly refusals, of the same shapes.

Two checks are left out on purpose: that every schema-valid request is accepted (rules between
fields, unique names, known ids and the like cannot be said in JSON Schema: they are 400s or 409s
the schema documents), and that every schema-invalid one is refused (DRF accepts "5" for 5 and 5
for "5", as API clients expect).

The demo data is seeded once for the module (ids counted from 1 again, so generated ids find
objects) and committed; each test (an operation, as a role) runs in a transaction rolled back at
its end, like the other API tests, so every operation starts from the same data and a failure
replays alone (-k). The tables are emptied afterwards, as a transactional test does.

Deselect with `-m "not fuzz"`; FUZZ_EXAMPLES sets the random requests per operation and role."""

import io
import os
import time

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, settings
from schemathesis import checks

from callcenter.wsgi import application

# django_db also tells pytest-django to set up the test database: without a test that asks for
# it, the connection would still name the real one (see the check in `tokens`).
pytestmark = [pytest.mark.fuzz, pytest.mark.slow, pytest.mark.django_db]

USERS = {"supervisor": "supervisor", "operator": "operator1", "manager": "manager", "client_viewer": "client"}
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
SCHEMA_PATH = "/api/schema/?format=json"
EXCLUDED_CHECKS = [checks.positive_data_acceptance, checks.negative_data_rejection]
HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same requests on every run: a failure in CI is one you can replay
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _reference_data():
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    from callcenter.roles import sync_role_groups
    from campaigns.dispositions import ensure_default_dispositions
    from campaigns.services.policies import ensure_preset_policies

    sync_role_groups(Group, Permission, ContentType)
    ensure_default_dispositions()
    ensure_preset_policies()


@pytest.fixture(scope="module")
def tokens(request, django_db_setup, django_db_blocker):
    """The demo world, committed; the API token of each role's demo user. Says at the end how
    many requests the app answered and how long they took."""
    from django.contrib.auth import get_user_model

    from callcenter.signin.tokens import issue_personal_token

    answered = []

    def count(**kwargs):
        answered.append(1)

    if not connection.settings_dict["NAME"].startswith("test_"):
        pytest.fail(f"not a test database, not flushed: {connection.settings_dict['NAME']}")
    with django_db_blocker.unblock():
        call_command("flush", interactive=False)  # also restarts the id sequences
        _reference_data()
        call_command("seed_demo", stdout=io.StringIO())
        users = get_user_model().objects.filter(username__in=USERS.values())
        keys = {user.username: issue_personal_token(user, name="schema fuzz")[1] for user in users}
        request_started.connect(count)
        # As Django's test client does: the app must not close the connection after a request
        # (it would end the test's transaction).
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        started = time.monotonic()
        try:
            yield {role: keys[username] for role, username in USERS.items()}
        finally:
            elapsed = time.monotonic() - started
            request_started.disconnect(count)
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
            call_command("flush", interactive=False)
            _reference_data()  # what the migrations leave, for the tests that follow
            with request.config.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
                print(
                    f"\nschema fuzz: {len(answered)} requests in {elapsed:.0f} s ({MAX_EXAMPLES} random per operation)"
                )


# Loaded when the module is collected (Schemathesis makes one test per operation of it); serving
# the schema reads no table. An explicit configuration: no schemathesis.toml is looked for.
every_phase = schemathesis.openapi.from_wsgi(SCHEMA_PATH, application, config=schemathesis.Config())
random_only = schemathesis.openapi.from_wsgi(
    SCHEMA_PATH,
    application,
    config=schemathesis.Config.from_dict({"phases": {"examples": {"enabled": False}, "coverage": {"enabled": False}}}),
)


@every_phase.parametrize()
@HYPOTHESIS
def test_the_api_answers_a_supervisor_as_its_schema_says(case, tokens):
    case.call_and_validate(headers={"Authorization": f"Token {tokens['supervisor']}"}, excluded_checks=EXCLUDED_CHECKS)


@pytest.mark.parametrize("role", ["operator", "manager", "client_viewer"])
@random_only.parametrize()
@HYPOTHESIS
def test_the_api_answers_every_other_role_as_its_schema_says(case, role, tokens):
    case.call_and_validate(headers={"Authorization": f"Token {tokens[role]}"}, excluded_checks=EXCLUDED_CHECKS)

"""The migrated database has every index and constraint the models declare.

Django builds migrations from the models, but an operation can still take more from the database
than its model says: migration 0015 (the agent-state operator column losing its plain index)
silently dropped the unique partial index of `one_open_state_per_operator` as well. Rules and hot
lookups hang on these names, so the test database (built by running every migration) is compared
with the models."""
import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db

OUR_APPS = ("accounts", "callcenter", "contacts", "campaigns", "scripts")


def _declared():
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS or not model._meta.managed or model._meta.proxy:
            continue
        names = [index.name for index in model._meta.indexes] + [c.name for c in model._meta.constraints]
        yield model, names


def test_every_declared_index_and_constraint_exists_in_the_database():
    missing = []
    checked = 0
    with connection.cursor() as cursor:
        for model, names in _declared():
            present = connection.introspection.get_constraints(cursor, model._meta.db_table)
            for name in names:
                checked += 1
                if name not in present:
                    missing.append(f"{model._meta.db_table}.{name}")
    assert checked > 10  # the walk found the models' declarations
    assert missing == []


def test_one_open_agent_state_per_operator_is_enforced_by_the_database():
    with connection.cursor() as cursor:
        present = connection.introspection.get_constraints(cursor, "campaigns_agentstatelog")
    index = present["one_open_state_per_operator"]
    assert index["unique"] and index["columns"] == ["operator_id"]

"""The migrated database has every index and constraint the models declare.

Django builds migrations from the models, but an operation can still take more from the database
than its model says: migration 0015 (the agent-state operator column losing its plain index)
silently dropped the unique partial index of `one_open_state_per_operator` as well. Rules and hot
lookups hang on these names, so the test database (built by running every migration) is compared
with the models."""

import re

import pytest
from django.apps import apps
from django.db import connection, migrations
from django.db.migrations.loader import MigrationLoader

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


_CREATE_INDEX = re.compile(r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.I)
_DROP_INDEX = re.compile(r"DROP\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?(\w+)", re.I)


def _indexes_left_by_raw_sql() -> dict[str, str]:
    """Index name -> migration, for indexes written as SQL in migrations (partial, expression
    and GIN indexes the models cannot declare) and not dropped by a later migration."""
    loader = MigrationLoader(connection)
    leaves = [node for node in loader.graph.leaf_nodes() if node[0] in OUR_APPS]
    left: dict[str, str] = {}
    seen = set()
    for leaf in leaves:
        for key in loader.graph.forwards_plan(leaf):
            if key in seen or key[0] not in OUR_APPS:
                continue
            seen.add(key)
            migration = loader.graph.nodes[key]
            for operation in migration.operations:
                if not isinstance(operation, migrations.RunSQL):
                    continue
                statements = operation.sql if isinstance(operation.sql, (list, tuple)) else [operation.sql]
                for statement in statements:
                    text = statement[0] if isinstance(statement, (list, tuple)) else statement
                    for name in _DROP_INDEX.findall(text):
                        left.pop(name, None)
                    for name in _CREATE_INDEX.findall(text):
                        left[name] = f"{key[0]}.{key[1]}"
    return left


def test_every_index_a_migration_wrote_as_sql_is_still_there():
    expected = _indexes_left_by_raw_sql()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        present = {row[0] for row in cursor.fetchall()}
    assert {"entry_dispatch_fresh", "customer_search_trgm", "kpis_agentstate_ended"} <= set(expected)
    assert {name: origin for name, origin in expected.items() if name not in present} == {}

"""The migrated database is the schema the models declare.

Django builds migrations from the models, but an operation can still take more from the database
than its model says: an AlterField that drops a column's plain index once also dropped the unique
partial index of `one_open_state_per_operator`. Rules and hot lookups hang on these indexes, so
the test database (built by running every migration) is compared with a copy of the schema built
straight from the models. What only SQL can declare (triggers, functions, table storage settings,
indexes Django cannot express) is allowed on top: the indexes a migration creates with SQL are
read from the migrations themselves."""

import re

import pytest
from django.apps import apps
from django.db import connection, migrations
from django.db.migrations.loader import MigrationLoader

from callcenter import partitions

pytestmark = pytest.mark.django_db

OUR_APPS = ("callcenter", "contacts", "campaigns", "scripts")
FROM_MODELS = "schema_from_models"


def _our_models():
    for model in apps.get_models():
        if model._meta.app_label in OUR_APPS and model._meta.managed and not model._meta.proxy:
            yield model


def _our_tables() -> list[str]:
    tables = set()
    for model in _our_models():
        tables.add(model._meta.db_table)
        for field in model._meta.local_many_to_many:
            tables.add(field.remote_field.through._meta.db_table)
    return sorted(tables)


def _schema(cursor, namespace: str, tables: list[str]) -> dict[str, set]:
    """Columns, indexes and constraints of `tables` in `namespace`, written so that the same
    declaration reads the same in either schema."""
    # Relations print unqualified when the search path finds them: for both schemas, the
    # project's tables in `namespace` and everything else (auth_user, pg_trgm) in public.
    cursor.execute(f"SET LOCAL search_path = {namespace}, public")
    cursor.execute(
        """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
                  pg_get_expr(d.adbin, d.adrelid)
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE c.relnamespace = %s::regnamespace AND c.relname = ANY(%s) AND a.attnum > 0
              AND NOT a.attisdropped""",
        [namespace, tables],
    )
    columns = set(cursor.fetchall())
    cursor.execute(
        """SELECT c.relname, i.relname, pg_get_indexdef(i.oid)
             FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
            WHERE c.relnamespace = %s::regnamespace AND c.relname = ANY(%s)""",
        [namespace, tables],
    )
    # pg_get_indexdef always names the table with its schema.
    # An index of a partitioned table reads ON ONLY the parent (each partition has its own copy).
    indexes = {
        (table, name, definition.replace(f" ON ONLY {namespace}.", " ON ").replace(f" ON {namespace}.", " ON "))
        for table, name, definition in cursor
    }
    cursor.execute(
        """SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
             FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
            WHERE c.relnamespace = %s::regnamespace AND c.relname = ANY(%s)""",
        [namespace, tables],
    )
    constraints = set(cursor.fetchall())
    cursor.execute("SET LOCAL search_path = public")
    return {"columns": columns, "indexes": indexes, "constraints": constraints}


_CREATE_INDEX = re.compile(r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.I)
_DROP_INDEX = re.compile(r"DROP\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?(\w+)", re.I)


def _indexes_written_as_sql() -> dict[str, str]:
    """Index name -> migration, for indexes a migration creates with SQL (what Django cannot
    express) and no later migration drops."""
    loader = MigrationLoader(connection)
    leaves = [node for node in loader.graph.leaf_nodes() if node[0] in OUR_APPS]
    left: dict[str, str] = {}
    seen = set()
    for leaf in leaves:
        for key in loader.graph.forwards_plan(leaf):
            if key in seen or key[0] not in OUR_APPS:
                continue
            seen.add(key)
            for operation in loader.graph.nodes[key].operations:
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


def test_the_migrated_database_has_exactly_the_schema_the_models_declare():
    tables = _our_tables()
    with connection.cursor() as cursor:
        migrated = _schema(cursor, "public", tables)
        # The models' schema, built beside the migrated one inside the test's transaction (rolled
        # back with it). Foreign keys to tables outside our apps (auth_user) point into public.
        cursor.execute(f"CREATE SCHEMA {FROM_MODELS}")
        cursor.execute(f"SET LOCAL search_path = {FROM_MODELS}, public")
        with connection.schema_editor() as editor:
            for model in _our_models():
                editor.create_model(model)
        cursor.execute("SET LOCAL search_path = public")
        declared = _schema(cursor, FROM_MODELS, tables)

    assert len(declared["indexes"]) > 100  # the models were built, indexes and all
    # The history tables are partitioned by month (callcenter.partitions): their primary key must
    # hold the partition key, which the models cannot say (Django keeps `id` as the pk).
    for table, (key, _setting) in partitions.TABLES.items():
        partitioned_pk = (table, f"{table}_pkey", f"PRIMARY KEY (id, {key})")
        assert partitioned_pk in migrated["constraints"]
        declared_pk = (table, f"{table}_pkey", "PRIMARY KEY (id)")
        migrated["constraints"] = (migrated["constraints"] - {partitioned_pk}) | {declared_pk}
    migrated["indexes"] = {
        (table, name, definition.replace(f"(id, {partitions.TABLES[table][0]})", "(id)"))
        if table in partitions.TABLES
        else (table, name, definition)
        for table, name, definition in migrated["indexes"]
    }
    written_as_sql = _indexes_written_as_sql()
    assert migrated["columns"] == declared["columns"]
    assert migrated["constraints"] == declared["constraints"]
    missing = declared["indexes"] - migrated["indexes"]
    undeclared = {index for index in migrated["indexes"] - declared["indexes"] if index[1] not in written_as_sql}
    assert (missing, undeclared) == (set(), set())
    present = {name for _table, name, _definition in migrated["indexes"]}
    assert {name: origin for name, origin in written_as_sql.items() if name not in present} == {}


def test_every_declared_index_and_constraint_exists_in_the_database():
    missing = []
    checked = 0
    with connection.cursor() as cursor:
        for model in _our_models():
            present = connection.introspection.get_constraints(cursor, model._meta.db_table)
            for name in [index.name for index in model._meta.indexes] + [c.name for c in model._meta.constraints]:
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


def test_the_search_and_dispatch_indexes_are_declared_by_the_models():
    """They used to be written as SQL in migrations; Django expresses them (partial, expression,
    GIN with an operator class), so the models declare them and makemigrations keeps them."""
    declared = {index.name for model in _our_models() for index in model._meta.indexes}
    assert {"customer_search_trgm", "customer_tags_gin", "entry_dispatch_fresh", "kpis_agentstate_ended"} <= declared

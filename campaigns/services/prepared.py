"""Server-side prepared statements for the hot statements of operator work (dispatch, outcome).

The claim statements check every rule in one SQL statement with a dozen subqueries: PostgreSQL
spent far longer planning them (about 1.5 ms) than running them (about 0.2 ms) on every press of
"next call". `execute(cursor, sql, params)` runs `sql` (with `%(name)s` placeholders) as a named
prepared statement of the current connection: the first use sends `PREPARE …; EXECUTE …` in one
round trip, later uses only `EXECUTE`, and PostgreSQL settles on a generic plan after a few runs.

Prepared statements belong to the database session and survive a rolled-back transaction; a
statement whose PREPARE may not have happened (an error in that round trip) is prepared again
under a new name, so no name is ever prepared twice. Set `CALLCENTER_PREPARED_STATEMENTS = False`
in the settings behind a transaction-mode connection pooler, where a session's prepared
statements are not available to the next transaction.
"""

import hashlib
import re
from functools import lru_cache

from django.conf import settings

_PARAMETER = re.compile(r"%\((\w+)\)s")

# PostgreSQL type of the named parameters whose type the statement does not make clear
# (zones_<campaign> are text[]); any other parameter is `unknown`: PostgreSQL infers it from its
# place (an INSERT column, `column = $n`).
TYPES = {
    "now": "timestamptz",
    "grace": "timestamptz",
    "held_until": "timestamptz",
    "at": "timestamptz",
    "today": "date",
    "operator": "integer",
    "entry": "bigint",
    "expected": "text",
    "state": "text",
    "lists": "bigint[]",
    "skipped": "bigint[]",
}


def _type(name: str) -> str:
    if name.startswith("zones_"):
        return "text[]"
    return TYPES.get(name, "unknown")


@lru_cache(maxsize=512)
def _compiled(sql: str) -> tuple[str, str, tuple[str, ...]]:
    """(statement key, `(types) AS body` with $n placeholders, parameter names in $n order)."""
    names: list[str] = []

    def number(match):
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    body = _PARAMETER.sub(number, sql)
    key = hashlib.blake2b(sql.encode(), digest_size=6).hexdigest()
    types = ", ".join(_type(name) for name in names)
    return key, f"({types}) AS {body}" if names else f"AS {body}", tuple(names)


class _Session:
    """The statements prepared in one database session (one psycopg2 connection)."""

    def __init__(self, raw):
        self.raw = raw
        self.names: dict[str, str] = {}
        self.generation = 0


def _session(db) -> _Session:
    raw = db.connection
    session = getattr(db, "_callcenter_prepared", None)
    if session is None or session.raw is not raw:
        session = _Session(raw)
        db._callcenter_prepared = session
    return session


def enabled() -> bool:
    return getattr(settings, "CALLCENTER_PREPARED_STATEMENTS", True)


def execute(cursor, sql: str, params: dict, *, before: str = "") -> None:
    """cursor.execute(sql, params), as a prepared statement of this session when enabled.
    `before`: statements (parameters already inlined) sent ahead of it in the same round trip;
    each statement takes its own snapshot, so `sql` sees what a lock taken there waited for."""
    prefix = f"{before}; " if before else ""
    if not enabled():
        cursor.execute(prefix + sql, params)
        return
    key, definition, names = _compiled(sql)
    session = _session(cursor.db)
    values = [params[name] for name in names]
    arguments = f"({', '.join(['%s'] * len(names))})" if names else ""
    name = session.names.pop(key, None)
    if name is None:
        # The PREPARE goes in the same round trip. If the round trip fails, the statement may
        # or may not exist: the name is dropped and never used again.
        session.generation += 1
        name = f"cc_{key}_{session.generation}"
        cursor.execute(f"{prefix}PREPARE {name} {definition}; EXECUTE {name}{arguments}", values)
    else:
        cursor.execute(f"{prefix}EXECUTE {name}{arguments}", values)
    session.names[key] = name


def model_from_row(model, fields, values):
    """A model instance from the raw column values of `fields` that a statement here returned,
    converted as the ORM would (e.g. JSON text → dict)."""
    from django.db import connection

    converted = []
    for field, value in zip(fields, values):
        if value is not None and hasattr(field, "from_db_value"):
            value = field.from_db_value(value, None, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field in fields], converted)

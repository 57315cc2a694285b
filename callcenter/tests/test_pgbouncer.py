"""The `database_path` fixture really sends the dispatch and outcome tests through a PgBouncer in
transaction mode: the test's connection is one of PgBouncer's clients, and nothing is prepared on
the server (DB_PREPARED_STATEMENTS=0 there)."""

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from campaigns.services.dispatch import dispatch_next
from campaigns.tests.factories_console import WEDNESDAY_2PM, entry, ready_list, working_campaign

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("database_path")]


def pgbouncer_clients(port: int) -> list[dict]:
    """SHOW CLIENTS of PgBouncer's admin console."""
    admin = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="pgbouncer")
    admin.autocommit = True  # the admin console takes no transactions
    try:
        with admin.cursor() as cursor:
            cursor.execute("SHOW CLIENTS")
            columns = [column.name for column in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        admin.close()


def test_a_dispatch_takes_the_path_of_its_parameter(request, operator):
    call_list = ready_list(working_campaign(operators=[operator]))
    held = entry(call_list)
    if request.node.callspec.params["database_path"] == "direct":
        assert settings.CALLCENTER_PREPARED_STATEMENTS is True
        assert dispatch_next(operator=operator, now=WEDNESDAY_2PM) == held
        return

    port = request.getfixturevalue("pgbouncer_port")
    assert connection.settings_dict["PORT"] == str(port)
    assert settings.CALLCENTER_PREPARED_STATEMENTS is False
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True

    assert dispatch_next(operator=operator, now=WEDNESDAY_2PM) == held

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 0
    assert connection.connection.info.port == port  # where psycopg2 is connected: PgBouncer
    assert any(client["database"] == connection.settings_dict["NAME"] for client in pgbouncer_clients(port))

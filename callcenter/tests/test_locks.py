"""One table of advisory-lock namespaces (callcenter.locks), and every advisory lock taken from it
in an app's lock module: two kinds of lock sharing a key would make unrelated work wait for (or
skip) each other, silently."""

import re
import subprocess
from pathlib import Path

import pytest
from django.db import connection, transaction

from callcenter.locks import AdvisoryLock

ROOT = Path(__file__).resolve().parents[2]
LOCK_MODULES = {"campaigns/locks.py", "contacts/locks.py"}
ADVISORY_CALL = re.compile(r"pg_(?:try_)?advisory_(?:xact_)?(?:un)?lock(?:_shared)?\(([^,]*),")
INT4 = range(-(2**31), 2**31)


def project_sources() -> dict[str, str]:
    """The project's tracked Python files outside tests and migrations."""
    names = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {
        name: (ROOT / name).read_text(encoding="utf-8")
        for name in names
        if "/tests/" not in f"/{name}" and "/migrations/" not in name and (ROOT / name).exists()
    }


def test_every_namespace_is_its_own_and_fits_the_lock_key():
    values = [int(lock) for lock in AdvisoryLock]
    assert len(values) == len(set(values)), values
    assert all(value in INT4 for value in values)


def test_advisory_locks_are_taken_only_in_the_lock_modules_with_a_namespace_from_the_table():
    takers = {name for name, text in project_sources().items() if ADVISORY_CALL.search(text)}
    assert takers <= LOCK_MODULES, f"advisory locks outside the apps' lock modules: {sorted(takers - LOCK_MODULES)}"
    for name in LOCK_MODULES:
        text = (ROOT / name).read_text(encoding="utf-8")
        for first_key in ADVISORY_CALL.findall(text):
            # A bound parameter (the caller passes int(AdvisoryLock.…)) or the table's value in the SQL.
            assert re.fullmatch(r"%s|\{int\(AdvisoryLock\.\w+\)\}", first_key.strip()), (name, first_key)
        namespaces = set(re.findall(r"AdvisoryLock\.(\w+)", text))
        assert namespaces and namespaces <= set(AdvisoryLock.__members__), (name, namespaces)


def held_advisory_namespaces() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT classid::bigint FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            " AND objsubid = 2"
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_each_lock_function_takes_its_namespace_of_the_table():
    from campaigns.locks import lock_campaign_lists, lock_operator, try_lock_customer_for_dispatch
    from contacts.locks import (
        lock_dnc_request,
        lock_import_start,
        lock_kept_uploads,
        try_lock_import_run,
        unlock_import_run,
    )

    def taken_by(take) -> set[int]:
        with transaction.atomic():
            before = held_advisory_namespaces()
            take()
            return held_advisory_namespaces() - before

    def with_cursor(call):
        with connection.cursor() as cursor:
            call(cursor)

    assert taken_by(lambda: try_lock_customer_for_dispatch(7)) == {AdvisoryLock.CUSTOMER_DISPATCH}
    assert taken_by(lambda: lock_operator(7)) == {AdvisoryLock.OPERATOR_WORK}
    assert taken_by(lambda: lock_campaign_lists(7)) == {AdvisoryLock.CAMPAIGN_LISTS}
    assert taken_by(lambda: with_cursor(lambda c: lock_dnc_request(c, "+81312345678||"))) == {AdvisoryLock.DNC_REQUEST}
    assert taken_by(lambda: lock_import_start("imports/x.csv")) == {AdvisoryLock.STARTING_IMPORT}
    assert taken_by(lock_kept_uploads) == {AdvisoryLock.KEPT_UPLOADS}
    assert taken_by(lambda: try_lock_import_run(7)) == {AdvisoryLock.RUNNING_IMPORT}
    assert unlock_import_run(7)  # a session lock: released by hand
    assert AdvisoryLock.RUNNING_IMPORT not in held_advisory_namespaces()

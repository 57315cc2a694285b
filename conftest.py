"""Shared fixtures: named users per role, a real Celery worker, Playwright on Debian's Chromium.

Everything talks to the real PostgreSQL and Redis given by DATABASE_URL / REDIS_URL."""

import contextlib
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the Django ORM calls made by the
# test body around it are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

BASE_DIR = Path(__file__).resolve().parent
ARTIFACTS = BASE_DIR / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    # The softphone's tests: a microphone that is a test tone, allowed without asking.
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    # WebRTC leaves loopback out of its ICE candidates; on a test host whose only interface is
    # loopback (a network namespace, a bare container) the two browser pages would find no path.
    "--allow-loopback-in-peer-connection",
]
PASSWORD = "correct-horse-battery-staple"
EXPECTED_REFUSAL = re.compile(r"Failed to load resource: the server responded with a status of 4(00|03|04|09|13|29) ")


def pytest_configure(config):
    # Translations are compiled from the .po fragments so tests see the current Japanese.
    from callcenter.i18n import compile_all

    compile_all()


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the default language. LocaleMiddleware activates a request's
    language for the whole thread and nothing resets it, so without this a test that switched to
    English would leak English into the next one."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


# ---------------------------------------------------------------- reference data and users


@pytest.fixture
def reference_data(db):
    """Role groups and default dispositions. Created by data migrations, but a transactional test
    (live_server, worker) flushes tables afterwards, so tests ask for them explicitly."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    from callcenter.roles import sync_role_groups
    from campaigns.dispositions import ensure_default_dispositions

    sync_role_groups(Group, Permission, ContentType)
    ensure_default_dispositions()


def make_user(username, role=None, **extra):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from callcenter.roles import ROLE_GROUPS

    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
    if role:
        user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
    return user


@pytest.fixture
def supervisor(reference_data):
    return make_user("sv_sato", "supervisor", last_name="佐藤", first_name="花子")


@pytest.fixture
def operator(reference_data):
    return make_user("op_suzuki", "operator", last_name="鈴木", first_name="一郎")


@pytest.fixture
def operator2(reference_data):
    return make_user("op_takahashi", "operator", last_name="高橋", first_name="美咲")


@pytest.fixture
def manager(reference_data):
    return make_user("mgr_tanaka", "manager", last_name="田中", first_name="健")


@pytest.fixture
def client_viewer(reference_data):
    return make_user("client_yamamoto", "client_viewer", last_name="山本", first_name="商事")


@pytest.fixture
def sales(reference_data):
    return make_user("sales_kato", "sales", last_name="加藤", first_name="健", email="kato@example.jp")


@pytest.fixture
def admin_user(reference_data):
    return make_user("root_admin", None, is_superuser=True, is_staff=True)


@pytest.fixture
def login(client):
    """login(user) -> the Django test client logged in as user, with the second factor given for a
    user who signs in with one (an authenticator is set up for them if needed)."""
    from callcenter.signin.testing import sign_in

    def do_login(user):
        return sign_in(client, user)

    return do_login


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def api_as(api_client):
    """api_as(user) -> a DRF APIClient authenticated with a personal API token of the user."""
    from callcenter.signin.tokens import issue_personal_token

    def authenticate(user):
        _token, secret = issue_personal_token(user)
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        return api_client

    return authenticate


# ---------------------------------------------------------------- races

# Every race test runs its competing work through these helpers (none starts a thread, waits at
# a barrier or closes a connection itself). Work in another thread has its own database
# connection, closed when it ends; a thread that does not finish fails the test instead of
# hanging it, and what the work raised reaches the test. Race tests need real transactions:
# @pytest.mark.django_db(transaction=True).

RACE_TIMEOUT = 60  # seconds any racing work may take


def in_thread(work, *args, **kwargs):
    """Start `work(*args, **kwargs)` now on another thread and database connection; return a
    `finish()` that waits for it and gives its result (or raises what it raised)."""
    import threading

    from django.db import connection

    outcome = {}

    def run():
        try:
            outcome["value"] = work(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - raised again by finish()
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def finish(timeout: float = RACE_TIMEOUT):
        thread.join(timeout)
        assert not thread.is_alive(), f"{getattr(work, '__name__', work)} did not finish within {timeout} s"
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")

    return finish


def race(workers, *, timeout: float = RACE_TIMEOUT) -> list:
    """Run the callables at the same instant, each on its own thread and connection; their results
    in order, an exception a worker raised being its result."""
    import threading

    start = threading.Barrier(len(workers))

    def at_once(work):
        start.wait(timeout)
        try:
            return work()
        except Exception as error:  # noqa: BLE001 - the worker's result
            return error

    finishes = [in_thread(at_once, work) for work in workers]
    return [finish(timeout) for finish in finishes]


def a_lock_is_waited_for(*, held_by: int | None = None, timeout: float = 10) -> bool:
    """Wait until another session of this database waits for a lock (one held by the session with
    backend pid `held_by`, when given); False after `timeout` s. Safe inside a transaction (the
    activity view is re-read each time)."""
    from django.db import connection

    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = current_database()"
                " AND a.wait_event_type = 'Lock' AND a.pid <> pg_backend_pid()"
                " AND (%(holder)s::int IS NULL OR %(holder)s::int = ANY(pg_blocking_pids(a.pid))))",
                {"holder": held_by},
            )
            if cursor.fetchone()[0]:
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


@contextlib.contextmanager
def another_transaction(change, *, commit_once_waited_on: bool = False, timeout: float = RACE_TIMEOUT):
    """Run `change()` in a transaction on another thread and connection, and keep that transaction
    open while the `with` block runs (it sees nothing of it yet): the block starts once `change`
    has run, and gets its result. The transaction commits when the block ends or, with
    `commit_once_waited_on`, as soon as someone waits for one of its locks (the block's competing
    request, which then goes on and finds the change committed). If nobody ever waits, it commits
    when the block ends (or after `timeout` s, so a block waiting for it in vain fails instead of
    hanging). Raises what `change` raised, or what its commit raised after the block."""
    import threading

    from django.db import connection, transaction

    changed, block_done = threading.Event(), threading.Event()
    result = {}

    def hold():
        try:
            with transaction.atomic():
                result["value"] = change()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    pid = cursor.fetchone()[0]
                changed.set()
                deadline = time.monotonic() + timeout  # a block stuck waiting for this one gets it in the end
                while not block_done.wait(0.02) and time.monotonic() < deadline:
                    if commit_once_waited_on and a_lock_is_waited_for(held_by=pid, timeout=0):
                        break
        finally:
            changed.set()

    finish = in_thread(hold)
    assert changed.wait(timeout), "the other transaction did not make its change"
    if "value" not in result:
        finish(timeout)  # raises what change() raised
    try:
        yield result["value"]
    finally:
        block_done.set()
        finish(timeout)


# ---------------------------------------------------------------- a real Celery worker


@pytest.fixture
def celery_worker_process(_celery_worker_session):
    """A real `celery worker` process on the real Redis broker, connected to the test database,
    consuming a queue of its own so no other worker on this Redis takes our tasks. Tests using it
    must commit their data (transactional_db or live_server). Tasks go to its queue only during
    such a test: tasks queued by later tests must not be run by it while their tables are flushed."""
    from callcenter.celery import app

    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = _celery_worker_session["queue"]
    try:
        yield _celery_worker_session
    finally:
        app.conf.task_default_queue = previous_queue


def database_url_of_tests() -> str:
    """DATABASE_URL of the test database (for processes the tests start)."""
    from django.db import connection

    settings_dict = connection.settings_dict
    return "postgres://{user}:{password}@{host}:{port}/{name}".format(
        user=settings_dict["USER"] or "postgres",
        password=settings_dict["PASSWORD"] or "",
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or "5432",
        name=settings_dict["NAME"],
    ).replace(":@", "@")


@contextlib.contextmanager
def running_celery_worker(*, base_queue: str, queues: list[str], name: str, environment: dict | None = None):
    """A `celery worker` process on the test database consuming `queues`, whose tasks' default
    queue is `base_queue` (and `environment` on top); yields (process, log path) once it answers a
    ping, stops it after."""
    from callcenter.celery import app

    env = dict(os.environ, **(environment or {}))
    env["DATABASE_URL"] = database_url_of_tests()
    env["DJANGO_SETTINGS_MODULE"] = "callcenter.settings_test"
    env["CELERY_QUEUE"] = base_queue
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"celery-worker-{name}.log"
    log = open(log_path, "w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "callcenter",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            ",".join(queues),
            "-n",
            f"{name}@%h",
            "-l",
            "info",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"Celery worker exited; see {log_path}")
            replies = app.control.ping(destination=[f"{name}@{os.uname().nodename}"], timeout=0.5)
            if replies:
                break
        else:
            raise RuntimeError(f"Celery worker did not answer within 60 s; see {log_path}")
        yield process, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def _celery_worker_session(django_db_setup, django_db_blocker):
    """The worker process, started once for the session (see celery_worker_process). It consumes
    the private queue and the queue of every kind of work under it (settings.CELERY_WORK_KINDS)."""
    from django.conf import settings

    from callcenter.celery import queue_name

    queue = f"test-{uuid.uuid4().hex[:8]}"
    queues = [queue_name(kind, queue) for kind in [None, *settings.CELERY_WORK_KINDS]]
    with running_celery_worker(base_queue=queue, queues=queues, name=queue) as (process, _log):
        yield {"queue": queue, "process": process}


# ---------------------------------------------------------------- PgBouncer


@pytest.fixture(scope="session")
def pgbouncer_port(django_db_setup):
    """A real PgBouncer in transaction mode in front of the test database's server, for the session."""
    from django.db import connection

    from callcenter.testing.servers import pgbouncer

    with pgbouncer(host=connection.settings_dict["HOST"], port=connection.settings_dict["PORT"]) as port:
        yield port


@pytest.fixture(scope="module", params=["direct", "pgbouncer"])
def database_path(request, django_db_setup):
    """Runs each test of a module twice (`pytestmark = pytest.mark.usefixtures("database_path")`):
    connected straight to PostgreSQL, then through PgBouncer in transaction mode with what the
    settings switch off there (DB_PREPARED_STATEMENTS=0). Module-scoped, so it is in place before
    any test opens its connection; every thread's connection (race tests) takes the same path, as
    they share the one settings dict of the alias."""
    from django.db import connections
    from django.test.utils import override_settings

    if request.param == "direct":
        yield "direct"
        return
    port = request.getfixturevalue("pgbouncer_port")
    settings_dict = connections["default"].settings_dict
    saved = {key: settings_dict.get(key) for key in ("HOST", "PORT", "DISABLE_SERVER_SIDE_CURSORS")}
    connections.close_all()
    settings_dict.update(HOST="127.0.0.1", PORT=str(port), DISABLE_SERVER_SIDE_CURSORS=True)
    pooler_settings = override_settings(CALLCENTER_PREPARED_STATEMENTS=False)
    pooler_settings.enable()
    try:
        yield "pgbouncer"
    finally:
        pooler_settings.disable()
        connections.close_all()
        settings_dict.update(saved)


# ---------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server, reference_data):
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15000)
    page = context.new_page()
    page.base_url = live_server.url
    problems = []

    def console(message):
        # A 4xx answer is what a test of a refusal expects (the page shows why); Chromium logs
        # every one. A script error, a CSP violation or a 5xx is a broken page.
        if message.type == "error" and not EXPECTED_REFUSAL.match(message.text):
            problems.append(f"console error: {message.text}")

    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", console)
    page.browser_problems = problems
    yield page
    context.close()
    # A page that throws or logs an error is broken even when the test's clicks went through.
    assert not problems, "\n".join(problems)


@pytest.fixture
def browser_login(page):
    """browser_login(user) logs in through the real login form, and the code page with the code of
    the user's authenticator (set up for them if their role requires one), and returns the page."""
    from callcenter.signin import two_factor
    from callcenter.signin.testing import authenticator, current_code

    def do_login(user, password=PASSWORD):
        device = authenticator(user) if two_factor.must_verify(user) else None
        page.goto(page.base_url + "/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
        page.click("[data-testid=login-submit]")
        page.wait_for_load_state("networkidle")
        if device is not None and "/accounts/two-factor/verify/" in page.url:
            page.fill("input[name=code]", current_code(device))
            page.click("[data-testid=otp-submit]")
            page.wait_for_load_state("networkidle")
        return page

    return do_login


def wait_until(page, expression: str, arg=None, timeout: float = 15) -> None:
    """Wait until a JavaScript expression (or function of `arg`) is true in the page. Playwright's
    own page.wait_for_function compiles its predicate inside the page, which the Content-Security-
    Policy refuses (no 'unsafe-eval'); page.evaluate runs outside the policy."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(100)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def shot():
    return screenshot

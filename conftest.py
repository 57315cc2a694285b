"""Shared fixtures: named users per role, a real Celery worker, Playwright on Debian's Chromium.

Everything talks to the real PostgreSQL and Redis given by DATABASE_URL / REDIS_URL."""

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


def another_transaction_commits(change, *, hold_seconds: float = 0.5):
    """Run `change` in a transaction on another thread and connection; return once it has made
    its change (uncommitted), with a join() for after the competing request. The transaction
    commits `hold_seconds` later, while the competing request waits for a lock it holds (a row
    lock, a unique index entry). join() re-raises what `change` raised."""
    import threading

    from django.db import connection, transaction

    changed, errors = threading.Event(), []

    def run():
        try:
            with transaction.atomic():
                change()
                changed.set()
                time.sleep(hold_seconds)
        except Exception as error:  # noqa: BLE001 (re-raised by join)
            errors.append(error)
        finally:
            changed.set()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert changed.wait(timeout=30)

    def join():
        thread.join(timeout=30)
        assert not thread.is_alive()
        if errors:
            raise errors[0]

    return join


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


@pytest.fixture(scope="session")
def _celery_worker_session(django_db_setup, django_db_blocker):
    """The worker process, started once for the session (see celery_worker_process)."""
    from django.db import connection

    from callcenter.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    settings_dict = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = "postgres://{user}:{password}@{host}:{port}/{name}".format(
        user=settings_dict["USER"] or "postgres",
        password=settings_dict["PASSWORD"] or "",
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or "5432",
        name=settings_dict["NAME"],
    ).replace(":@", "@")
    env["DJANGO_SETTINGS_MODULE"] = "callcenter.settings_test"
    env["CELERY_QUEUE"] = queue
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / f"celery-worker-{queue}.log", "w")
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
            queue,
            "-n",
            f"{queue}@%h",
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
                raise RuntimeError(f"Celery worker exited; see {log.name}")
            replies = app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=0.5)
            if replies:
                break
        else:
            raise RuntimeError(f"Celery worker did not answer within 60 s; see {log.name}")
        yield {"queue": queue, "process": process}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


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


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def shot():
    return screenshot

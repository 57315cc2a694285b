"""Content-Security-Policy: scripts run only from our static files. No template has an inline
script or an inline event handler left, the browser enforces the policy, and the pages whose
scripts moved to static/js/ still work in it (every browser test fails on a CSP violation: see the
`page` fixture)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from conftest import CHROMIUM_ARGS

TEMPLATE_DIRS = ["templates", "callcenter", "contacts", "scripts", "campaigns"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)


def templates():
    for folder in TEMPLATE_DIRS:
        yield from (Path(settings.BASE_DIR) / folder).rglob("*.html")


def test_no_template_has_an_inline_script_or_event_handler():
    found = []
    for path in templates():
        text = path.read_text(encoding="utf-8")
        found += [f"{path}: {m.group(0)}" for m in INLINE_SCRIPT.finditer(text)]
        found += [f"{path}: {m.group(0).strip()}" for m in INLINE_HANDLER.finditer(text)]
    assert not found, "Move these to a file under static/js/:\n" + "\n".join(found)


@pytest.mark.django_db
def test_pages_and_api_answers_carry_the_policy(client, login, supervisor):
    for response in (client.get(reverse("login")), login(supervisor).get(reverse("contacts:customer_list"))):
        policy = dict(
            (part.strip().split(" ", 1) + [""])[:2] for part in response["Content-Security-Policy"].split(";")
        )
        assert policy["script-src"] == "'self'"
        assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
        assert "unsafe" not in policy["default-src"]


@pytest.mark.browser
def test_the_browser_refuses_an_inline_script(browser, live_server):
    """The policy is enforced, and a refusal is seen by the `page` fixture's console check."""
    context = browser.new_context()
    page = context.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else 0)
    page.goto(live_server.url + reverse("login"))
    page.evaluate(
        """() => { const s = document.createElement("script"); s.textContent = "window.ran = true";
        document.body.appendChild(s); }"""
    )
    assert page.evaluate("() => window.ran === undefined")
    assert refused and "script-src" in refused[0]
    context.close()
    assert CHROMIUM_ARGS  # the same Chromium the other browser tests use


@pytest.mark.browser
def test_pages_whose_scripts_moved_work_under_the_policy(page, browser_login, admin_user, supervisor):
    from campaigns.tests.factories import CampaignFactory
    from contacts.tests.factories import CustomerFactory
    from scripts.tests.factories import branching_script

    CustomerFactory(name="山田 太郎")
    version = branching_script()
    draft = branching_script(publish=False, name="下書き")
    browser_login(admin_user)
    base = page.base_url

    # Do-not-call form: the campaign field shows only for a campaign-scoped entry (dnc_form.js).
    page.goto(base + reverse("contacts:dnc_create"))
    assert not page.locator("#campaign-field").is_visible()
    page.check("input[name=scope][value=campaign]")
    assert page.locator("#campaign-field").is_visible()

    # Segment builder: a rule row and a live count (segment_builder.js).
    page.goto(base + reverse("contacts:segment_create"))
    page.click("#add-rule")
    assert page.locator("[data-testid=rule-row]").count() >= 1

    # Script preview: choosing a campaign applies at once (app.js, no onchange attribute).
    CampaignFactory(name="A プレビュー", script=version.script)
    campaign = CampaignFactory(name="B プレビュー", script=version.script)  # not the one shown first
    page.goto(base + reverse("scripts:version_preview", args=[version.pk]))
    with page.expect_navigation():
        page.select_option("select[data-submit-on-change]", str(campaign.pk))
    assert f"campaign={campaign.pk}" in page.url

    # Step form of the editor (step_form.js): the kind decides which fields show.
    step = draft.steps.order_by("position").first()
    page.goto(base + reverse("scripts:step_edit", args=[step.pk]))
    page.select_option("#step-form [name=kind]", "end")
    assert page.locator("#step-form [data-kinds=end]").is_visible()
    assert not page.locator("#step-form [data-kinds=question]").first.is_visible()
    page.select_option("#step-form [name=kind]", "question")
    assert page.locator("#step-form [data-kinds=question]").first.is_visible()

    # The API documentation (Swagger UI) and the admin run their own scripts, from files.
    page.goto(base + reverse("api_docs"))
    page.locator(".swagger-ui .info").wait_for()
    page.goto(base + "/admin/contacts/customer/")
    assert page.locator("#result_list").is_visible()
    assert not page.browser_problems

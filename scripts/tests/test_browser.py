"""Browser journeys: a supervisor writes a branching script; an operator walks through it."""

import datetime
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CallListEntry, Disposition
from campaigns.tests.factories import CallListEntryFactory, CampaignFactory
from contacts.tests.factories import CustomerFactory
from scripts.models import Script, ScriptVersion
from scripts.services import validate_answers

from .factories import branching_script

pytestmark = pytest.mark.browser


def _accept_dialogs(page):
    page.on("dialog", lambda dialog: dialog.accept())


def _add_step(page, kind, title, after=None):
    form = page.locator("[data-testid=add-step-form]")
    form.locator("select[name=kind]").select_option(kind)
    form.locator("input[name=title]").fill(title)
    if after:
        _select_step(form, "select[name=after]", after)
    form.locator("[data-testid=add-step]").click()
    page.wait_for_load_state("networkidle")


def _edit(page, key):
    page.locator(f"#step-{key} [data-testid=edit-step]").click()
    page.wait_for_load_state("networkidle")


def _save_step(page):
    page.locator("[data-testid=save-step]").click()
    page.wait_for_load_state("networkidle")


def _select_step(scope, selector, key):
    """Choose the step `key` in a select whose options read "key · title"."""
    select = scope.locator(selector)
    value = select.evaluate("(el, key) => [...el.options].find(o => o.text.startsWith(key + ' ')).value", key)
    select.select_option(value)


def test_supervisor_writes_and_publishes_a_branching_script(page, browser_login, supervisor, shot):
    _accept_dialogs(page)
    browser_login(supervisor)
    page.goto(page.base_url + "/scripts/")
    page.locator("[data-testid=new-script]").click()
    page.fill("input[name=name]", "休眠顧客 掘り起こし")
    page.fill("textarea[name=description]", "1年以上購入のないお客様へ")
    page.locator("[data-testid=save-script]").click()
    page.wait_for_load_state("networkidle")
    version = ScriptVersion.objects.get(script__name="休眠顧客 掘り起こし")

    # Opening: the mandatory disclosure, with placeholders.
    _edit(page, "opening")
    page.fill("textarea[name=text]", "株式会社ひかり通販の")
    page.locator("[data-insert-placeholder='operator.last_name']").click()
    page.locator("textarea[name=text]").press("End")
    page.locator("textarea[name=text]").type("と申します。{{ customer.name }}様、商品のご案内です。")
    page.check("input[name=is_disclosure]")
    _save_step(page)

    _add_step(page, "end", "お断り")
    _add_step(page, "say", "上位プランのご案内")
    _add_step(page, "branch", "購入回数で分岐", after="end1")  # opens the step form
    page.select_option("select[name=rules-0-source]", "customer:purchase_count")
    page.select_option("select[name=rules-0-op]", "gte")
    page.fill("input[name=rules-0-value]", "5")
    _select_step(page, "select[name=rules-0-next]", "say1")
    _select_step(page, "select[name=next_step]", "end")
    shot(page, "scripts-step-branch")
    _save_step(page)

    _add_step(page, "question", "ご興味", after="opening")  # linked after the opening automatically
    assert page.locator("[data-testid=choices]").is_visible()
    page.check("input[name=required]")
    page.fill("textarea[name=text]", "商品にご興味はございますか。")
    page.fill("input[name=choices-0-label]", "はい")
    _select_step(page, "select[name=choices-0-next_step]", "branch1")
    page.fill("input[name=choices-1-label]", "いいえ")
    page.fill("input[name=choices-1-value]", "no")
    _select_step(page, "select[name=choices-1-next_step]", "end1")
    shot(page, "scripts-step-question")
    _save_step(page)

    # The premium offer still leads nowhere: the editor says so and publishing is refused.
    problems = page.locator("[data-testid=problems]")
    assert "say1" in problems.inner_text()
    page.locator("[data-testid=open-publish]").click()
    page.locator("[data-testid=publish]").click()
    page.wait_for_load_state("networkidle")
    assert ScriptVersion.objects.get(pk=version.pk).status == "draft"
    assert page.locator(".alert-danger").count() >= 1

    _edit(page, "say1")
    page.fill("textarea[name=text]", "{{ customer.name }}様には特別に上位プランをご案内しております。")
    _select_step(page, "select[name=next_step]", "end")
    _save_step(page)
    _edit(page, "end1")
    page.fill("textarea[name=text]", "失礼いたしました。")
    page.select_option("select[name=suggested_disposition]", "refused")
    _save_step(page)
    assert "end" in page.locator("[data-testid=problems]").inner_text()  # the closing is still empty
    _edit(page, "end")
    page.fill("textarea[name=text]", "ありがとうございました。")
    _save_step(page)

    assert "公開できます" in page.locator("[data-testid=problems]").inner_text()
    outline = page.locator("[data-testid=flow-outline]")
    for text in ("ご興味", "購入回数で分岐", "上位プランのご案内", "お断り", "それ以外"):
        assert text in outline.inner_text()
    shot(page, "scripts-editor")

    page.locator("[data-testid=open-publish]").click()
    page.fill("textarea[name=notes]", "初版")
    page.locator("[data-testid=publish]").click()
    page.wait_for_load_state("networkidle")
    version.refresh_from_db()
    assert version.status == "published" and version.notes == "初版"
    assert "公開中" in page.locator("[data-testid=version-table]").inner_text()
    shot(page, "scripts-detail")

    # The flow that was written is the flow that was published.
    steps = {s.key: s for s in version.steps.prefetch_related("choices__next_step")}
    assert version.start_step.key == "opening" and version.start_step.is_disclosure
    assert steps["opening"].next_step.key == "q1"
    assert [(c.label, c.next_step.key) for c in steps["q1"].choices.all()] == [("はい", "branch1"), ("いいえ", "end1")]
    assert steps["branch1"].branch_rules == [
        {"source": "customer:purchase_count", "op": "gte", "value": "5", "next": "say1"}
    ]
    assert "{{ operator.last_name }}" in steps["opening"].text

    # Editing again starts draft v2; the published version stays read-only.
    page.locator("[data-testid=start-draft]").click()
    page.wait_for_load_state("networkidle")
    assert ScriptVersion.objects.get(script=version.script, number=2).status == "draft"
    page.goto(page.base_url + f"/scripts/versions/{version.pk}/")
    assert page.locator("[data-testid=edit-step]").count() == 0
    shot(page, "scripts-published-readonly")
    page.goto(page.base_url + "/scripts/")
    shot(page, "scripts-list")


@pytest.fixture
def held_entry(operator, reference_data):
    version = branching_script()
    campaign = CampaignFactory(name="春の掘り起こし", script=version.script)
    customer = CustomerFactory(name="<script>alert(1)</script>山田", purchase_count=0)
    return CallListEntryFactory(
        call_list__campaign=campaign,
        status=CallListEntry.Status.HELD,
        held_by=operator,
        customer=customer,
        held_until=timezone.now() + datetime.timedelta(minutes=15),
    )


CONSOLE_STANDIN = """<!doctype html><html lang="ja"><head><meta charset="utf-8">
<link rel="stylesheet" href="/static/vendor/bootstrap/css/bootstrap.min.css">
<link rel="stylesheet" href="/static/vendor/bootstrap-icons/bootstrap-icons.min.css"></head>
<body hx-headers='{"X-CSRFToken": "x"}'><main class="container py-3"><div class="row">
<div class="col-7"><div id="script-panel" hx-get="%(panel_url)s" hx-trigger="load"></div></div>
<div class="col-5"><form id="outcome-form"><select name="disposition"><option value="">-</option>
<option value="success">成約</option><option value="refused">断り</option></select></form></div>
</div></main><script src="/static/vendor/htmx/htmx.min.js"></script></body></html>"""


def test_operator_walks_the_script_in_the_console_panel(page, browser_login, operator, held_entry, shot):
    """The console page is another area's; this stand-in follows its contract exactly: a div that
    loads campaigns:console_walk with htmx on load, and a form with id outcome-form."""
    browser_login(operator)
    page.route(
        page.base_url + "/console-standin/",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            body=CONSOLE_STANDIN % {"panel_url": reverse("campaigns:console_walk", args=[held_entry.pk])},
        ),
    )
    page.goto(page.base_url + "/console-standin/")
    walk = page.locator("[data-testid=script-walk]")
    walk.locator("[data-testid=walk-step-opening]").wait_for(state="visible")
    opening = walk.locator("[data-testid=walk-step-opening]")
    assert "<script>alert(1)</script>山田" in opening.inner_text()  # shown as text, not run
    assert "鈴木" in opening.inner_text()  # {{ operator.last_name }}

    # The disclosure blocks everything until confirmed.
    opening.locator("[data-testid=walk-next]").click()
    assert opening.locator("[data-walk-error]").is_visible()
    assert walk.locator("[data-testid=walk-jump]").is_disabled()
    shot(page, "scripts-walk-disclosure")
    opening.locator("[data-testid=walk-disclosure]").check()
    opening.locator("[data-testid=walk-next]").click()

    interest = walk.locator("[data-testid=walk-step-interest]")
    interest.wait_for(state="visible")
    interest.locator("[data-testid=walk-next]").click()
    assert interest.locator("[data-walk-error]").is_visible()  # required
    interest.locator("[data-testid=walk-next]").focus()
    page.keyboard.press("1")  # keyboard: first choice
    page.keyboard.press("ArrowRight")

    budget = walk.locator("[data-testid=walk-step-budget]")
    budget.wait_for(state="visible")
    budget.locator("input[name=walk-budget]").fill("5000")
    budget.locator("input[name=walk-budget]").press("Enter")
    # budget < 10000 and only 0 purchases: the branch sends this customer to the basic plan.
    walk.locator("[data-testid=walk-step-basic]").wait_for(state="visible")
    shot(page, "scripts-walk-branch")
    page.keyboard.press("ArrowLeft")
    budget.wait_for(state="visible")
    budget.locator("input[name=walk-budget]").fill("50000")
    budget.locator("[data-testid=walk-next]").click()
    walk.locator("[data-testid=walk-step-premium]").wait_for(state="visible")
    walk.locator("[data-testid=walk-step-premium] [data-testid=walk-next]").click()
    end = walk.locator("[data-testid=walk-step-end_success]")
    end.wait_for(state="visible")
    assert "成約" in end.inner_text()
    end.locator("[data-walk-suggest]").click()
    assert page.locator("#outcome-form select[name=disposition]").input_value() == "success"

    # Rebuttal search, placeholders rendered there too.
    walk.locator("[data-testid=rebuttal-search]").fill("高い")
    visible = walk.locator("[data-testid=rebuttal]:visible")
    assert visible.count() == 1 and "<script>alert(1)</script>山田様" in visible.inner_text()
    shot(page, "scripts-walk-end")

    # The answers travel with the outcome form, as the console's record_outcome expects them.
    submitted = page.evaluate("Object.fromEntries(new FormData(document.getElementById('outcome-form')))")
    answers = json.loads(submitted["answers"])
    version = held_entry.campaign.script.latest_published()
    assert submitted["script_version"] == str(version.pk)
    assert answers == {"opening": True, "interest": "yes", "budget": 50000}
    assert (
        validate_answers(
            version=version,
            answers=answers,
            disposition=Disposition.objects.get(code="success"),
            customer=held_entry.customer,
        )
        == []
    )

    # A reload (or a re-render of the panel) keeps the walk where it was.
    page.reload()
    walk.locator("[data-testid=walk-step-end_success]").wait_for(state="visible")
    # Jump, then back.
    page.locator("[data-testid=walk-jump]").select_option("interest")
    interest.wait_for(state="visible")
    interest.locator("[data-testid=walk-back]").click()
    end.wait_for(state="visible")


def test_operator_sees_a_clear_message_for_an_entry_not_held(page, browser_login, operator2, held_entry, shot):
    browser_login(operator2)
    response = page.goto(page.base_url + reverse("campaigns:console_walk", args=[held_entry.pk]))
    assert response.status == 409
    assert page.locator("[data-testid=script-walk-unavailable]").is_visible()


def test_supervisor_previews_with_a_sample_customer(page, browser_login, supervisor, reference_data, shot):
    version = branching_script(publish=False)
    CustomerFactory(name="佐々木 花子", external_id="C-777")
    browser_login(supervisor)
    page.goto(page.base_url + f"/scripts/versions/{version.pk}/preview/")
    page.fill("[data-testid=customer-search]", "C-777")
    page.locator("[data-testid=customer-search]").press("Enter")
    page.get_by_role("link", name=re.compile("佐々木 花子")).click()
    page.wait_for_load_state("networkidle")
    assert "佐々木 花子" in page.locator("[data-testid=walk-step-opening]").inner_text()
    assert page.locator("[data-testid=answers-preview]").inner_text() in ("まだ回答はありません。", "No answers yet.")
    page.locator("[data-testid=walk-disclosure]").check()
    page.locator("[data-testid=walk-step-opening] [data-testid=walk-next]").click()
    page.locator("[data-testid=walk-step-interest] label").first.click()
    assert json.loads(page.locator("[data-testid=answers-preview]").inner_text()) == {
        "opening": True,
        "interest": "yes",
    }
    shot(page, "scripts-preview")
    assert Script.objects.count() == 1


def test_supervisor_keeps_the_rebuttal_library_and_imports_a_script(
    page, browser_login, supervisor, reference_data, shot, tmp_path
):
    _accept_dialogs(page)
    version = branching_script()
    browser_login(supervisor)
    page.goto(page.base_url + f"/scripts/{version.script_id}/rebuttals/")
    form = page.locator("[data-testid=rebuttal-form]")
    form.locator("input[name=objection]").fill("家族に相談したい")
    form.locator("textarea[name=answer]").fill("資料をお送りしますので、ご家族様とご覧ください。")
    form.locator("input[name=tags]").fill("相談 家族")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    table = page.locator("[data-testid=rebuttal-table]")
    assert "家族に相談したい" in table.inner_text()
    shot(page, "scripts-rebuttals")
    table.locator("tr", has_text="忙しい").get_by_role("button").click()  # delete, confirmed
    page.wait_for_load_state("networkidle")
    assert "忙しい" not in page.locator("[data-testid=rebuttal-table]").inner_text()

    export = tmp_path / "script.json"
    export.write_text(json.dumps(branching_export_for(version)), encoding="utf-8")
    page.goto(page.base_url + "/scripts/import/")
    page.set_input_files("input[name=file]", str(export))
    page.locator("[data-testid=import-submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".alert-danger, .invalid-feedback, .alert-block").count() >= 1  # the name exists
    shot(page, "scripts-import-error")
    page.set_input_files("input[name=file]", str(export))
    page.fill("input[name=name]", "取り込んだ台本")
    page.locator("[data-testid=import-submit]").click()
    page.wait_for_load_state("networkidle")
    imported = ScriptVersion.objects.get(script__name="取り込んだ台本")
    assert page.url.endswith(f"/scripts/versions/{imported.pk}/") and imported.status == "draft"
    assert "公開できます" in page.locator("[data-testid=problems]").inner_text()


def branching_export_for(version):
    from scripts.services import export_version

    return export_version(version)


def test_question_card_lists_unrouted_choices_and_creates_a_choice_next_step(page, browser_login, supervisor, shot):
    from scripts import services

    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    version = services.create_script(name="その場で次のステップ", by=supervisor).versions.get()
    end = version.steps.get(key="end")
    question = services.add_step(
        version=version, kind="question", title="ご興味", after=version.steps.get(key="opening"), by=supervisor
    )
    services.update_step(
        step=question,
        values={"text": "ご興味はございますか。"},
        choices=[{"value": "yes", "label": "はい", "next_step": end}, {"value": "no", "label": "いいえ"}],
        by=supervisor,
    )
    browser_login(supervisor)
    page.goto(page.base_url + f"/scripts/versions/{version.pk}/")
    card = page.locator(f"#step-{question.key}")
    choices = card.locator("[data-testid=choice]")
    assert choices.count() == 2
    assert "いいえ" in choices.nth(1).inner_text()  # listed before it is routed
    assert card.locator("[data-testid=choice-unrouted]").count() == 1
    assert "公開できます" not in page.locator("[data-testid=problems]").inner_text()  # steps are empty
    shot(page, "scripts-editor-unrouted-choice")

    choices.nth(1).locator("[data-testid=create-next-step]").click()
    choices.nth(1).locator("[data-testid=create-next-say]").click()
    page.wait_for_load_state("networkidle")
    new_step = version.steps.get(key="say1")
    assert new_step.title == "いいえ"
    assert question.choices.get(value="no").next_step_id == new_step.pk
    assert page.url.endswith("#step-say1")
    assert page.locator("#step-say1").is_visible()
    card = page.locator(f"#step-{question.key}")
    assert card.locator("[data-testid=choice-unrouted]").count() == 0
    assert "say1" in card.locator("[data-testid=choice]").nth(1).inner_text()
    assert card.locator("[data-testid=create-next-step]").count() == 0  # every choice is routed now
    assert "say1" in page.locator("[data-testid=problems]").inner_text()  # the new step is still empty
    shot(page, "scripts-editor-choice-step-created")
    assert errors == []

"""Browser journeys of a supervisor: find a customer, read their page, register and revoke a
do-not-call entry (with confirmation), build a segment with a live count. Screenshots go to
test-artifacts/contacts-*.png."""

import datetime

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import expect

from contacts.models import DoNotCall
from contacts.services.dnc import register_dnc, revoke_dnc
from contacts.tests.factories import CustomerFactory, SegmentFactory

pytestmark = pytest.mark.browser


def some_customers():
    now = timezone.now()
    yamada = CustomerFactory(
        external_id="CU-000101",
        name="山田 太郎",
        name_kana="ヤマダ タロウ",
        gender="male",
        prefecture="東京都",
        phones=["090-1234-5678", "03-3456-7890"],
        purchase_count=12,
        total_spent=158000,
        subscription_status="active",
        tags=["VIP", "定期便"],
        last_purchase_at=now - datetime.timedelta(days=12),
        attributes={"churn_score": 0.82, "favourite_product": "青汁"},
        mail_open_rate=0.41,
    )
    CustomerFactory(
        external_id="CU-000102",
        name="佐藤 花子",
        name_kana="サトウ ハナコ",
        prefecture="大阪府",
        phone="080-2222-3333",
        purchase_count=2,
        total_spent=5960,
        last_purchase_at=now - datetime.timedelta(days=400),
    )
    CustomerFactory(
        external_id="CU-000103",
        name="鈴木 一郎",
        name_kana="スズキ イチロウ",
        prefecture="北海道",
        phone="011-222-3333",
        subscription_status="cancelled",
        tags=["DM送付済"],
        last_purchase_at=now - datetime.timedelta(days=200),
        purchase_count=4,
        total_spent=19800,
    )
    return yamada


def test_customer_search_by_phone_and_kana_then_open_the_page(page, browser_login, supervisor, operator, shot):
    yamada = some_customers()
    register_dnc(by=supervisor, phone="03-3456-7890", reason=DoNotCall.Reason.WRONG_NUMBER, source="supervisor")
    old = register_dnc(
        by=supervisor,
        customer=yamada,
        reason=DoNotCall.Reason.CUSTOMER_REQUEST,
        source="inbound",
        note="電話での案内は不要とのこと",
    )
    revoke_dnc(entry=old, by=supervisor, reason="本人より再開の希望")
    Campaign = apps.get_model("campaigns", "Campaign")
    CallAttempt = apps.get_model("campaigns", "CallAttempt")
    Disposition = apps.get_model("campaigns", "Disposition")
    campaign = Campaign.objects.create(name="定期便 解約防止コール", purpose="churn")
    for days, code, notes in [(9, "no_answer", ""), (8, "callback", "夕方なら可"), (7, "success", "継続を了承")]:
        started = timezone.now() - datetime.timedelta(days=days)
        CallAttempt.objects.create(
            campaign=campaign,
            customer=yamada,
            operator=operator,
            phone="+819012345678",
            started_at=started,
            ended_at=started + datetime.timedelta(minutes=2),
            talk_seconds=95 if code != "no_answer" else 0,
            disposition=Disposition.objects.get(code=code),
            notes=notes,
        )

    browser_login(supervisor)
    assert page.url.endswith("/contacts/customers/"), "a supervisor lands on the customer list"
    rows = page.locator("[data-testid=customer-row]")
    expect(rows).to_have_count(3)
    shot(page, "contacts-customer-list")

    search = page.locator("[data-testid=customer-search]")
    search.fill("０９０－１２３４－５６７８")  # typed with a Japanese IME: full-width digits and dash
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("山田 太郎")
    assert "q=" in page.url, "the search is in the address bar (shareable, back button works)"
    shot(page, "contacts-customer-search-phone")

    search.fill("さとう")  # hiragana finds the katakana reading
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("佐藤 花子")

    search.fill("")
    page.select_option("#id_prefecture", "北海道")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("鈴木 一郎")

    page.goto(page.base_url + "/contacts/customers/?q=ヤマダ")
    page.get_by_role("link", name="山田 太郎").click()
    expect(page.locator("[data-testid=customer-name]")).to_contain_text("山田 太郎")
    expect(page.locator("[data-testid=phone-list]")).to_contain_text("090-1234-5678")
    expect(page.locator("[data-testid=phone-list]")).to_contain_text("03-3456-7890")
    # A number of theirs is on the registry, so the customer is not called at all (rule 1).
    expect(page.locator("[data-testid=dnc-status]")).to_contain_text("架電禁止")
    expect(page.locator("[data-testid=dnc-history] tbody tr")).to_have_count(2)
    expect(page.locator("[data-testid=dnc-history]")).to_contain_text("本人より再開の希望")
    expect(page.locator("[data-testid=call-timeline] tbody tr")).to_have_count(3)
    expect(page.locator("[data-testid=call-timeline]")).to_contain_text("継続を了承")
    expect(page.locator("[data-testid=tags]")).to_contain_text("VIP")
    # Known attribute keys by their label, the stored key beside it.
    expect(page.locator("[data-testid=attributes]")).to_contain_text("解約スコア")
    expect(page.locator("[data-testid=attributes]")).to_contain_text("お気に入り商品")
    expect(page.locator("[data-testid=attribute-key]").first).to_have_text("churn_score")
    page.locator("[data-testid=attributes]").scroll_into_view_if_needed()
    shot(page, "contacts-customer-page")


def test_register_and_revoke_a_do_not_call_entry(page, browser_login, supervisor, shot):
    yamada = some_customers()
    browser_login(supervisor)
    page.goto(page.base_url + f"/contacts/customers/{yamada.pk}/")
    page.click("[data-testid=add-dnc]")
    expect(page.locator("#id_customer")).to_have_value("CU-000101")

    page.fill("#id_phone", "12-34")  # a typo: clear message, nothing saved, input kept
    page.click("[data-testid=dnc-submit]")
    expect(page.locator("#id_phone")).to_have_value("12-34")
    expect(page.locator(".invalid-feedback, .text-danger").first).to_be_visible()
    assert DoNotCall.objects.count() == 0
    shot(page, "contacts-dnc-form-error")

    page.fill("#id_phone", "")
    page.select_option("#id_reason", "customer_request")
    page.select_option("#id_source", "inbound")
    page.fill("#id_note", "お客様センターへの電話で申し出")
    page.click("[data-testid=dnc-submit]")
    expect(page.locator("[data-testid=dnc-entry-status]")).to_have_text("有効")
    entry = DoNotCall.objects.get()
    assert entry.customer_id == yamada.pk and entry.source == "inbound"
    shot(page, "contacts-dnc-detail")

    page.goto(page.base_url + "/contacts/dnc/")
    expect(page.locator("[data-testid=dnc-row]")).to_have_count(1)
    shot(page, "contacts-dnc-list")
    page.locator("[data-testid=dnc-row]").get_by_role("link", name="開く").click()

    page.fill("#id_reason", "本人より再開の希望（電話で確認）")
    page.once("dialog", lambda dialog: dialog.dismiss())  # changes their mind: nothing happens
    page.click("[data-testid=revoke-submit]")
    entry.refresh_from_db()
    assert entry.revoked_at is None
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=revoke-submit]")
    expect(page.locator("[data-testid=dnc-entry-status]")).to_have_text("解除済み")
    expect(page.locator("[data-testid=revoke-reason]")).to_have_text("本人より再開の希望（電話で確認）")
    entry.refresh_from_db()
    assert entry.revoked_by == supervisor
    expect(page.locator("[data-testid=dnc-events] li")).to_have_count(2)
    shot(page, "contacts-dnc-revoked")

    page.goto(page.base_url + "/contacts/dnc/audit/")
    expect(page.locator("[data-testid=dnc-audit-table] tbody tr")).to_have_count(2)
    shot(page, "contacts-dnc-audit")


def test_segment_builder_with_live_count(page, browser_login, supervisor, shot):
    some_customers()
    SegmentFactory(
        name="定期購入中",
        criteria={"match": "all", "rules": [{"field": "subscription_status", "op": "eq", "value": "active"}]},
    )
    browser_login(supervisor)
    page.goto(page.base_url + "/contacts/segments/")
    expect(page.locator("[data-testid=segment-count]")).to_have_text("1")
    page.click("[data-testid=segment-new]")

    count = page.locator("[data-testid=segment-live-count]")
    expect(count).to_have_attribute("data-count", "3")  # no rules yet: everyone

    page.fill("#id_name", "休眠顧客（180日以上購入なし）")
    page.click("[data-testid=add-rule]")  # default rule: days since last purchase ≥ 180
    expect(count).to_have_attribute("data-count", "2")
    row = page.locator("[data-testid=rule-row]").first
    row.locator("[data-testid=rule-value]").fill("300")
    expect(count).to_have_attribute("data-count", "1")
    shot(page, "contacts-segment-builder")

    page.click("[data-testid=add-rule]")
    second = page.locator("[data-testid=rule-row]").nth(1)
    second.locator("[data-testid=rule-field]").select_option("prefecture")
    second.locator("[data-testid=rule-op]").select_option("in")
    second.locator("[data-testid=rule-value]").fill("北海道, 大阪府")
    expect(count).to_have_attribute("data-count", "1")  # all: 400 days and in Osaka
    page.select_option("[data-testid=segment-match]", "any")
    expect(count).to_have_attribute("data-count", "2")

    second.locator("[data-testid=rule-field]").select_option("age")
    second.locator("[data-testid=rule-op]").select_option("between")
    inputs = second.locator("[data-testid=rule-value]")
    inputs.nth(0).fill("50")
    inputs.nth(1).fill("20")
    expect(page.locator("[data-testid=segment-errors]")).to_contain_text("下限 50 が上限 20 より大きく")
    shot(page, "contacts-segment-builder-error")
    inputs.nth(1).fill("60")
    expect(count).to_be_visible()

    page.click("[data-testid=segment-save]")
    expect(page.locator(".alert-success")).to_contain_text("休眠顧客（180日以上購入なし）")
    expect(page.locator("[data-testid=segment-row]")).to_have_count(2)
    expect(page.locator("[data-testid=segment-count]")).to_have_count(2)
    shot(page, "contacts-segment-list")

    from contacts.models import Segment

    saved = Segment.objects.get(name="休眠顧客（180日以上購入なし）")
    assert saved.criteria == {
        "match": "any",
        "rules": [
            {"field": "last_purchase_days", "op": "gte", "value": 300},
            {"field": "age", "op": "between", "value": [50, 60]},
        ],
    }
    page.get_by_role("link", name="休眠顧客（180日以上購入なし）").click()
    expect(page.locator("[data-testid=rule-row]")).to_have_count(2)
    expect(page.locator("[data-testid=segment-live-count]")).to_be_visible()

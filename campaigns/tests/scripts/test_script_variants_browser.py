"""Browser journey: a supervisor maps a segment to a talk script on the campaign page, sees it
listed before the default, and deletes it after confirming."""

import pytest
from playwright.sync_api import expect

from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import SegmentFactory
from scripts import services as script_services
from scripts.tests.factories import branching_script

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_adds_and_deletes_a_script_variant(page, browser_login, supervisor, shot):
    default = branching_script(name="休眠顧客掘り起こし（標準）")
    heavy = branching_script(name="ヘビーユーザー向け 定期便ご案内")
    script_services.create_script(name="新規向け（作成中）", by=supervisor)
    campaign = CampaignFactory(name="休眠顧客 掘り起こし 2026秋", script=default.script)
    segment = SegmentFactory(
        name="高額購入者（累計10万円以上）",
        criteria={"match": "all", "rules": [{"field": "total_spent", "op": "gte", "value": 100000}]},
    )
    SegmentFactory(name="定期購入中")

    browser_login(supervisor)
    page.goto(page.base_url + f"/campaigns/manage/{campaign.pk}/")
    card = page.get_by_test_id("script-variants")
    expect(card).to_contain_text("スクリプトの出し分け")
    expect(card.get_by_test_id("variant-default")).to_contain_text("休眠顧客掘り起こし（標準）")
    # The script without a published version is marked in the menu.
    expect(card.locator("select[name=script] option", has_text="新規向け（作成中）")).to_contain_text("公開版なし")

    card.locator("select[name=segment]").select_option(str(segment.pk))
    card.locator("select[name=script]").select_option(str(heavy.script.pk))
    card.get_by_test_id("variant-add").click()
    expect(page.locator(".alert-success")).to_contain_text("ヘビーユーザー向け 定期便ご案内")
    row = page.get_by_test_id("variant-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("高額購入者（累計10万円以上）")
    expect(row).to_contain_text("v1")
    # The mapped segment is no longer offered.
    expect(card.locator("select[name=segment] option", has_text="高額購入者")).to_have_count(0)
    shot(page, "script-variants-added")

    # Cancelling the confirmation keeps it; accepting deletes it.
    page.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_test_id("variant-delete").click()
    expect(row).to_have_count(1)
    messages = []

    def accept(dialog):
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    row.get_by_test_id("variant-delete").click()
    expect(page.locator(".alert-success")).to_contain_text("削除しました")
    expect(page.get_by_test_id("variant-row")).to_have_count(0)
    expect(card).to_contain_text("出し分けはありません")
    assert "高額購入者（累計10万円以上）" in messages[0]
    assert not campaign.script_variants.exists()
    shot(page, "script-variants-deleted")

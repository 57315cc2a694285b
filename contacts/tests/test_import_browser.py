"""The supervisor's import journey in a real browser, with the real Celery worker: upload a CSV
with a bad row, map its columns, watch the progress, see the summary and the error list."""

import re

import pytest
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from contacts.models import Customer, ImportJob
from contacts.tests.factories_imports import HEADER, ROWS, csv_bytes

pytestmark = [pytest.mark.browser, pytest.mark.worker]


def test_upload_map_watch_progress_and_read_the_errors(page, browser_login, supervisor, celery_worker_process, shot):
    # The worker is another process with its own settings: uploads go to the real MEDIA_ROOT and
    # are deleted at the end.
    rows = [HEADER + ["好きな商品"]]
    rows += [row + ["緑茶"] for row in ROWS]
    rows.append(
        [
            "C0004",
            "高橋 美咲",
            "タカハシ ミサキ",
            "090-4444-5555",
            "",
            "女性",
            "1990-02-30",
            "東京都",
            "",
            "2",
            "8000",
            "紅茶",
        ]
    )
    data = csv_bytes(rows, encoding="cp932")
    browser_login(supervisor)
    try:
        page.goto(page.base_url + "/contacts/imports/")
        expect(page.get_by_role("heading", name="インポート")).to_be_visible()
        shot(page, "imports-list-empty")

        page.set_input_files(
            "input[name=file]", files=[{"name": "顧客リスト.csv", "mimeType": "text/csv", "buffer": data}]
        )
        page.click("[data-testid=upload-submit]")
        expect(page.get_by_role("heading", name="列の対応付け")).to_be_visible()
        expect(page.get_by_test_id("mapping-encoding")).to_have_text("cp932")
        expect(page.get_by_test_id("map-0")).to_have_value("external_id")
        expect(page.get_by_test_id("map-3")).to_have_value("phone")
        expect(page.get_by_test_id("map-11")).to_have_value("")  # 好きな商品: not recognised
        page.get_by_test_id("map-11").select_option("__attribute__")
        expect(page.get_by_test_id("preview-table")).to_contain_text("高橋 美咲")
        shot(page, "imports-mapping")

        page.click("[data-testid=start-import]")
        expect(page).to_have_url(re.compile(r"/contacts/imports/\d+/$"))
        job = ImportJob.objects.get()
        # Right after the start the page shows the progress card (polled by htmx); when the worker
        # has finished, the page reloads itself with the summary.
        progress_seen = page.get_by_test_id("import-progress").is_visible()
        if progress_seen:
            shot(page, "imports-progress")
        expect(page.get_by_test_id("import-summary")).to_be_visible(timeout=60000)
        expect(page.get_by_test_id("count-created")).to_have_text("3")
        expect(page.get_by_test_id("count-failed")).to_have_text("1")
        error_rows = page.get_by_test_id("error-row")
        expect(error_rows).to_have_count(1)
        expect(error_rows.first).to_contain_text("5")
        expect(error_rows.first).to_contain_text("生年月日")
        expect(error_rows.first).to_contain_text("1990-02-30")
        expect(page.get_by_test_id("error-table")).to_contain_text("日付ではありません")
        expect(page.get_by_text("見出しが1行目なので、最初のデータ行は2行目です").first).to_be_visible()
        shot(page, "imports-done-with-errors")

        with page.expect_download() as download:
            page.click("[data-testid=errors-csv]")
        content = open(download.value.path(), encoding="utf-8-sig").read()
        assert "5,生年月日,1990-02-30" in content
        assert Customer.objects.get(external_id="C0001").attributes == {"好きな商品": "緑茶"}

        page.goto(page.base_url + "/contacts/imports/")
        expect(page.get_by_test_id("import-row")).to_have_count(1)
        expect(page.get_by_test_id("import-status")).to_have_text("完了（エラーあり）")
        shot(page, "imports-list")
    finally:
        for job in ImportJob.objects.all():
            default_storage.delete(job.file.name)


def test_progress_bar_of_a_running_import(page, browser_login, supervisor, shot):
    job = ImportJob.objects.create(
        original_name="大量リスト.csv",
        file="imports/uploads/x/none.csv",
        status=ImportJob.Status.RUNNING,
        total_rows=1_000_000,
        processed_rows=420_000,
        created_by=supervisor,
        encoding="cp932",
    )
    browser_login(supervisor)
    page.goto(page.base_url + f"/contacts/imports/{job.pk}/")
    bar = page.get_by_test_id("import-progress")
    expect(bar).to_contain_text("420,000")
    expect(page.locator(".progress-bar")).to_have_attribute("style", "width: 37%")
    shot(page, "imports-progress-running")
    # The card is polled: when the job moves on, the page follows without a reload by the user.
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=1_000_000)
    expect(bar).to_contain_text("顧客と電話番号を保存しています", timeout=30000)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, message="テスト用の失敗")
    expect(page.get_by_test_id("import-failed")).to_contain_text("テスト用の失敗", timeout=30000)

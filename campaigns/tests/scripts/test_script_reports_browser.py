"""Browser check of the script report pages (survey table, results by version)."""

import pytest
from django.urls import reverse

from conftest import wait_until

from .test_script_reports import survey  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


def test_supervisor_reads_survey_results_and_compares_versions(page, browser_login, supervisor, survey, shot):  # noqa: F811
    campaign, v1, v2 = survey
    browser_login(supervisor)
    page.goto(page.base_url + reverse("campaigns:script_survey_results", args=[campaign.pk]))
    table = page.locator("[data-testid=survey-table]")
    assert table.locator("tbody tr").count() == 4
    assert "ご関心" in table.locator("thead").inner_text()
    shot(page, "scripts-survey-results")
    with page.expect_download() as download:
        page.locator("[data-testid=survey-csv]").click()
    assert download.value.suggested_filename.endswith(".csv")
    page.goto(page.base_url + reverse("campaigns:script_version_report") + f"?campaign={campaign.pk}")
    rows = page.locator("[data-testid=version-kpi-table] tbody tr")
    assert rows.count() == 2 and "100.0%" in rows.nth(1).inner_text()
    wait_until(
        page, "() => document.getElementById('version-chart') && window.Chart && Chart.getChart('version-chart')"
    )
    shot(page, "scripts-version-report")

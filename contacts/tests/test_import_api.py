"""REST API of imports: 202 → poll → done → errors.csv, bad files and mappings as 400, roles."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from contacts.models import Customer, DoNotCall, ImportJob
from contacts.services import imports
from contacts.tests.factories_imports import HEADER, ROWS, csv_bytes, csv_file, xlsx_file

pytestmark = pytest.mark.django_db
URL = "/api/v1/imports/"


@pytest.fixture(autouse=True)
def media_and_language(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    with translation.override("en"):
        yield


def post(api, data, **extra):
    return api.post(URL, data, format="multipart", HTTP_ACCEPT_LANGUAGE="en", **extra)


def test_upload_202_then_poll_until_done_then_errors_csv(api_as, supervisor, django_capture_on_commit_callbacks):
    api = api_as(supervisor)
    rows = [HEADER, *ROWS, ["C0009", "", "", "", "", "", "", "", "", "", ""]]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(api, {"file": csv_file(rows)})
    assert response.status_code == 202
    assert set(response.json()) == {"id", "status"} and response.json()["status"] == "queued"
    job_id = response.json()["id"]
    assert len(callbacks) == 1
    queued = api.get(f"{URL}{job_id}/").json()
    assert queued["status"] == "queued"
    imports.run_import(job_id=job_id)  # what the Celery task does
    done = api.get(f"{URL}{job_id}/").json()
    assert done["status"] == "done"
    assert {k: done[k] for k in ("total_rows", "created", "updated", "unchanged", "failed")} == {
        "total_rows": 4,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "failed": 1,
    }
    assert done["errors"] == [{"line": 5, "column": "氏名", "value": "", "message": "The name is empty."}]
    assert done["errors_truncated"] is False
    assert done["errors_csv"].endswith(f"/api/v1/imports/{job_id}/errors.csv")
    csv_response = api.get(f"{URL}{job_id}/errors.csv")
    assert csv_response.status_code == 200
    body = b"".join(csv_response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff") and "5,氏名,,The name is empty." in body
    listing = api.get(URL).json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == job_id


def test_encoding_and_mapping_can_be_given(api_as, supervisor):
    api = api_as(supervisor)
    data = csv_bytes([["番号", "お客様", "連絡先"], ["X1", "山田 太郎", "090-1111-2222"]], encoding="cp932")
    mapping = {"番号": "external_id", "お客様": "name", "連絡先": "mobile_phone"}
    response = post(
        api,
        {
            "file": SimpleUploadedFile("x.csv", data),
            "encoding": "shift_jis",
            "mapping": json.dumps(mapping, ensure_ascii=False),
        },
    )
    assert response.status_code == 202, response.json()
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.encoding == "cp932"
    imports.run_import(job_id=job.pk)
    assert Customer.objects.get(external_id="X1").phones.get().kind == "mobile"


@pytest.mark.parametrize(
    "encoding, stored",
    [
        ("Shift_JIS", "cp932"),
        ("CP932", "cp932"),
        ("sjis", "cp932"),
        ("UTF-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("auto", "utf-8"),
    ],
)
def test_encodings_as_api_md_names_them(api_as, supervisor, encoding, stored):
    """docs/api.md#imports says "UTF-8" and "Shift_JIS/CP932": those spellings were refused as unknown choices."""
    codec = "cp932" if stored == "cp932" else "utf-8"
    data = csv_bytes([["番号", "お客様", "連絡先"], ["X1", "山田 太郎", "090-1111-2222"]], encoding=codec)
    mapping = {"番号": "external_id", "お客様": "name", "連絡先": "mobile_phone"}
    response = post(
        api_as(supervisor),
        {
            "file": SimpleUploadedFile("x.csv", data),
            "encoding": encoding,
            "mapping": json.dumps(mapping, ensure_ascii=False),
        },
    )
    assert response.status_code == 202, response.json()
    assert ImportJob.objects.get(pk=response.json()["id"]).encoding == stored


def test_an_unknown_encoding_is_a_400_on_encoding(api_as, supervisor):
    response = post(api_as(supervisor), {"file": csv_file(), "encoding": "klingon"})
    assert response.status_code == 400 and "klingon" in response.json()["errors"]["encoding"][0]
    assert not ImportJob.objects.exists()


def test_xlsx_upload(api_as, supervisor):
    response = post(api_as(supervisor), {"file": xlsx_file([HEADER, *ROWS])})
    assert response.status_code == 202
    imports.run_import(job_id=response.json()["id"])
    assert Customer.objects.count() == 3


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.csv", b"\r\n", "The file is empty."),
        ("rows.csv", csv_bytes(ROWS), "column names"),
        ("binary.csv", b"\x00\x01\x02" * 100, "binary"),
        ("semicolons.csv", csv_bytes([HEADER, *ROWS], delimiter=";"), "“;”"),
    ],
)
def test_bad_files_are_400_with_the_reason(api_as, supervisor, tmp_path, name, data, message):
    response = post(api_as(supervisor), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 400
    assert message in response.json()["errors"]["file"][0]
    assert not ImportJob.objects.exists()
    assert not list(tmp_path.rglob("*.*"))


def test_file_over_the_limit_is_400(api_as, supervisor, settings):
    settings.IMPORT_MAX_BYTES = 10
    response = post(api_as(supervisor), {"file": csv_file()})
    assert response.status_code == 400 and "too large" in response.json()["errors"]["file"][0]


def test_missing_required_column_is_400_and_the_upload_is_deleted(api_as, supervisor, tmp_path):
    data = csv_bytes([["顧客ID", "電話番号"], ["C1", "090-1111-2222"]])
    response = post(api_as(supervisor), {"file": SimpleUploadedFile("c.csv", data)})
    assert response.status_code == 400
    assert "氏名" in response.json()["errors"]["mapping"][0]
    assert not list(tmp_path.rglob("*.*"))


@pytest.mark.parametrize("mapping", ['["not", "an", "object"]', '{"顧客ID": 1}', "not json"])
def test_malformed_mapping_is_400(api_as, supervisor, mapping):
    response = post(api_as(supervisor), {"file": csv_file(), "mapping": mapping})
    assert response.status_code == 400 and "mapping" in response.json()["errors"]


def test_dnc_import_through_the_api(api_as, supervisor):
    data = "電話番号\r\n090-1234-5678\r\n".encode("cp932")
    response = post(api_as(supervisor), {"file": SimpleUploadedFile("dnc.csv", data), "kind": "dnc", "reason": "legal"})
    assert response.status_code == 202
    imports.run_import(job_id=response.json()["id"])
    entry = DoNotCall.objects.get()
    assert (entry.phone_number, entry.reason, entry.source, entry.created_by) == (
        "+819012345678",
        "legal",
        "import",
        supervisor,
    )


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Not a phone number that can be dialed: nothing was registered for this row."),
        ("ja", "発信できる電話番号ではありません。この行は登録されていません。"),
    ],
)
def test_a_dnc_import_reports_its_unusable_numbers_on_the_page_and_in_the_api(
    api_as, login, supervisor, language, message
):
    from django.urls import reverse
    from django.utils import translation

    data = "電話番号\r\n090-1234-5678\r\n12345\r\n".encode("cp932")
    with translation.override(language):
        response = api_as(supervisor).post(
            URL,
            {"file": SimpleUploadedFile("dnc.csv", data), "kind": "dnc", "reason": "legal"},
            format="multipart",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert response.status_code == 202
        imports.run_import(job_id=response.json()["id"])
    job_id = response.json()["id"]
    detail = api_as(supervisor).get(f"{URL}{job_id}/", HTTP_ACCEPT_LANGUAGE=language).json()
    assert detail["failed"] == 1
    assert detail["errors"] == [{"line": 3, "column": "電話番号", "value": "12345", "message": message}]
    page = login(supervisor).get(reverse("contacts:import_detail", args=[job_id]), HTTP_ACCEPT_LANGUAGE=language)
    assert "12345" in page.content.decode() and message in page.content.decode()


def test_roles(api_as, api_client, operator, manager, client_viewer):
    assert api_client.get(URL).status_code == 401
    for user in (operator, manager, client_viewer):
        api = api_as(user)
        assert api.get(URL).status_code == 403
        assert post(api, {"file": csv_file()}).status_code == 403
    assert not ImportJob.objects.exists()


def test_unknown_job_is_404(api_as, supervisor):
    api = api_as(supervisor)
    assert api.get(f"{URL}999999/").status_code == 404
    assert api.get(f"{URL}999999/errors.csv").status_code == 404

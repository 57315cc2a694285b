"""Import pages: upload, the mapping step, the job page, progress polling, the error CSV, roles."""

import pytest
from django.urls import reverse
from django.utils import translation

from contacts.models import Customer, ImportJob
from contacts.services import imports
from contacts.tests.factories_imports import HEADER, ROWS, csv_bytes, csv_file, run_import

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_and_language(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def upload(client, uploaded_file, kind="customers", encoding=""):
    return client.post(reverse("contacts:import_list"), {"file": uploaded_file, "kind": kind, "encoding": encoding})


def mapping_post(client, url, headers, mapping, **extra):
    data = {"start": "1", "encoding": extra.pop("encoding", "")}
    for index, header in enumerate(headers):
        data[f"column_{index}"] = mapping.get(header, "")
    data.update(extra)
    return client.post(url, data)


# ---------------------------------------------------------------- roles


@pytest.mark.parametrize("name", ["import_list"])
def test_operators_and_managers_may_not_import(login, operator, manager, name):
    for user in (operator, manager):
        assert login(user).get(reverse(f"contacts:{name}")).status_code == 403


def test_every_import_page_is_refused_to_an_operator(login, operator, supervisor):
    job = run_import(supervisor, csv_file())
    client = login(operator)
    for name in ("import_detail", "import_progress", "import_errors_csv"):
        assert client.get(reverse(f"contacts:{name}", args=[job.pk])).status_code == 403
    assert client.post(reverse("contacts:import_list"), {"file": csv_file()}).status_code == 403


def test_anonymous_users_go_to_the_login_page(client):
    response = client.get(reverse("contacts:import_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_imports_show_in_the_supervisor_navigation(login, supervisor):
    response = login(supervisor).get(reverse("contacts:import_list"))
    assert response.status_code == 200
    assert reverse("contacts:import_list") in [item["url"] for item in response.context["nav_items"]]


# ---------------------------------------------------------------- upload and mapping


def test_upload_leads_to_mapping_with_recognised_columns_and_a_preview(login, supervisor):
    client = login(supervisor)
    response = upload(client, csv_file(encoding="cp932"))
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    content = page.content.decode()
    assert "cp932" in content
    form = page.context["form"]
    assert form["column_0"].value() == "external_id"
    assert form["column_1"].value() == "name"
    assert form["column_4"].value() == "mobile_phone"
    preview = page.context["inspection"].preview
    assert preview[0] == (2, ROWS[0])
    assert "the header is line 1, so the first data row is line 2" in content
    assert not ImportJob.objects.exists()  # nothing is queued before the mapping is confirmed


def test_confirming_the_mapping_queues_the_import(login, supervisor, django_capture_on_commit_callbacks):
    client = login(supervisor)
    mapping_url = upload(client, csv_file())["Location"]
    mapping = {"顧客ID": "external_id", "氏名": "name", "電話番号": "phone", "購入回数": "purchase_count"}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = mapping_post(client, mapping_url, HEADER, mapping)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("contacts:import_detail", args=[job.pk])
    assert job.status == ImportJob.Status.QUEUED and job.created_by == supervisor
    assert job.mapping["columns"]["氏名"] == "name" and job.mapping["columns"]["性別"] == ""
    assert len(callbacks) == 1  # the Celery task, sent once the transaction commits
    imports.run_import(job_id=job.pk)
    customer = Customer.objects.get(external_id="C0001")
    assert customer.purchase_count == 3 and customer.gender == ""  # 性別 was not imported


def test_mapping_without_a_required_column_says_which(login, supervisor):
    client = login(supervisor)
    mapping_url = upload(client, csv_file())["Location"]
    response = mapping_post(client, mapping_url, HEADER, {"顧客ID": "external_id"})
    assert response.status_code == 200
    assert any("name (氏名)" in error for error in response.context["form"].non_field_errors())
    assert not ImportJob.objects.exists()


def test_changing_the_encoding_rereads_the_preview(login, supervisor):
    client = login(supervisor)
    mapping_url = upload(client, csv_file(encoding="cp932"))["Location"]
    response = client.get(mapping_url, {"encoding": "utf-8"})
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any("cannot be read as UTF-8" in m for m in messages)
    assert response.context["inspection"].encoding == "cp932"


class InspectedOnce:
    """Stands in for inspect_file: the upload may read the file once; reading it again (up to
    IMPORT_MAX_BYTES) in a later request of the mapping step fails the test."""

    def __init__(self, allowed=1):
        from contacts.imports.reading import inspect_file

        self.inspect_file, self.allowed, self.calls = inspect_file, allowed, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls > self.allowed:
            raise AssertionError("the upload was inspected again")
        return self.inspect_file(*args, **kwargs)


def test_the_mapping_step_does_not_read_the_upload_again(login, supervisor, monkeypatch):
    inspect_file = InspectedOnce()
    monkeypatch.setattr("contacts.services.imports.inspect_file", inspect_file)
    client = login(supervisor)
    mapping_url = upload(client, csv_file(encoding="cp932"))["Location"]
    page = client.get(mapping_url)
    assert page.status_code == 200
    assert page.context["inspection"].encoding == "cp932"
    assert page.context["inspection"].preview[0] == (2, ROWS[0])
    assert page.context["inspection"].estimated_rows == 3
    mapping = {"顧客ID": "external_id", "氏名": "name", "電話番号": "phone"}
    assert mapping_post(client, mapping_url, HEADER, {"顧客ID": "external_id"}).status_code == 200  # form error
    response = mapping_post(client, mapping_url, HEADER, mapping)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert (job.encoding, job.total_rows, job.mapping["source"]["headers"]) == ("cp932", 3, HEADER)
    assert inspect_file.calls == 1


def test_an_encoding_chosen_on_the_mapping_page_is_read_once_too(login, supervisor, monkeypatch):
    inspect_file = InspectedOnce(allowed=2)  # the upload, then the file read as Shift_JIS
    monkeypatch.setattr("contacts.services.imports.inspect_file", inspect_file)
    client = login(supervisor)
    mapping_url = upload(client, csv_file(encoding="cp932"))["Location"]
    assert client.get(mapping_url, {"encoding": "cp932"}).context["form"]["encoding"].value() == "cp932"
    response = mapping_post(client, mapping_url, HEADER, {"顧客ID": "external_id", "氏名": "name"}, encoding="cp932")
    assert response.status_code == 302
    assert inspect_file.calls == 2


def test_a_tampered_or_expired_upload_token_is_refused_with_the_reason(login, supervisor, monkeypatch):
    client = login(supervisor)
    mapping_url = upload(client, csv_file())["Location"]
    token = mapping_url.rstrip("/").rsplit("/", 1)[1]
    signature_char = token[-1]
    tampered = token[:-1] + ("A" if signature_char != "A" else "B")
    response = client.get(reverse("contacts:import_mapping", args=[tampered]), follow=True)
    assert "This upload link is not valid (it was changed or cut short); upload the file again." in [
        str(m) for m in response.context["messages"]
    ]
    assert not ImportJob.objects.exists()
    response = client.post(reverse("contacts:import_mapping", args=[tampered]), {"start": "1"}, follow=True)
    assert "This upload link is not valid" in response.content.decode()
    assert not ImportJob.objects.exists()
    monkeypatch.setattr("contacts.views.imports.UPLOAD_TOKEN_MAX_AGE", -1)
    response = client.get(mapping_url, follow=True)
    assert "This upload has expired; upload the file again." in [str(m) for m in response.context["messages"]]


def test_discarding_an_upload_deletes_the_file(login, supervisor, tmp_path):
    client = login(supervisor)
    mapping_url = upload(client, csv_file())["Location"]
    assert list(tmp_path.rglob("*.csv"))
    response = client.post(mapping_url, {"discard": "1"})
    assert response.status_code == 302
    assert not list(tmp_path.rglob("*.csv"))
    assert client.get(mapping_url).status_code == 302  # the upload is gone: back to the list


def test_another_users_or_a_forged_upload_token_is_refused(login, supervisor, admin_user):
    client = login(supervisor)
    mapping_url = upload(client, csv_file())["Location"]
    other = login(admin_user)
    response = other.get(mapping_url, follow=True)
    assert "This upload belongs to another user; upload the file again." in response.content.decode()
    assert other.get(reverse("contacts:import_mapping", args=["forged"]), follow=True).status_code == 200


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.csv", b"", "file is empty"),
        ("rows.csv", csv_bytes(ROWS), "first row must hold the column names"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(200), "binary file"),
        ("semicolons.csv", csv_bytes([HEADER, *ROWS], delimiter=";"), "separated by “;”"),
        ("old.xls", b"\xd0\xcf\x11\xe0" + bytes(100), "Old Excel files"),
    ],
)
def test_bad_files_get_a_clear_message_and_nothing_is_stored(login, supervisor, tmp_path, name, data, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = upload(login(supervisor), SimpleUploadedFile(name, data))
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors["file"])
    assert not list(tmp_path.rglob("*.*"))
    assert not ImportJob.objects.exists()


def test_file_over_the_size_limit_is_refused(login, supervisor, settings):
    settings.IMPORT_MAX_BYTES = 50
    response = upload(login(supervisor), csv_file())
    assert "too large" in response.context["form"].errors["file"][0]


# ---------------------------------------------------------------- the job page


def test_job_page_shows_summary_and_every_error_with_its_line(login, supervisor):
    rows = [HEADER, ROWS[0], ["C0002", "佐藤", "", "", "", "", "1990-02-30", "", "", "", ""]]
    job = run_import(supervisor, csv_file(rows))
    response = login(supervisor).get(reverse("contacts:import_detail", args=[job.pk]))
    content = response.content.decode()
    assert [row[:2] for row in response.context["summary"]] == [
        ("rows", "Rows"),
        ("created", "Created"),
        ("updated", "Updated"),
        ("unchanged", "Unchanged"),
        ("failed", "Failed"),
    ]
    assert [row[2] for row in response.context["summary"]] == [2, 1, 0, 0, 1]
    assert "1990-02-30" in content and "Not a date" in content
    assert reverse("contacts:import_errors_csv", args=[job.pk]) in content


def test_job_page_lists_an_unusable_number_of_an_imported_row_with_the_error_csv(login, supervisor):
    rows = [HEADER, ["C0001", "山田", "", "03-12", "", "", "", "", "", "", ""]]
    job = run_import(supervisor, csv_file(rows))
    assert (job.created_count, job.failed_count) == (1, 0)
    client = login(supervisor)
    content = client.get(reverse("contacts:import_detail", args=[job.pk])).content.decode()
    assert "unusable phone numbers" in content
    assert "03-12" in content and "Not a valid phone number: kept on the customer as entered" in content
    assert reverse("contacts:import_errors_csv", args=[job.pk]) in content
    body = b"".join(client.get(reverse("contacts:import_errors_csv", args=[job.pk])).streaming_content)
    assert body.decode("utf-8-sig").splitlines()[1].startswith('2,電話番号,03-12,"Not a valid phone number')


def test_progress_partial_polls_while_running_and_reloads_the_page_when_done(login, supervisor):
    job = run_import(supervisor, csv_file())
    client = login(supervisor)
    ImportJob.objects.filter(pk=job.pk).update(status="running", processed_rows=1, total_rows=4)
    running = client.get(reverse("contacts:import_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert running.status_code == 200
    assert 'hx-trigger="every 1s"' in running.content.decode()
    assert running.context["progress"] == {"percent": 22, "reading": True}
    ImportJob.objects.filter(pk=job.pk).update(status="done")
    done = client.get(reverse("contacts:import_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and done["HX-Refresh"] == "true"


def test_errors_csv_is_utf8_with_bom_and_safe_for_excel(login, supervisor):
    rows = [
        HEADER,
        ["=SUM(A1)", "", "", "", "", "", "", "", "", "", ""],
        ["C2", "佐藤", "", "", "", "", "", "", "", "-1", ""],
        ["C3", "鈴木", "", "", "", "", "", "", "", "＝1+1", ""],
    ]  # full-width = is a formula to Excel too
    job = run_import(supervisor, csv_file(rows))
    response = login(supervisor).get(reverse("contacts:import_errors_csv", args=[job.pk]))
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == "Line,Column,Value,Error"
    assert lines[1] == "2,氏名,,The name is empty."
    assert lines[2] == "3,購入回数,'-1,Not a whole number of 0 or more."
    assert lines[3] == "4,購入回数,'＝1+1,Not a whole number of 0 or more."


def test_import_list_shows_jobs_with_counts(login, supervisor):
    run_import(supervisor, csv_file())
    response = login(supervisor).get(reverse("contacts:import_list"))
    content = response.content.decode()
    assert "customers.csv" in content
    assert response.context["page"].object_list[0].created_count == 3


def test_dnc_upload_asks_for_reason_and_scope(login, supervisor):
    client = login(supervisor)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = upload(
        client, SimpleUploadedFile("dnc.csv", "電話番号\r\n090-1234-5678\r\n".encode("cp932")), kind="dnc"
    )
    page = client.get(response["Location"])
    assert {"reason", "campaign", "note"} <= set(page.context["form"].fields)
    response = mapping_post(
        client, response["Location"], ["電話番号"], {"電話番号": "phone"}, reason="complaint", note="苦情窓口より"
    )
    job = ImportJob.objects.get()
    assert job.kind == "dnc" and job.mapping["dnc"] == {"reason": "complaint", "campaign": None, "note": "苦情窓口より"}

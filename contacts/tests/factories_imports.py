"""Builders of import files (CSV in any encoding, XLSX) and finished import jobs for tests.

csv_file([["顧客ID", "氏名"], ["C1", "山田 太郎"]], encoding="cp932")   # an uploaded file
xlsx_file([["顧客ID", "氏名"], ["C1", "山田 太郎"]])
run_customer_import(user, csv_file(...))                         # → the finished ImportJob
"""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile

HEADER = [
    "顧客ID",
    "氏名",
    "フリガナ",
    "電話番号",
    "携帯電話",
    "性別",
    "生年月日",
    "都道府県",
    "最終購入日",
    "購入回数",
    "累計購入金額",
]
ROWS = [
    [
        "C0001",
        "山田 太郎",
        "ヤマダ タロウ",
        "03-1234-5678",
        "090-1111-2222",
        "男性",
        "1980/4/1",
        "東京都",
        "2024-01-05",
        "3",
        "12800",
    ],
    [
        "C0002",
        "佐藤 花子",
        "サトウ ハナコ",
        "０６－１２３４－５６７８",
        "",
        "女性",
        "昭和55年5月6日",
        "大阪",
        "2024/02/03",
        "1",
        "5,000",
    ],
    ["C0003", "鈴木 一郎", "スズキ イチロウ", "", "080-3333-4444", "男", "1975-12-24", "神奈川県", "", "7", "98000"],
]


def csv_text(rows, *, delimiter=",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def csv_bytes(rows, *, encoding="utf-8", delimiter=",") -> bytes:
    """`encoding` "utf-8-sig" writes the BOM; "cp932" is what Excel in Japan writes."""
    return csv_text(rows, delimiter=delimiter).encode(encoding)


def csv_file(rows=None, *, name="customers.csv", encoding="utf-8", delimiter=",") -> SimpleUploadedFile:
    rows = rows if rows is not None else [HEADER, *ROWS]
    return SimpleUploadedFile(name, csv_bytes(rows, encoding=encoding, delimiter=delimiter), content_type="text/csv")


def xlsx_bytes(rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_file(rows, *, name="customers.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, xlsx_bytes(rows), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def run_import(user, uploaded_file, *, kind="customers", mapping=None, encoding="", **options):
    """Upload, queue and run an import in this process (the Celery task's work); returns the job."""
    from contacts.services import imports

    upload = imports.receive_upload(uploaded_file=uploaded_file, kind=kind, encoding=encoding)
    job = imports.start_import(upload=upload, mapping=mapping, by=user, **options)
    imports.run_import(job_id=job.pk)
    job.refresh_from_db()
    return job


def run_customer_import(user, uploaded_file, **kwargs):
    return run_import(user, uploaded_file, kind="customers", **kwargs)

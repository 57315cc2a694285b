"""What a column of an import file can become, and which header names mean it.

A mapping is `{header in the file: target key}`; "" means "do not import this column" and
`attr:<key>` stores the value in `Customer.attributes[<key>]`."""

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from ..attributes import KEY_RULE, is_attribute_key, normalize_attribute_key

IGNORE = ""
ATTRIBUTE_PREFIX = "attr:"


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    kind: str  # text, date, datetime, integer, money, rate, gender, subscription, tags, phone, ...
    max_length: int | None = None
    phone_kind: str = ""  # for phones: "mobile", "home", "work"; "" = guessed from the number


CUSTOMER_TARGETS = [
    Target("external_id", _("Customer ID"), "text", 64),
    Target("name", _("Full name"), "text", 200),
    # 99 so that "last first" fits the 200 characters of Customer.name.
    Target("last_name", _("Last name"), "text", 99),
    Target("first_name", _("First name"), "text", 99),
    Target("name_kana", _("Name (kana)"), "kana", 200),
    Target("last_name_kana", _("Last name (kana)"), "kana", 99),
    Target("first_name_kana", _("First name (kana)"), "kana", 99),
    Target("phone", _("Phone number"), "phone"),
    Target("mobile_phone", _("Mobile phone"), "phone", phone_kind="mobile"),
    Target("home_phone", _("Home phone"), "phone", phone_kind="home"),
    Target("work_phone", _("Work phone"), "phone", phone_kind="work"),
    Target("gender", _("Gender"), "gender"),
    Target("birth_date", _("Birth date"), "date"),
    Target("email", _("Email"), "email", 254),
    Target("postal_code", _("Postal code"), "postal_code", 10),
    Target("prefecture", _("Prefecture"), "prefecture", 10),
    Target("address", _("Address"), "text", 300),
    Target("registered_at", _("Registered at"), "datetime"),
    Target("first_purchase_at", _("First purchase"), "datetime"),
    Target("last_purchase_at", _("Last purchase"), "datetime"),
    Target("purchase_count", _("Purchase count"), "integer"),
    Target("total_spent", _("Total spent"), "money"),
    Target("subscription_status", _("Subscription"), "subscription"),
    Target("mail_open_rate", _("Mail open rate"), "rate"),
    Target("last_web_visit_at", _("Last web visit"), "datetime"),
    Target("tags", _("Tags"), "tags"),
    Target("time_zone", _("Time zone"), "time_zone", 64),
    Target("notes", _("Notes"), "text"),
    Target("no_workplace_calls", _("No workplace calls"), "yes_no"),
]

DNC_TARGETS = [
    Target("phone", _("Phone number"), "phone"),
    Target("external_id", _("Customer ID"), "text", 64),
    Target("reason", _("Reason"), "dnc_reason"),
    Target("note", _("Note"), "text"),
    Target("expires_at", _("Expires"), "datetime"),
]

TARGETS = {"customers": CUSTOMER_TARGETS, "dnc": DNC_TARGETS}


def targets_for(kind: str) -> dict[str, Target]:
    return {target.key: target for target in TARGETS[kind]}


# Header spellings seen in Japanese CRM / EC / Excel exports and English ones. Compared after
# `header_key()` (NFKC, lower case, no spaces or punctuation), so "顧客 ID", "顧客ＩＤ" and
# "customer_id" all match.
HEADER_SYNONYMS = {
    "external_id": [
        "顧客ID",
        "顧客番号",
        "顧客コード",
        "会員ID",
        "会員番号",
        "会員コード",
        "お客様番号",
        "お客様ID",
        "ユーザーID",
        "取引先ID",
        "管理番号",
        "customer id",
        "customer no",
        "customer number",
        "customer code",
        "external id",
        "member id",
        "client id",
        "id",
    ],
    "name": [
        "氏名",
        "名前",
        "お名前",
        "顧客名",
        "会員名",
        "氏名漢字",
        "フルネーム",
        "name",
        "full name",
        "customer name",
    ],
    "last_name": ["姓", "苗字", "名字", "last name", "family name", "surname"],
    "first_name": ["名", "first name", "given name"],
    "name_kana": [
        "フリガナ",
        "ふりがな",
        "氏名カナ",
        "氏名フリガナ",
        "カナ",
        "カナ氏名",
        "氏名かな",
        "よみがな",
        "name kana",
        "kana",
        "furigana",
    ],
    "last_name_kana": ["セイ", "姓カナ", "姓フリガナ", "last name kana"],
    "first_name_kana": ["メイ", "名カナ", "名フリガナ", "first name kana"],
    "phone": [
        "電話番号",
        "電話",
        "TEL",
        "電話番号1",
        "連絡先",
        "連絡先電話番号",
        "phone",
        "phone number",
        "telephone",
        "tel no",
    ],
    "mobile_phone": [
        "携帯電話",
        "携帯電話番号",
        "携帯番号",
        "携帯",
        "携帯TEL",
        "mobile",
        "mobile phone",
        "cell",
        "cell phone",
    ],
    "home_phone": ["自宅電話", "自宅電話番号", "自宅TEL", "固定電話", "電話番号2", "home phone", "landline"],
    "work_phone": ["勤務先電話番号", "勤務先電話", "会社電話番号", "勤務先TEL", "work phone", "office phone"],
    "gender": ["性別", "gender", "sex"],
    "birth_date": ["生年月日", "誕生日", "birth date", "birthday", "date of birth", "dob"],
    "email": ["メールアドレス", "メール", "Eメール", "email", "e-mail", "mail", "email address"],
    "postal_code": ["郵便番号", "〒", "zip", "zip code", "postal code", "postcode"],
    "prefecture": ["都道府県", "都道府県名", "prefecture", "state"],
    "address": ["住所", "市区町村以降", "address"],
    "registered_at": [
        "登録日",
        "入会日",
        "会員登録日",
        "登録日時",
        "registered at",
        "registration date",
        "signup date",
        "created at",
    ],
    "first_purchase_at": [
        "初回購入日",
        "初回購入日時",
        "初購入日",
        "first purchase",
        "first purchase date",
        "first order date",
    ],
    "last_purchase_at": [
        "最終購入日",
        "最終購入日時",
        "前回購入日",
        "last purchase",
        "last purchase date",
        "last order date",
    ],
    "purchase_count": [
        "購入回数",
        "累計購入回数",
        "購入数",
        "注文回数",
        "purchase count",
        "order count",
        "orders",
        "frequency",
    ],
    "total_spent": [
        "累計購入金額",
        "購入金額合計",
        "累計金額",
        "購入総額",
        "total spent",
        "total amount",
        "monetary",
        "ltv",
    ],
    "subscription_status": [
        "定期購入",
        "定期購入状況",
        "定期ステータス",
        "定期",
        "サブスク",
        "subscription",
        "subscription status",
    ],
    "mail_open_rate": ["メール開封率", "開封率", "mail open rate", "open rate", "email open rate"],
    "last_web_visit_at": [
        "最終訪問日",
        "最終アクセス日",
        "最終ログイン日",
        "last web visit",
        "last visit",
        "last login",
    ],
    "tags": ["タグ", "tags", "tag", "ラベル"],
    "time_zone": ["タイムゾーン", "time zone", "timezone"],
    "notes": ["備考", "メモ", "notes", "note", "memo", "remarks"],
    "no_workplace_calls": ["勤務先架電不可", "勤務先への電話不可", "勤務先NG", "no workplace calls", "no work calls"],
}

DNC_HEADER_SYNONYMS = {
    "phone": HEADER_SYNONYMS["phone"] + HEADER_SYNONYMS["mobile_phone"] + ["架電禁止番号", "発信拒否番号", "number"],
    "external_id": HEADER_SYNONYMS["external_id"],
    "reason": ["理由", "登録理由", "reason"],
    "note": ["備考", "メモ", "note", "notes", "memo"],
    "expires_at": ["有効期限", "期限", "expires", "expires at", "expiry"],
}

_PUNCTUATION = re.compile(r"[\s_\-・.:/()（）\[\]【】「」]+")


def header_key(header: str) -> str:
    """Comparable form of a header: full-width → half-width, case and separators ignored."""
    text = unicodedata.normalize("NFKC", header or "").strip().lower()
    return _PUNCTUATION.sub("", text)


def _lookup(synonyms: dict[str, list[str]]) -> dict[str, str]:
    return {header_key(spelling): key for key, spellings in synonyms.items() for spelling in spellings}


_LOOKUPS = {"customers": _lookup(HEADER_SYNONYMS), "dnc": _lookup(DNC_HEADER_SYNONYMS)}


def recognise_header(header: str, kind: str = "customers") -> str:
    """The target a header most likely means, or "" when unknown."""
    return _LOOKUPS[kind].get(header_key(header), IGNORE)


def suggest_mapping(headers: list[str], kind: str = "customers") -> dict[str, str]:
    """Header → target for every column; each target is suggested once (first column wins)."""
    mapping, used = {}, set()
    for header in headers:
        target = recognise_header(header, kind)
        if target and target in used:
            target = IGNORE
        if target:
            used.add(target)
        mapping[header] = target
    return mapping


def is_attribute(target: str) -> bool:
    return target.startswith(ATTRIBUTE_PREFIX)


def attribute_key(target: str) -> str:
    """The attribute key of an `attr:` target, in the form it is stored (see contacts.attributes)."""
    return normalize_attribute_key(target[len(ATTRIBUTE_PREFIX) :])


def attribute_target(header: str) -> str:
    """The `attr:` target that keeps a column as a custom attribute named after its header."""
    return ATTRIBUTE_PREFIX + normalize_attribute_key(header)


def validate_mapping(mapping: dict[str, str], *, headers: list[str], kind: str) -> list[str]:
    """Messages for a mapping that cannot run; [] when it can."""
    from django.utils.translation import gettext

    known = targets_for(kind)
    errors = []
    unknown_headers = [h for h in mapping if h not in headers]
    if unknown_headers:
        errors.append(
            gettext("These columns are not in the file: %(columns)s") % {"columns": ", ".join(unknown_headers)}
        )
    seen: dict[str, str] = {}
    for header, target in mapping.items():
        if not target:
            continue
        if is_attribute(target):
            if kind != "customers":
                errors.append(
                    gettext("Column “%(column)s” cannot be kept as a custom attribute here.") % {"column": header}
                )
            elif not is_attribute_key(attribute_key(target)):
                errors.append(
                    gettext("Column “%(column)s” cannot be kept as a custom attribute: %(rule)s")
                    % {"column": header, "rule": KEY_RULE}
                )
            continue
        if target not in known:
            errors.append(
                gettext("Unknown field “%(field)s” for column “%(column)s”.") % {"field": target, "column": header}
            )
            continue
        if target in seen:
            errors.append(
                gettext("“%(field)s” is chosen for two columns: “%(first)s” and “%(second)s”.")
                % {"field": known[target].label, "first": seen[target], "second": header}
            )
        seen[target] = header
    attribute_keys = [attribute_key(t) for t in mapping.values() if t and is_attribute(t)]
    if len(attribute_keys) != len(set(attribute_keys)):
        errors.append(gettext("Two columns are kept under the same custom attribute name."))
    chosen = set(seen)
    if kind == "customers":
        if "external_id" not in chosen:
            errors.append(gettext("Required column missing: choose the column that holds the customer ID (顧客ID)."))
        if not chosen & {"name", "last_name", "first_name"}:
            errors.append(gettext("Required column missing: choose the column that holds the name (氏名)."))
        if "name" in chosen and chosen & {"last_name", "first_name"}:
            errors.append(gettext("Choose either a full name column or last/first name columns, not both."))
        if "name_kana" in chosen and chosen & {"last_name_kana", "first_name_kana"}:
            errors.append(gettext("Choose either a full kana name column or last/first kana columns, not both."))
    elif not chosen & {"phone", "external_id"}:
        errors.append(gettext("Required column missing: choose the column that holds the phone number (電話番号)."))
    return errors

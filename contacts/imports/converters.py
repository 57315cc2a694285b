"""Cell text → stored value, one converter per kind of target (fields.Target.kind).

Converters run in the streaming pass, for every cell of a million-row file, so the common
spellings take a short path (plain ASCII, ISO or Excel dates) before anything slower (NFKC,
和暦, 年月日, thousands separators). Each returns the value as COPY text, or raises Invalid with
the message the error report shows.

Why in Python and not in SQL: measured on this project's 2-core machine, typing the cells in SQL
after COPY costs ~35 µs per row (dates are the bulk), which adds straight to the import time;
in the streaming pass it costs a few µs and runs while PostgreSQL is busy parsing the COPY data
on the other core."""

import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop


class Invalid(ValueError):
    """The cell cannot become a value of its column; str(error) says why."""


TAG_SEPARATOR = "\x1f"  # joins tags in the staging table; string_to_array() splits them again


def nfkc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


# ---------------------------------------------------------------- dates and times

_DATE_SLOW = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+(.*))?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:\s+(.*))?$")
_DATE_ERA = re.compile(
    r"^(明治|大正|昭和|平成|令和|[MTSHR])\s*\.?\s*(\d{1,2}|元)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+(.*))?$",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"^(\d{1,2})\s*[:時]\s*(\d{1,2})\s*分?(?:\s*:?\s*(\d{1,2})\s*秒?)?(?:\.\d+)?$")
_ERAS = {
    "明治": 1868,
    "M": 1868,
    "大正": 1912,
    "T": 1912,
    "昭和": 1926,
    "S": 1926,
    "平成": 1989,
    "H": 1989,
    "令和": 2019,
    "R": 2019,
}


_FIRST_YEAR, _LAST_YEAR = 1800, 2200


def _date(year: int, month: int, day: int) -> datetime.date:
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise ValueError(year)
    return datetime.date(year, month, day)


def _parse_date_time(text: str) -> tuple[datetime.date, str]:
    """(date, rest of the text after the date). ValueError when it is not a date."""
    # 2024/4/1 (Excel's default), 2024-4-1, optionally followed by a time.
    head, _space, rest = text.partition(" ")
    parts = head.split("/") if "/" in head else head.split("-")
    if len(parts) == 3 and len(parts[0]) == 4 and head.isascii():
        try:
            return _date(int(parts[0]), int(parts[1]), int(parts[2])), rest.strip()
        except ValueError:
            pass
    text = nfkc(text).replace("T", " ", 1).strip()
    match = _DATE_SLOW.match(text) or _DATE_COMPACT.match(text)
    if match:
        year, month, day, rest = match.groups()
        return _date(int(year), int(month), int(day)), (rest or "").strip()
    match = _DATE_ERA.match(text)
    if match:
        era, year, month, day, rest = match.groups()
        start = _ERAS[era.upper() if len(era) == 1 else era]
        year_number = 1 if year == "元" else int(year)
        return _date(start + year_number - 1, int(month), int(day)), (rest or "").strip()
    raise ValueError(text)


_DATE_MESSAGE = gettext_noop("Not a date. Write it like 1985-04-01, 1985/4/1, 19850401 or 昭和60年4月1日.")
_DATETIME_MESSAGE = gettext_noop("Not a date or date and time. Write it like 2024-04-01 or 2024/4/1 13:30.")


def to_date(text: str) -> str:
    # Short path: ISO or zero-padded Excel dates, parsed in C.
    try:
        value = _date_fromisoformat(text.replace("/", "-") if "/" in text else text)
        if _FIRST_YEAR <= value.year <= _LAST_YEAR:
            return value.isoformat()
    except ValueError:
        pass
    try:
        value, rest = _parse_date_time(text)
    except ValueError:
        rest = "invalid"
    if rest:
        raise Invalid(_(_DATE_MESSAGE))
    return value.isoformat()


def to_datetime(text: str) -> str:
    """A local date-time (the project's time zone is applied in SQL) as 'YYYY-MM-DD HH:MM:SS'."""
    try:
        value = _datetime_fromisoformat(text.replace("/", "-") if "/" in text else text)
        if value.tzinfo is not None:  # an explicit offset: the same moment in local time
            value = timezone.localtime(value).replace(tzinfo=None)
            text = ""
        if _FIRST_YEAR <= value.year <= _LAST_YEAR:
            if len(text) == 19 and text[10] == " " and "/" not in text:
                return text  # already 'YYYY-MM-DD HH:MM:SS'
            return value.isoformat(sep=" ", timespec="seconds")
    except ValueError:
        pass
    try:
        value, rest = _parse_date_time(text)
        if not rest:
            return f"{value.isoformat()} 00:00:00"
        match = _CLOCK.match(nfkc(rest))
        if not match:
            raise ValueError(rest)
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
        return datetime.datetime.combine(value, datetime.time(hour, minute, second)).isoformat(sep=" ")
    except ValueError:
        raise Invalid(_(_DATETIME_MESSAGE)) from None


_date_fromisoformat = datetime.date.fromisoformat
_datetime_fromisoformat = datetime.datetime.fromisoformat


# ---------------------------------------------------------------- numbers

_NUMBER_NOISE = re.compile(r"[,\s]|[回件個]$")
_MONEY_NOISE = re.compile(r"[,\s¥$円]")


def to_integer(text: str) -> str:
    if not (text.isdigit() and text.isascii()):
        text = _NUMBER_NOISE.sub("", nfkc(text))
    if text.isdigit() and text.isascii() and len(text) <= 9:
        return str(int(text))
    raise Invalid(_("Not a whole number of 0 or more."))


def to_money(text: str) -> str:
    if text.isdigit() and text.isascii() and len(text) <= 13:
        return text
    cleaned = _MONEY_NOISE.sub("", nfkc(text))
    amount = None
    if cleaned[:1].isdigit():  # also keeps out "-5", "NaN" and "Infinity"
        try:
            amount = Decimal(cleaned).quantize(Decimal(1))
        except (InvalidOperation, ValueError):
            pass
    if amount is None or amount >= 10**13:
        raise Invalid(_("Not an amount. Write a number of yen of 0 or more, like 12800."))
    return str(amount)


def to_rate(text: str) -> str:
    """0-1; "35%" and "35" (a percentage, when above 1) are read as 0.35."""
    if text[-1:] == "%" and text[:-1].isdigit() and text.isascii() and int(text[:-1]) <= 100:
        return repr(int(text[:-1]) / 100)
    cleaned = nfkc(text).replace(" ", "")
    percent = cleaned.endswith("%")
    try:
        number = float(cleaned.rstrip("%")) if cleaned[:1].isdigit() or cleaned[:1] == "." else -1.0
    except ValueError:
        number = -1.0
    if percent or number > 1:
        number = number / 100 if 0 <= number <= 100 else -1.0
    if not 0 <= number <= 1:
        raise Invalid(_("Not a rate. Write a fraction between 0 and 1 (0.35) or a percentage (35%)."))
    return repr(number)


# ---------------------------------------------------------------- coded values


def _spellings(mapping: dict[str, list[str]]) -> dict[str, str]:
    """{spelling as written or NFKC-lower-cased: stored value}."""
    table = {}
    for value, spellings in mapping.items():
        for spelling in [value, *spellings]:
            table[spelling] = value
            table[unicodedata.normalize("NFKC", spelling).lower()] = value
    return table


GENDERS = _spellings(
    {
        "male": ["m", "man", "男", "男性", "1"],
        "female": ["f", "woman", "女", "女性", "2"],
        "other": ["その他", "x", "3"],
        "": ["unknown", "不明", "未回答", "回答なし", "-", "0", "9"],
    }
)
YES_NO = _spellings(
    {
        "true": ["1", "true", "yes", "y", "はい", "〇", "○"],
        "false": ["0", "false", "no", "n", "いいえ", "-"],
    }
)
SUBSCRIPTIONS = _spellings(
    {
        "active": ["契約中", "継続", "継続中", "有効", "定期", "定期購入中", "yes", "y", "1", "true", "あり", "有"],
        "paused": ["休止", "休止中", "一時停止", "停止中", "スキップ", "pause"],
        "cancelled": ["解約", "解約済", "解約済み", "退会", "canceled", "cancel", "終了"],
        "": ["none", "なし", "無", "未契約", "no", "n", "0", "false", "-"],
    }
)
DNC_REASONS = _spellings(
    {
        "customer_request": ["本人希望", "本人申出", "お客様希望", "顧客希望", "request", "架電拒否", "拒否"],
        "complaint": ["苦情", "クレーム"],
        "legal": ["法的", "法令", "法的理由"],
        "wrong_number": ["番号違い", "誤番号", "別人", "wrong"],
        "deceased": ["死亡", "逝去", "ご逝去"],
        "other": ["その他"],
    }
)

PREFECTURE_NAMES = [
    ("北海道", "hokkaido"),
    ("青森県", "aomori"),
    ("岩手県", "iwate"),
    ("宮城県", "miyagi"),
    ("秋田県", "akita"),
    ("山形県", "yamagata"),
    ("福島県", "fukushima"),
    ("茨城県", "ibaraki"),
    ("栃木県", "tochigi"),
    ("群馬県", "gunma"),
    ("埼玉県", "saitama"),
    ("千葉県", "chiba"),
    ("東京都", "tokyo"),
    ("神奈川県", "kanagawa"),
    ("新潟県", "niigata"),
    ("富山県", "toyama"),
    ("石川県", "ishikawa"),
    ("福井県", "fukui"),
    ("山梨県", "yamanashi"),
    ("長野県", "nagano"),
    ("岐阜県", "gifu"),
    ("静岡県", "shizuoka"),
    ("愛知県", "aichi"),
    ("三重県", "mie"),
    ("滋賀県", "shiga"),
    ("京都府", "kyoto"),
    ("大阪府", "osaka"),
    ("兵庫県", "hyogo"),
    ("奈良県", "nara"),
    ("和歌山県", "wakayama"),
    ("鳥取県", "tottori"),
    ("島根県", "shimane"),
    ("岡山県", "okayama"),
    ("広島県", "hiroshima"),
    ("山口県", "yamaguchi"),
    ("徳島県", "tokushima"),
    ("香川県", "kagawa"),
    ("愛媛県", "ehime"),
    ("高知県", "kochi"),
    ("福岡県", "fukuoka"),
    ("佐賀県", "saga"),
    ("長崎県", "nagasaki"),
    ("熊本県", "kumamoto"),
    ("大分県", "oita"),
    ("宮崎県", "miyazaki"),
    ("鹿児島県", "kagoshima"),
    ("沖縄県", "okinawa"),
]
PREFECTURES = _spellings(
    {
        name: [
            name if name == "北海道" else name[:-1],
            romaji,
            f"{romaji}-ken",
            f"{romaji} prefecture",
            f"{romaji}-to",
            f"{romaji}-fu",
        ]
        for name, romaji in PREFECTURE_NAMES
    }
)


def _coded(table: dict[str, str], message):
    def convert(text: str) -> str:
        value = table.get(text)
        if value is None:
            value = table.get(nfkc(text).lower())
        if value is None:
            raise Invalid(message())
        return value

    return convert


to_gender = _coded(GENDERS, lambda: _("Unknown gender. Use 男性 / 女性 / その他 / 不明 (or male / female / other)."))
to_subscription = _coded(
    SUBSCRIPTIONS,
    lambda: _("Unknown subscription status. Use 契約中 / 休止 / 解約 / なし (or active / paused / cancelled)."),
)
to_yes_no = _coded(YES_NO, lambda: _("Write yes or no (1 / 0, はい / いいえ)."))
to_dnc_reason = _coded(DNC_REASONS, lambda: _("Unknown reason. Use 本人希望, 苦情, 法的, 番号違い, 死亡 or その他."))


def to_prefecture(text: str) -> str:
    # Known prefectures are written canonically (東京 → 東京都, tokyo → 東京都); anything else that
    # fits is kept as written (customers abroad).
    value = PREFECTURES.get(text) or PREFECTURES.get(nfkc(text).lower())
    if value is None:
        if len(text) > 10:
            raise Invalid(_("Too long for a prefecture (10 characters at most)."))
        value = text
    return value


# ---------------------------------------------------------------- text


def text_converter(max_length: int | None):
    if not max_length:
        return lambda text: text

    def convert(text: str) -> str:
        if len(text) > max_length:
            raise Invalid(_("Too long: %(max)s characters at most.") % {"max": max_length})
        return text

    return convert


def kana_converter(max_length: int):
    def convert(text: str) -> str:
        # NFKC turns half-width katakana (ﾔﾏﾀﾞ) into full-width (ヤマダ).
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        if len(text) > max_length:
            raise Invalid(_("Too long: %(max)s characters at most.") % {"max": max_length})
        return text

    return convert


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def to_email(text: str) -> str:
    if len(text) > 254 or not _EMAIL.match(text):
        raise Invalid(_("Not an email address."))
    return text


_POSTAL = re.compile(r"^\d{3}-\d{4}$")


def to_postal_code(text: str) -> str:
    if _POSTAL.match(text):
        return text
    cleaned = nfkc(text).replace("〒", "").replace(" ", "")
    if len(cleaned) == 7 and cleaned.isdigit() and cleaned.isascii():
        return f"{cleaned[:3]}-{cleaned[3:]}"
    if len(cleaned) > 10 or not cleaned:
        raise Invalid(_("Not a postal code (write 123-4567)."))
    return cleaned


_TAG_SPLIT = re.compile(r"\s*[,;|、，/／]\s*")


def to_tags(text: str) -> str:
    """Tags separated by , ; | 、 or /, joined with TAG_SEPARATOR for the staging table."""
    tags = [tag for tag in _TAG_SPLIT.split(text) if tag]
    if any(len(tag) > 50 for tag in tags):
        raise Invalid(_("A tag is longer than 50 characters."))
    return TAG_SEPARATOR.join(tags)


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def to_time_zone(text: str) -> str:
    if text not in _time_zones():
        raise Invalid(_("Unknown time zone (write it like Asia/Tokyo)."))
    return text


# ---------------------------------------------------------------- by kind

# kind -> (converter factory taking max_length, PostgreSQL type of the staged value)
CONVERTERS = {
    "text": (text_converter, "text"),
    "kana": (lambda n: kana_converter(n or 200), "text"),
    "date": (lambda n: to_date, "date"),
    "datetime": (lambda n: to_datetime, "timestamp"),
    "integer": (lambda n: to_integer, "integer"),
    "money": (lambda n: to_money, "numeric"),
    "rate": (lambda n: to_rate, "double precision"),
    "gender": (lambda n: to_gender, "text"),
    "subscription": (lambda n: to_subscription, "text"),
    "yes_no": (lambda n: to_yes_no, "boolean"),
    "dnc_reason": (lambda n: to_dnc_reason, "text"),
    "prefecture": (lambda n: to_prefecture, "text"),
    "email": (lambda n: to_email, "text"),
    "postal_code": (lambda n: to_postal_code, "text"),
    "tags": (lambda n: to_tags, "text"),
    "time_zone": (lambda n: to_time_zone, "text"),
}


# Kinds whose cells repeat across a file (a million rows hold a few thousand different dates,
# counts, amounts, codes): their converters remember what they returned for each text, up to
# MEMO_SIZE texts per column and import. Only values are remembered; a bad cell is converted (and
# reported) every time it appears.
REPEATING_KINDS = frozenset(
    {
        "date",
        "datetime",
        "integer",
        "money",
        "rate",
        "gender",
        "yes_no",
        "subscription",
        "dnc_reason",
        "prefecture",
        "tags",
        "time_zone",
    }
)
MEMO_SIZE = 50_000


def memoized(convert, size: int = MEMO_SIZE):
    memo: dict[str, str] = {}
    get = memo.get

    def convert_once(text: str) -> str:
        value = get(text)
        if value is None:
            value = convert(text)
            if len(memo) < size:
                memo[text] = value
        return value

    return convert_once


def converter_for(kind: str, max_length: int | None = None):
    """(convert(text) -> COPY text, PostgreSQL type) for a target kind; a new converter (and memo)
    per call."""
    factory, sql_type = CONVERTERS[kind]
    convert = factory(max_length)
    return (memoized(convert) if kind in REPEATING_KINDS else convert), sql_type

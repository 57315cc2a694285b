"""Phone number normalization: every way a number is written maps to one stored form.

Valid numbers become E.164 (+819012345678). Invalid ones are kept (the import reports them, the
registry still records them) in a best-effort form: ASCII digits, with a leading "+" when one was
given, so the same invalid input always normalizes to the same string and can still be searched."""
import re
import unicodedata
from functools import lru_cache

import phonenumbers
from django.conf import settings

# Dash-like characters people type between digit groups, including the katakana prolonged sound
# mark (ー) that Japanese IMEs produce when "-" is typed in kana mode. NFKC already folds the
# full-width forms (０-９, －, （）, ＋, full-width space).
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\u2043\ufe58\ufe63"
_DASH_TABLE = str.maketrans({char: "-" for char in _DASHES})
_NOT_DIGIT = re.compile(r"\D")
# Something that can only be a phone number (used by search to decide how to read a query).
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-().]{6,}$")


def _ascii(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).translate(_DASH_TABLE).strip()


@lru_cache(maxsize=16)
def _national_validator(region: str):
    """(country code, fullmatch of a valid national number) from phonenumbers' own metadata, for
    the common case of a number written nationally with the trunk prefix "0". Same verdict as
    is_valid_number (general pattern + one of the number types), about 30x faster: imports call
    this for every row of million-row files."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.national_prefix != "0":
        return None
    descs = [
        metadata.fixed_line, metadata.mobile, metadata.toll_free, metadata.premium_rate,
        metadata.shared_cost, metadata.personal_number, metadata.voip, metadata.pager,
        metadata.uan, metadata.voicemail,
    ]
    type_patterns = "|".join(
        f"(?:{d.national_number_pattern})" for d in descs if d is not None and d.national_number_pattern
    )
    general = re.compile(metadata.general_desc.national_number_pattern)
    typed = re.compile(type_patterns)

    def is_valid(national: str) -> bool:
        return bool(general.fullmatch(national) and typed.fullmatch(national))

    return str(metadata.country_code), is_valid


_NATIONAL_TEXT = re.compile(r"^\(?0[1-9][\d\s\-().]*$")


@lru_cache(maxsize=100_000)
def _normalize(raw: str, region: str) -> tuple[str, bool]:
    text = _ascii(raw)
    digits = _NOT_DIGIT.sub("", text)
    if not digits:
        return "", False
    best_effort = ("+" if text.startswith("+") else "") + digits
    if _NATIONAL_TEXT.match(text):
        validator = _national_validator(region)
        if validator is not None:
            country_code, is_valid = validator
            if is_valid(digits[1:]):
                return f"+{country_code}{digits[1:]}", True
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return best_effort, False
    if not phonenumbers.is_valid_number(parsed):
        return best_effort, False
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), True


def normalize_phone(raw: str, region: str | None = None) -> tuple[str, bool]:
    """(normalized number, is_valid). "０９０－１２３４－５６７８", "090-1234-5678",
    "(090) 1234 5678" and "+81 90-1234-5678" all give ("+819012345678", True).
    Empty or digit-less input gives ("", False)."""
    if raw is None:
        return "", False
    return _normalize(str(raw), (region or settings.PHONE_DEFAULT_REGION).upper())


def looks_like_phone(text: str) -> bool:
    """True when a search query is written like a phone number (digits, dashes, spaces, brackets)."""
    return bool(_PHONE_LIKE.match(_ascii(text or "")))


def phone_kind(number: str) -> str:
    """"mobile" or "home" for a valid E.164 number, "other" otherwise (import default for kind)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return "other"
    number_type = phonenumbers.number_type(parsed)
    if number_type in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return "mobile"
    if number_type == phonenumbers.PhoneNumberType.FIXED_LINE:
        return "home"
    return "other"


def format_national(number: str) -> str:
    """A stored number for display to a Japanese user (090-1234-5678); unchanged when invalid."""
    if not number.startswith("+"):
        return number
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_valid_number(parsed):
        return number
    region = phonenumbers.region_code_for_number(parsed)
    if region == settings.PHONE_DEFAULT_REGION.upper():
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

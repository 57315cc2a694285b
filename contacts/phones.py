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


def ascii_text(raw: str) -> str:
    """Full-width digits and every dash variant folded to ASCII (as numbers are read)."""
    return _ascii(raw or "")


@lru_cache(maxsize=16)
def national_rule_table(region: str):
    """(country code, general rule, [rules in phonenumbers' order]) for regions whose trunk prefix is
    "0", from phonenumbers' own metadata; each rule is (kind, allowed lengths, pattern text). None
    for other regions. One table for the per-number check below and the per-column one of imports
    (contacts.imports.columnar), so both give phonenumbers' verdict the same way."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.national_prefix != "0":
        return None

    def rule(kind, desc):
        """(kind, allowed lengths, pattern) for one number type of the region."""
        if desc is None or not desc.national_number_pattern:
            return None
        lengths = frozenset(desc.possible_length or metadata.general_desc.possible_length or ())
        if lengths == {-1}:  # "this type does not exist here"
            return None
        return kind, lengths, desc.national_number_pattern

    general = rule("", metadata.general_desc)
    # phonenumbers' order: the special types first (valid, neither mobile nor home), then mobile
    # (a number matching both mobile and fixed line is FIXED_LINE_OR_MOBILE: "mobile"), then fixed.
    rules = [
        r
        for r in (
            *(
                rule("other", d)
                for d in (
                    metadata.premium_rate,
                    metadata.toll_free,
                    metadata.shared_cost,
                    metadata.voip,
                    metadata.personal_number,
                    metadata.pager,
                    metadata.uan,
                    metadata.voicemail,
                )
            ),
            rule("mobile", metadata.mobile),
            rule("home", metadata.fixed_line),
        )
        if r is not None
    ]
    return str(metadata.country_code), general, rules


@lru_cache(maxsize=16)
def _national_rules(region: str):
    """(country code, national number -> kind or None) for regions whose trunk prefix is "0": a
    kind only for a valid number, with is_valid_number's verdict (general pattern and lengths + one
    number type) and number_type's kind, about 30x faster than parsing. None for other regions."""
    table = national_rule_table(region)
    if table is None:
        return None
    country_code, (_kind, general_lengths, general_pattern), rule_table = table
    general_match = re.compile(general_pattern).fullmatch
    rules = [(kind, lengths, re.compile(pattern).fullmatch) for kind, lengths, pattern in rule_table]

    def valid_kind(national: str):
        size = len(national)
        if general_lengths and size not in general_lengths or general_match(national) is None:
            return None
        for kind, lengths, match in rules:
            if (not lengths or size in lengths) and match(national) is not None:
                return kind
        return None

    return country_code, valid_kind


_SEPARATORS = str.maketrans("", "", "- ().")


def _national_digits(text: str) -> str | None:
    """The ASCII digits of a number written nationally with the trunk prefix "0" and only
    dashes, white space, brackets and dots between them (090-1234-5678, (03) 1234 5678), else None.
    Plain string operations: this runs for every row of million-row imports."""
    digits = text.replace("-", "").replace(" ", "")
    if not digits.isdigit():
        digits = "".join(digits.translate(_SEPARATORS).split())  # also tabs and other white space
    if (
        digits.isdigit()
        and digits.isascii()
        and digits[0] == "0"
        and digits[1:2] != "0"
        and text.lstrip(" (")[:1] == "0"
    ):
        return digits
    return None


@lru_cache(maxsize=100_000)
def _normalize(raw: str, region: str) -> tuple[str, bool, str]:
    text = raw.strip() if raw.isascii() else _ascii(raw)  # NFKC and the dash table leave ASCII as is
    national = _national_digits(text)
    if national is not None:
        rules = _national_rules(region)
        if rules is not None:
            country_code, valid_kind = rules
            kind = valid_kind(national[1:])
            if kind is not None:
                return f"+{country_code}{national[1:]}", True, kind
    digits = _NOT_DIGIT.sub("", text)
    if not digits:
        return "", False, "other"
    best_effort = ("+" if text.startswith("+") else "") + digits
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return best_effort, False, "other"
    if not phonenumbers.is_valid_number(parsed):
        return best_effort, False, "other"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), True, _kind_of(parsed)


def normalize_phone_kind(raw: str, region: str | None = None) -> tuple[str, bool, str]:
    """(normalized number, is_valid, kind): normalize_phone's answer plus phone_kind's for a valid
    number ("other" for an invalid one). Imports call this for every number of the file; answers
    are memoized (a file repeats its numbers, e.g. a family's landline)."""
    if raw is None:
        return "", False, "other"
    return _normalize(str(raw), (region or settings.PHONE_DEFAULT_REGION).upper())


def normalize_phone(raw: str, region: str | None = None) -> tuple[str, bool]:
    """(normalized number, is_valid). "０９０－１２３４－５６７８", "090-1234-5678",
    "(090) 1234 5678" and "+81 90-1234-5678" all give ("+819012345678", True).
    Empty or digit-less input gives ("", False)."""
    number, valid, _kind = normalize_phone_kind(raw, region)
    return number, valid


def looks_like_phone(text: str) -> bool:
    """True when a search query is written like a phone number (digits, dashes, spaces, brackets)."""
    return bool(_PHONE_LIKE.match(_ascii(text or "")))


def phone_kind(number: str) -> str:
    """ "mobile" or "home" for a valid E.164 number, "other" otherwise (import default for kind)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return "other"
    return _kind_of(parsed)


def _kind_of(parsed) -> str:
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

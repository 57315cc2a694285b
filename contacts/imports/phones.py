"""Phone normalization for imports: the same answers as `contacts.phones.normalize_phone`, with a
faster path for the overwhelmingly common input (a national number in ASCII digits with dashes or
spaces), because imports normalize a million or more numbers per file.

The fast path only ever answers for numbers it proves valid with phonenumbers' own metadata
(general pattern + one number type, as `is_valid_number` does); everything else goes to
`normalize_phone`. test_import_phones.py checks both paths agree on many generated inputs."""
import re
import unicodedata
from functools import lru_cache

import phonenumbers

from contacts.phones import normalize_phone, phone_kind

_SEPARATORS = str.maketrans("", "", "- ().")
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\u2043\ufe58\ufe63"
_DASH_TABLE = str.maketrans({char: "-" for char in _DASHES})


class PhoneNormalizer:
    """normalize(raw) -> (value, is_valid, kind) where kind is "mobile", "home" or "other"."""

    def __init__(self, region: str):
        self.region = region.upper()
        self.fast = _fast_rules(self.region)

    def __call__(self, raw: str) -> tuple[str, bool, str]:
        if self.fast is not None:
            text = raw if raw.isascii() else unicodedata.normalize("NFKC", raw).translate(_DASH_TABLE)
            digits = text.replace("-", "").replace(" ", "")
            if not digits.isdigit():
                digits = digits.translate(_SEPARATORS)
            if (digits.isdigit() and digits.isascii() and digits[0] == "0" and digits[1:2] != "0"
                    and text.lstrip(" (")[:1] == "0"):
                country_code, valid_kind = self.fast
                kind = valid_kind(digits[1:])
                if kind is not None:
                    return f"+{country_code}{digits[1:]}", True, kind
        value, valid = normalize_phone(raw, self.region)
        return value, valid, (phone_kind(value) if valid else "other")


@lru_cache(maxsize=16)
def _fast_rules(region: str):
    """(country code, national number -> kind or None) for regions whose trunk prefix is "0"."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.national_prefix != "0":
        return None

    def rule(kind, desc):
        """(kind, allowed lengths, compiled pattern) for one number type of the region."""
        if desc is None or not desc.national_number_pattern:
            return None
        lengths = frozenset(desc.possible_length or metadata.general_desc.possible_length or ())
        if lengths == {-1}:  # "this type does not exist here"
            return None
        return kind, lengths, re.compile(desc.national_number_pattern).fullmatch

    general = rule("", metadata.general_desc)
    # phonenumbers' order: the special types first (valid, neither mobile nor home), then mobile
    # (a number matching both mobile and fixed line is FIXED_LINE_OR_MOBILE: "mobile"), then fixed.
    rules = [
        r for r in (
            *(rule("other", d) for d in (
                metadata.premium_rate, metadata.toll_free, metadata.shared_cost, metadata.voip,
                metadata.personal_number, metadata.pager, metadata.uan, metadata.voicemail,
            )),
            rule("mobile", metadata.mobile),
            rule("home", metadata.fixed_line),
        ) if r is not None
    ]

    def valid_kind(national: str):
        size = len(national)
        _kind, general_lengths, general_match = general
        if general_lengths and size not in general_lengths or general_match(national) is None:
            return None
        for kind, lengths, match in rules:
            if (not lengths or size in lengths) and match(national) is not None:
                return kind
        return None

    return str(metadata.country_code), valid_kind

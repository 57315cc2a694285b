"""Custom attribute keys: the one rule for the names under which `Customer.attributes` keeps values.

Keys are written by imports (a column kept under its header) and the customer API, and read by
segments, call-list ordering and talk-script branches. Every one of them cleans keys here, so a
key that can be imported (`解約スコア`) can filter a segment, order a list and steer a script,
and a key this rule refuses is refused everywhere with the same message.

A key is compared in its NFKC form without surrounding spaces (a half-width `ｽｺｱ` typed into a
segment is the imported `スコア`). Nothing else about its characters is restricted: keys reach SQL
only as bound parameters, never in the statement's text."""

import json
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MAX_KEY_LENGTH = 64
KEY_RULE = _("An attribute key is 1 to 64 characters, without control characters.")


# Display labels of the attribute keys the product knows (the demo data and the usual CRM feeds
# write them); any other key is shown as it is stored.
KNOWN_ATTRIBUTE_LABELS = {
    "churn_score": _("Churn score"),
    "favourite_product": _("Favourite product"),
    "acquisition_channel": _("Acquisition channel"),
    "survey_satisfaction": _("Survey satisfaction (1-5)"),
}


def attribute_label(key: str) -> str:
    """What a page or an export calls an attribute: its label in the user's language for a known
    key, the key itself otherwise."""
    label = KNOWN_ATTRIBUTE_LABELS.get(key)
    return str(label) if label is not None else key


def attribute_display_value(value) -> str:
    """One attribute value as text: strings and numbers as they are, true/false as JSON, lists and
    objects as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def normalize_attribute_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def is_attribute_key(key) -> bool:
    """Whether `key` is a key as stored: already normalized, 1-64 characters, no control
    (or other non-printing: format, surrogate, unassigned) characters."""
    return (
        isinstance(key, str)
        and 1 <= len(key) <= MAX_KEY_LENGTH
        and key == normalize_attribute_key(key)
        and not any(unicodedata.category(char).startswith("C") for char in key)
    )


def clean_attribute_key(value) -> str:
    """The key as stored (NFKC, trimmed); ValidationError(KEY_RULE) when the rule refuses it."""
    key = normalize_attribute_key(value) if isinstance(value, str) else value
    if not is_attribute_key(key):
        raise ValidationError(KEY_RULE, code="attribute_key")
    return key


def validate_attribute_key(value) -> None:
    """Django/DRF field validator: the value cleans to a key (the service stores the cleaned form)."""
    clean_attribute_key(value)


def attribute_number_sql(column: str, key: str) -> tuple[str, list]:
    """SQL of one attribute's value as a number, with the key as a bound parameter: NULL when the
    value is not a JSON number, so a text or a missing value never fails a statement. Segments
    compare it; list ordering sorts by it."""
    return f"(CASE WHEN jsonb_typeof({column} -> %s) = 'number' THEN ({column} ->> %s)::numeric END)", [key, key]


def clean_attributes(attributes: dict) -> dict:
    """A customer's attributes with every key cleaned; ValidationError naming a key the rule
    refuses, or two keys that are one key once cleaned."""
    clean = {}
    for key, value in attributes.items():
        shown = json.dumps(key, ensure_ascii=False)
        try:
            cleaned = clean_attribute_key(key)
        except ValidationError:
            raise ValidationError(
                gettext("Attribute %(key)s: %(rule)s") % {"key": shown, "rule": KEY_RULE}, code="attribute_key"
            ) from None
        if cleaned in clean:
            raise ValidationError(
                gettext(
                    "Attribute %(key)s is given twice (keys are compared in NFKC form, without surrounding spaces)."
                )
                % {"key": shown},
                code="attribute_key",
            )
        clean[cleaned] = value
    return clean

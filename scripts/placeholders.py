"""Placeholders in script text, rendered safely.

Script text is never run through the Django template engine: supervisors write it, and a template
engine would let `{{ settings.SECRET_KEY }}` or `{% load %}` reach things an operator must not see.
Instead a regex finds `{{ … }}`, only whitelisted names are substituted, every piece of text and
every value is HTML-escaped, and anything else becomes a visible marker. Rendering never raises."""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Anything between double braces, across lines, shortest match: `{{ customer.name }}`.
PLACEHOLDER_RE = re.compile(r"\{\{(.*?)\}\}", re.S)
MARKER_MAX = 40

# name -> label shown in the editor's help. The only names that ever render a value.
PLACEHOLDERS = {
    "customer.name": gettext_lazy("Customer name"),
    "customer.name_kana": gettext_lazy("Customer name (kana)"),
    "customer.last_purchase_at": gettext_lazy("Last purchase date"),
    "customer.first_purchase_at": gettext_lazy("First purchase date"),
    "customer.purchase_count": gettext_lazy("Number of purchases"),
    "customer.total_spent": gettext_lazy("Total spent"),
    "customer.prefecture": gettext_lazy("Prefecture"),
    "campaign.name": gettext_lazy("Campaign name"),
    "campaign.product": gettext_lazy("Product or service the campaign sells"),
    "company.name": gettext_lazy("Selling company"),
    "operator.name": gettext_lazy("Operator's full name"),
    "operator.last_name": gettext_lazy("Operator's family name"),
}


@dataclass(frozen=True)
class PlaceholderContext:
    """What a script may talk about: the customer on the line, the campaign, the operator."""

    customer: object = None
    campaign: object = None
    operator: object = None


def placeholder_names(text: str) -> list[str]:
    """The normalized names used in text, in order of appearance (duplicates kept once)."""
    seen = []
    for match in PLACEHOLDER_RE.finditer(text or ""):
        name = _normalize(match.group(1))
        if name not in seen:
            seen.append(name)
    return seen


def unknown_placeholders(text: str) -> list[str]:
    return [name for name in placeholder_names(text) if name not in PLACEHOLDERS]


def render_text(text: str, context: PlaceholderContext) -> SafeString:
    """Script text as safe HTML: escaped, line breaks kept, whitelisted placeholders filled in."""
    return _render(text, lambda name: _value_html(name, context))


def render_outline(text: str) -> SafeString:
    """Script text for the editor: placeholders highlighted by name instead of filled in."""

    def highlight(name):
        if name in PLACEHOLDERS:
            return f'<mark class="ph ph-known">{{{{ {escape(name)} }}}}</mark>'
        return _unknown_marker(name)

    return _render(text, highlight)


def _render(text: str, substitute) -> SafeString:
    parts = []
    position = 0
    text = text or ""
    for match in PLACEHOLDER_RE.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append(substitute(_normalize(match.group(1))))
        position = match.end()
    parts.append(escape(text[position:]))
    html = "".join(parts).replace("\r\n", "\n").replace("\n", "<br>")
    return mark_safe(html)  # noqa: S308 - every piece above was escaped or built from escaped values


def _normalize(expression: str) -> str:
    return " ".join(expression.split())


def _unknown_marker(name: str) -> str:
    shown = name if len(name) <= MARKER_MAX else name[: MARKER_MAX - 1] + "…"
    return f'<mark class="ph ph-unknown">⟦{escape(_("unknown"))}: {escape(shown)}⟧</mark>'


def _value_html(name: str, context: PlaceholderContext) -> str:
    if name not in PLACEHOLDERS:
        return _unknown_marker(name)
    try:
        value = _value(name, context)
    except Exception:  # noqa: BLE001 - a broken related row must not break the operator's screen
        value = None
    if value in (None, ""):
        return (
            f'<mark class="ph ph-missing" title="{escape(name)}">'
            f"⟦{escape(_('no data'))}: {escape(PLACEHOLDERS[name])}⟧</mark>"
        )
    return f'<span class="ph ph-value">{escape(value)}</span>'


def _value(name: str, context: PlaceholderContext):
    owner, field = name.split(".", 1)
    if owner == "customer":
        customer = context.customer
        if customer is None:
            return None
        if field in ("last_purchase_at", "first_purchase_at"):
            return _date(getattr(customer, field))
        if field == "purchase_count":
            return formats.number_format(customer.purchase_count, force_grouping=True)
        if field == "total_spent":
            return _yen(customer.total_spent)
        return getattr(customer, field)
    if owner == "campaign":
        if context.campaign is None:
            return None
        return getattr(context.campaign, field, None)
    if owner == "company":
        return getattr(context.campaign, "company", None) if context.campaign is not None else None
    if owner == "operator":
        operator = context.operator
        if operator is None:
            return None
        if field == "last_name":
            return operator.last_name or operator.username
        # Japanese order: family name first.
        return f"{operator.last_name} {operator.first_name}".strip() or operator.username
    return None


def _date(value):
    if value is None:
        return None
    if hasattr(value, "tzinfo") and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATE_FORMAT")


def _yen(amount) -> str | None:
    if amount is None:
        return None
    return "¥" + formats.number_format(Decimal(amount).quantize(Decimal(1)), force_grouping=True)

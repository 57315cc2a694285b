"""CSV export of a filtered customer list: UTF-8 with a BOM (so Excel in Japan opens it
correctly), cells that a spreadsheet would run as a formula neutralized, every export audited.
Custom attributes get one column per key held by the exported customers, headed by its label."""

from django.db.models import CharField, F, Func
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.audit import record_event
from callcenter.csv_files import BOM, line_writer, neutralize

from ..attributes import attribute_display_value, attribute_label
from ..phones import format_national

CHUNK = 2000


ATTRIBUTES = object()  # where the attribute columns go among the customer's columns


def _attribute_keys(customers) -> list[str]:
    """Every attribute key held by the exported customers, sorted: one set-returning statement
    over the same filter."""
    keys = Func(
        F("attributes"),
        template="jsonb_object_keys(CASE WHEN jsonb_typeof(%(expressions)s) = 'object' THEN %(expressions)s END)",
        output_field=CharField(),
    )
    return sorted(customers.order_by().annotate(attribute_key=keys).values_list("attribute_key", flat=True).distinct())


def _attribute_columns(keys: list[str], taken: set[str]):
    """One column per key, headed by its display label (contacts.attributes); a label that is
    already a column of the export says it is the attribute."""

    def getter(key):
        def value(customer):
            attributes = customer.attributes if isinstance(customer.attributes, dict) else {}
            return attribute_display_value(attributes[key]) if key in attributes else ""

        return value

    columns = []
    for key in keys:
        label = attribute_label(key)
        if label in taken:
            label = _("%(label)s (attribute)") % {"label": label}
        taken.add(label)
        columns.append((label, getter(key)))
    return columns


def _columns():
    def local(dt):
        return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else ""

    def phones(customer, primary):
        numbers = [format_national(p.number) for p in customer.phones.all() if p.is_primary == primary]
        return " ".join(numbers)

    return [
        (_("customer ID"), lambda c: c.external_id),
        (_("name"), lambda c: c.name),
        (_("name (kana)"), lambda c: c.name_kana),
        (_("primary phone"), lambda c: phones(c, True)),
        (_("other phones"), lambda c: phones(c, False)),
        (_("gender"), lambda c: c.get_gender_display() if c.gender else ""),
        (_("birth date"), lambda c: c.birth_date.isoformat() if c.birth_date else ""),
        (_("email"), lambda c: c.email),
        (_("postal code"), lambda c: c.postal_code),
        (_("prefecture"), lambda c: c.prefecture),
        (_("address"), lambda c: c.address),
        (_("registered at"), lambda c: local(c.registered_at)),
        (_("first purchase"), lambda c: local(c.first_purchase_at)),
        (_("last purchase"), lambda c: local(c.last_purchase_at)),
        (_("purchases"), lambda c: c.purchase_count),
        (_("total spent"), lambda c: c.total_spent),
        (_("subscription"), lambda c: c.get_subscription_status_display() if c.subscription_status else ""),
        (_("mail open rate"), lambda c: "" if c.mail_open_rate is None else c.mail_open_rate),
        (_("last web visit"), lambda c: local(c.last_web_visit_at)),
        (_("tags"), lambda c: " ".join(c.tags)),
        ATTRIBUTES,
        (_("last contact"), lambda c: local(c.last_contact_at)),
        (_("last outcome"), lambda c: c.last_disposition),
        (_("calls so far"), lambda c: c.attempt_count),
        (_("Do-not-call"), lambda c: _("yes") if getattr(c, "dnc_blocked", False) else ""),
    ]


def export_customers_csv(*, customers, by, filters: dict, description: str = ""):
    """Audit the export (who, when, which filter) and return an iterator of CSV text chunks:
    the BOM and header first, then the rows, read from the database in chunks."""
    from ..selectors import mark_dnc_blocked, with_phones

    record_event(
        actor=by,
        action="customers.export",
        summary=description or _("Customer export"),
        filters=filters,
    )
    fixed = _columns()
    taken = {column[0] for column in fixed if column is not ATTRIBUTES}
    attribute_columns = _attribute_columns(_attribute_keys(customers), taken)
    columns = []
    for column in fixed:
        columns.extend(attribute_columns if column is ATTRIBUTES else [column])
    rows = with_phones(customers).iterator(chunk_size=CHUNK)
    writer = line_writer()

    def write(batch):
        return "".join(
            writer.writerow([neutralize(getter(customer)) for _label, getter in columns])
            for customer in mark_dnc_blocked(batch)
        )

    def generate():
        yield BOM + writer.writerow([label for label, _getter in columns])
        batch = []
        for customer in rows:
            batch.append(customer)
            if len(batch) >= 1000:
                yield write(batch)
                batch = []
        if batch:
            yield write(batch)

    return generate()


def export_filename(now=None) -> str:
    now = timezone.localtime(now)
    return f"customers-{now:%Y%m%d-%H%M%S}.csv"


def _dnc_columns():
    def local(moment):
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""

    def who(user):
        return (f"{user.last_name} {user.first_name}".strip() or user.get_username()) if user else ""

    def status(entry):
        if entry.revoked_at:
            return _("Revoked")
        if entry.expires_at and entry.expires_at <= timezone.now():
            return _("Expired")
        return _("Active")

    return [
        (_("registered"), lambda e: local(e.created_at)),
        (_("phone number"), lambda e: format_national(e.phone_number) if e.phone_number else ""),
        (_("customer ID"), lambda e: e.customer.external_id if e.customer_id else ""),
        (_("name"), lambda e: e.customer.name if e.customer_id else ""),
        (_("scope"), lambda e: e.campaign.name if e.campaign_id else _("All campaigns")),
        (_("reason"), lambda e: e.get_reason_display()),
        (_("received via"), lambda e: e.get_source_display()),
        (_("note"), lambda e: e.note),
        (_("registered by"), lambda e: who(e.created_by)),
        (_("expires"), lambda e: local(e.expires_at)),
        (_("status"), status),
        (_("revoked"), lambda e: local(e.revoked_at)),
        (_("revoked by"), lambda e: who(e.revoked_by)),
        (_("revoke reason"), lambda e: e.revoke_reason),
    ]


def export_dnc_csv(*, entries, by, filters: dict):
    """The registry as filtered on its page: audited (who, which filter), then CSV chunks with a
    BOM and formula-safe cells."""
    record_event(actor=by, action="dnc.export", summary=_("Do-not-call registry export"), filters=filters)
    columns = _dnc_columns()
    writer = line_writer()

    def generate():
        yield BOM + writer.writerow([label for label, _getter in columns])
        batch = []
        for entry in entries.iterator(chunk_size=CHUNK):
            batch.append(writer.writerow([neutralize(getter(entry)) for _label, getter in columns]))
            if len(batch) >= 1000:
                yield "".join(batch)
                batch = []
        if batch:
            yield "".join(batch)

    return generate()

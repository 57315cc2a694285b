from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import MD5
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def default_time_zone():
    return settings.TIME_ZONE


def customer_search_text() -> models.Func:
    """Name and kana without spaces, lower-cased: the expression of the trigram index
    customer_search_trgm and of the customer search that reads it (contacts.selectors). One
    definition for both, or the planner would not use the index. A plain Func (no subclass) so the
    migration that creates the index does not import this module."""
    return models.Func(
        F("name"),
        F("name_kana"),
        # In the order the migration writes them: Func compares its keyword arguments in order.
        arg_joiner=" || '|' || ",
        template="lower(translate((%(expressions)s), ' \u3000', ''))",
        output_field=models.CharField(),
    )


class Customer(models.Model):
    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")
        OTHER = "other", _("Other")
        UNKNOWN = "", _("Unknown")

    class Subscription(models.TextChoices):
        NONE = "", _("None")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")

    external_id = models.CharField(_("customer ID"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True, default="")
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    email = models.EmailField(_("email"), blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    prefecture = models.CharField(_("prefecture"), max_length=10, blank=True, db_index=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default=default_time_zone)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    first_purchase_at = models.DateTimeField(_("first purchase"), null=True, blank=True)
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True)
    purchase_count = models.PositiveIntegerField(_("purchases"), default=0)
    total_spent = models.DecimalField(_("total spent"), max_digits=14, decimal_places=0, default=0)
    subscription_status = models.CharField(
        _("subscription"), max_length=16, choices=Subscription.choices, blank=True, default=""
    )
    mail_open_rate = models.FloatField(_("mail open rate"), null=True, blank=True)
    last_web_visit_at = models.DateTimeField(_("last web visit"), null=True, blank=True)
    tags = ArrayField(models.CharField(max_length=50), verbose_name=_("tags"), default=list, blank=True)
    # Client-specific behavioural or survey data, e.g. {"churn_score": 0.7, "favourite": "tea"}.
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    # [{"weekdays": [0..6], "start": "HH:MM", "end": "HH:MM"}]; empty = any time the policy allows.
    preferred_call_windows = models.JSONField(_("preferred call times"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The customer asked not to be called at work (貸金業法 Art. 21): with a policy whose
    # no_workplace_calls_rule is on, dispatch never dials their numbers of kind "work".
    no_workplace_calls = models.BooleanField(_("no calls to the workplace"), default=False, db_default=False)

    # Call history summary, kept current by the outcome service through contacts.services.
    last_attempt_at = models.DateTimeField(_("last call"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    last_disposition = models.CharField(_("last outcome"), max_length=32, blank=True)
    last_reaction = models.CharField(_("last reaction"), max_length=32, blank=True)
    consecutive_no_contact = models.PositiveIntegerField(_("no contact in a row"), default=0)
    attempt_count = models.PositiveIntegerField(_("calls so far"), default=0)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Set when the customer's personal data was erased on request (contacts.services.erasure).
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            # The customer list's search over a million customers (pg_trgm, created by the migration).
            GinIndex(OpClass(customer_search_text(), name="gin_trgm_ops"), name="customer_search_trgm"),
            # Tag rules and filters (tags @> / && ARRAY[...]).
            GinIndex(fields=["tags"], name="customer_tags_gin"),
            # "Days since ..." and age segment rules, and the list's sort columns.
            models.Index(fields=["last_purchase_at"], name="customer_last_purchase"),
            models.Index(fields=["registered_at"], name="customer_registered"),
            models.Index(fields=["birth_date"], name="customer_birth_date"),
            models.Index(fields=["last_contact_at"], name="customer_last_contact"),
            models.Index(fields=["total_spent"], name="customer_total_spent"),
        ]

    def __str__(self):
        return f"{self.name} ({self.external_id})"

    @property
    def primary_phone(self):
        phones = list(self.phones.all())
        for phone in phones:
            if phone.is_primary and phone.is_valid:
                return phone
        return next((p for p in phones if p.is_valid), None)

    def age(self, today=None):
        if not self.birth_date:
            return None
        today = today or timezone.localdate()
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class PhoneNumber(models.Model):
    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        HOME = "home", _("Home")
        WORK = "work", _("Workplace")
        OTHER = "other", _("Other")

    # Indexed through phone_unique_per_customer (customer_id, number) and phone_dial_choice.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones", db_index=False)
    # E.164 (+819012345678) when valid; the normalized input when not (kept, never dialed).
    # Looked up by equality (search, DNC: the btree phone_number) and by part (the search: the
    # trigram index phone_number_trgm).
    number = models.CharField(_("number"), max_length=32)
    raw = models.CharField(_("as entered"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.MOBILE)
    is_primary = models.BooleanField(_("primary"), default=False)
    is_valid = models.BooleanField(_("valid"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        constraints = [models.UniqueConstraint(fields=["customer", "number"], name="phone_unique_per_customer")]
        indexes = [
            models.Index(fields=["number"], name="phone_number"),
            # The customer search by part of a number ("5678", "090-1234"): number LIKE '%...%'.
            GinIndex(OpClass("number", name="gin_trgm_ops"), name="phone_number_trgm"),
            # The number a list build dials for each customer (first valid one, primary first),
            # read in customer order without touching the table: a merge join, no sort, no hash.
            models.Index(
                fields=["customer", "-is_primary", "id"],
                include=["number"],
                condition=Q(is_valid=True),
                name="phone_dial_choice",
            ),
        ]

    def __str__(self):
        return self.number


class DoNotCall(models.Model):
    """A do-not-call entry. Never deleted: revoking keeps the row as evidence."""

    class Reason(models.TextChoices):
        CUSTOMER_REQUEST = "customer_request", _("Customer request")
        COMPLAINT = "complaint", _("Complaint")
        LEGAL = "legal", _("Legal")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        DECEASED = "deceased", _("Deceased")
        OTHER = "other", _("Other")

    class Source(models.TextChoices):
        OPERATOR = "operator", _("Operator call")
        INBOUND = "inbound", _("Inbound call")
        IMPORT = "import", _("Import")
        SUPERVISOR = "supervisor", _("Supervisor")
        API = "api", _("API")

    phone_number = models.CharField(_("phone number"), max_length=32, blank=True, db_index=True)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dnc_entries",
    )
    # Null = global (every campaign). Lazy reference: contacts never imports campaigns.
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dnc_entries",
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoke_reason = models.TextField(_("revoke reason"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("do-not-call entry")
        verbose_name_plural = _("do-not-call entries")
        constraints = [
            models.CheckConstraint(
                condition=~Q(phone_number="") | Q(customer__isnull=False),
                name="dnc_phone_or_customer",
            )
        ]
        indexes = [
            models.Index(fields=["phone_number"], name="dnc_active_phone", condition=Q(revoked_at__isnull=True)),
            models.Index(fields=["customer"], name="dnc_active_customer", condition=Q(revoked_at__isnull=True)),
        ]

    def __str__(self):
        return self.phone_number or str(self.customer_id)

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > at)


class Segment(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    # {"match": "all"|"any", "rules": [{"field", "op", "value"}]} (docs/api.md#segments).
    criteria = models.JSONField(_("criteria"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self):
        return self.name


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        DNC = "dnc", _("Do-not-call numbers")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.CUSTOMERS)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    message = models.TextField(_("message"), blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"


class ImportRowError(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    line = models.PositiveIntegerField(_("line"))
    column = models.CharField(_("column"), max_length=100, blank=True)
    value = models.TextField(_("value"), blank=True)
    message = models.TextField(_("message"))

    class Meta:
        ordering = ["line", "id"]
        verbose_name = _("import error")
        verbose_name_plural = _("import errors")
        # A personal-data erasure finds the cells that hold one of the erased values
        # (contacts.services.erasure) without reading every report; md5, as a cell may be long.
        indexes = [models.Index(MD5("value"), name="import_error_value_md5")]

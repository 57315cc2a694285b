from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class Script(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("talk script")
        verbose_name_plural = _("talk scripts")

    def __str__(self):
        return self.name

    def latest_published(self):
        return self.versions.filter(status=ScriptVersion.Status.PUBLISHED).order_by("-number").first()


class ScriptVersion(models.Model):
    """A draft until published; immutable once published (editing starts a new draft)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    script = models.ForeignKey(Script, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    start_step = models.ForeignKey("Step", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField(_("change notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["script", "-number"]
        verbose_name = _("script version")
        verbose_name_plural = _("script versions")
        constraints = [
            models.UniqueConstraint(fields=["script", "number"], name="script_version_unique"),
            # Editing happens in one draft at a time; the console reads the one published version.
            models.UniqueConstraint(fields=["script"], condition=models.Q(status="draft"), name="script_one_draft"),
            models.UniqueConstraint(
                fields=["script"], condition=models.Q(status="published"), name="script_one_published"
            ),
        ]

    def __str__(self):
        return f"{self.script} v{self.number}"

    @property
    def is_draft(self) -> bool:
        """Only a draft may change. Published and retired versions are frozen, also in the
        database (triggers of migration 0002_version_guards refuse changes to their rows, steps and choices)."""
        return self.status == self.Status.DRAFT


class Step(models.Model):
    class Kind(models.TextChoices):
        SAY = "say", _("Say")
        QUESTION = "question", _("Question")
        BRANCH = "branch", _("Branch")
        END = "end", _("End")

    class AnswerType(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TEXT = "text", _("Free text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")

    version = models.ForeignKey(ScriptVersion, on_delete=models.CASCADE, related_name="steps")
    key = models.SlugField(_("key"), max_length=50, help_text=_("Short id, used in answers and exports"))
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SAY)
    title = models.CharField(_("title"), max_length=200, blank=True)
    text = models.TextField(_("text"), blank=True)
    is_disclosure = models.BooleanField(
        _("mandatory disclosure"),
        default=False,
        help_text=_("Business, caller, product and that it is a sales call (特定商取引法 Art. 16)"),
    )
    answer_type = models.CharField(_("answer type"), max_length=10, choices=AnswerType.choices, blank=True)
    required = models.BooleanField(_("required"), default=False)
    # branch: [{"source": "answer:<step key>"|"customer:<field>", "op": "eq"|..., "value": ..., "next": "<key>"}]
    branch_rules = models.JSONField(_("branch rules"), default=list, blank=True)
    next_step = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("next step"),
    )
    suggested_disposition = models.CharField(_("suggested outcome"), max_length=32, blank=True)

    class Meta:
        ordering = ["version", "position", "id"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="step_key_unique")]

    def __str__(self):
        return f"{self.key}: {self.title or self.get_kind_display()}"


class Choice(models.Model):
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveIntegerField(default=0)
    value = models.CharField(_("value"), max_length=100)
    label = models.CharField(_("label"), max_length=200)
    next_step = models.ForeignKey(
        Step,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("next step"),
    )

    class Meta:
        ordering = ["step", "position", "id"]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")

    def __str__(self):
        return self.label


class Rebuttal(models.Model):
    """切り返しトーク: an objection and the answer to it, searchable from the console."""

    script = models.ForeignKey(Script, on_delete=models.CASCADE, related_name="rebuttals")
    objection = models.CharField(_("objection"), max_length=300)
    answer = models.TextField(_("answer"))
    tags = models.CharField(_("keywords"), max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["script", "position", "id"]
        verbose_name = _("rebuttal")
        verbose_name_plural = _("rebuttals")

    def __str__(self):
        return self.objection


class DisclosureReview(models.Model):
    """A supervisor's confirmation that the wording of a published version's disclosure step
    covers items no placeholder can prove (特定商取引法 Art. 16: company, caller, product, that this
    is a sales call). One per version: a new version's wording needs its own confirmation."""

    version = models.OneToOneField(ScriptVersion, on_delete=models.CASCADE, related_name="disclosure_review")
    items = ArrayField(models.CharField(max_length=16), verbose_name=_("items the wording covers"), default=list)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), auto_now=True)

    class Meta:
        verbose_name = _("disclosure review")
        verbose_name_plural = _("disclosure reviews")

    def __str__(self):
        return f"{self.version}: {', '.join(self.items)}"

"""Publishing: a draft becomes the version operators read, after passing the flow checks."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.audit import record_event

from ..locks import lock_version
from ..models import ScriptVersion
from .errors import PublishRefused, VersionNotEditable
from .readiness import EmptyStep, publish_problems


@transaction.atomic
def publish_version(*, version: ScriptVersion, by, notes: str | None = None) -> ScriptVersion:
    """Publish a draft: refused while `publish_problems` finds any (empty steps, unreachable steps, dangling links…).
    The version published before it is retired, so each script has one current version; calls
    already under way keep the version they started with (attempts record it)."""
    version = lock_version(version.pk)
    if not version.is_draft:
        raise VersionNotEditable(_("Version %(number)s is already published.") % {"number": version.number})
    problems = publish_problems(version)
    empty = list(dict.fromkeys(p.step_key for p in problems if isinstance(p, EmptyStep)))
    if empty:
        raise PublishRefused(
            _("This draft cannot be published: these steps are still empty: %(keys)s. Write them first.")
            % {"keys": ", ".join(empty)},
            problems,
        )
    if problems:
        raise PublishRefused(
            _("This draft cannot be published yet: %(count)s problem(s) to fix.") % {"count": len(problems)},
            problems,
        )
    previous = list(
        version.script.versions.filter(status=ScriptVersion.Status.PUBLISHED).values_list("number", flat=True)
    )
    version.script.versions.filter(status=ScriptVersion.Status.PUBLISHED).update(status=ScriptVersion.Status.RETIRED)
    if notes is not None:
        version.notes = notes
    version.status = ScriptVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = by
    version.save(update_fields=["status", "published_at", "published_by", "notes"])
    record_event(
        actor=by,
        action="script.published",
        target=version,
        summary=f"{version.script.name} v{version.number}",
        retired=previous,
    )
    return version

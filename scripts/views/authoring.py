"""Supervisor pages: script list, script overview, the version editor and the step form."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from callcenter import roles

from .. import selectors, services
from ..flow import Flow
from ..forms import AddStepForm, ChoiceFormSet, PublishForm, RuleFormSet, ScriptForm, StepForm
from ..models import Choice, Script, ScriptVersion, Step
from ..placeholders import PLACEHOLDERS, render_outline

manage = roles.permission_required(roles.MANAGE_LISTS)


def _version_url(version, anchor=""):
    url = reverse("scripts:version_detail", args=[version.pk])
    return f"{url}#{anchor}" if anchor else url


def _refused(request, error):
    messages.error(request, error.message)


def _stale(request):
    messages.error(
        request,
        _("The script changed meanwhile (it may have been published). Nothing was saved; please check and try again."),
    )


def _back(*, version_id=None, script_id=None, anchor=""):
    """Back to the version editor after a refusal, or to what is left of it when another request
    removed the version (a discarded draft) or the whole script meanwhile (services.Gone)."""
    if version_id and ScriptVersion.objects.filter(pk=version_id).exists():
        url = reverse("scripts:version_detail", args=[version_id])
        return redirect(f"{url}#{anchor}" if anchor else url)
    if script_id and Script.objects.filter(pk=script_id).exists():
        return redirect("scripts:script_detail", pk=script_id)
    return redirect("scripts:script_list")


@manage
def script_list(request):
    q = request.GET.get("q", "").strip()
    sort = request.GET.get("sort", "")
    page = Paginator(selectors.script_list(q=q, sort=sort), 25).get_page(request.GET.get("page"))
    return render(request, "scripts/script_list.html", {"page": page, "q": q})


@manage
def script_create(request):
    form = ScriptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            script = services.create_script(
                name=form.cleaned_data["name"], description=form.cleaned_data["description"], by=request.user
            )
        except services.ScriptServiceError as error:  # the name was taken meanwhile
            form.add_error("name", error.message)
        else:
            messages.success(request, _("Script created. Write its steps, then publish it."))
            return redirect(_version_url(script.versions.get()))
    return render(request, "scripts/script_form.html", {"form": form})


@manage
def script_edit(request, pk):
    script = get_object_or_404(Script, pk=pk)
    form = ScriptForm(request.POST or None, instance=Script.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_script(
                script=script,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                by=request.user,
            )
        except services.Gone as error:
            _refused(request, error)
            return _back()
        except services.ScriptServiceError as error:  # the name was taken meanwhile
            form.add_error("name", error.message)
            return render(request, "scripts/script_form.html", {"form": form, "script": script})
        messages.success(request, _("Saved."))
        return redirect("scripts:script_detail", pk=script.pk)
    return render(request, "scripts/script_form.html", {"form": form, "script": script})


@manage
def script_detail(request, pk):
    script = get_object_or_404(Script, pk=pk)
    versions = script.versions.select_related("published_by", "created_by").order_by("-number")
    campaigns = script.campaigns.order_by("name")
    return render(
        request,
        "scripts/script_detail.html",
        {
            "script": script,
            "versions": versions,
            "draft": next((v for v in versions if v.is_draft), None),
            "current": next((v for v in versions if v.status == ScriptVersion.Status.PUBLISHED), None),
            "campaigns": campaigns,
            "rebuttal_count": script.rebuttals.count(),
        },
    )


@manage
@require_POST
def script_delete(request, pk):
    script = get_object_or_404(Script, pk=pk)
    try:
        services.delete_script(script=script, by=request.user)
    except services.ScriptServiceError as error:
        _refused(request, error)
        return _back(script_id=pk)
    messages.success(request, _("Script deleted."))
    return redirect("scripts:script_list")


@manage
@require_POST
def draft_start(request, pk):
    """ "Edit" on a published script: open its draft, creating it from the current version."""
    script = get_object_or_404(Script, pk=pk)
    try:
        draft, created = services.start_draft(script=script, by=request.user)
    except services.Gone as error:
        _refused(request, error)
        return _back()
    if created:
        messages.info(
            request,
            _("Draft version %(number)s created. Operators keep the published version until you publish this one.")
            % {"number": draft.number},
        )
    return redirect(_version_url(draft))


# ---------------------------------------------------------------- version editor


@manage
def version_detail(request, pk):
    version = get_object_or_404(ScriptVersion.objects.select_related("script", "published_by"), pk=pk)
    flow = Flow(version)
    problems = services.publish_problems(version, flow) if version.is_draft else []
    problem_keys = {p.step_key for p in problems if p.step_key}
    reachable = flow.reachable()
    cards = [
        {
            "step": step,
            "text_html": render_outline(step.text),
            # A question's choices are listed whether routed or not, each with where it leads.
            "edges": [edge for edge in flow.edges(step) if edge.kind != "choice"],
            "choices": [
                {"choice": choice, "target": flow.by_id.get(choice.next_step_id) if choice.next_step_id else None}
                for choice in step.choices.all()
            ],
            "problems": [p.message for p in problems if p.step_key == step.key],
            "unreachable": flow.start is not None and step.id not in reachable,
        }
        for step in flow.steps
    ]
    return render(
        request,
        "scripts/version_detail.html",
        {
            "version": version,
            "script": version.script,
            "editable": version.is_draft,
            "cards": cards,
            "outline": flow.outline(),
            "unreachable": flow.unreachable_steps() if flow.start else [],
            "problems": problems,
            "general_problems": [p for p in problems if not p.step_key],
            "problem_keys": problem_keys,
            "add_form": AddStepForm(version=version, initial={"after": flow.steps[-1].pk if flow.steps else None}),
            "publish_form": PublishForm(initial={"notes": version.notes}),
            "versions": version.script.versions.order_by("-number"),
            "dispositions": selectors.disposition_labels(),
            "choice_step_kinds": [(kind, Step.Kind(kind).label) for kind in CHOICE_STEP_KINDS],
        },
    )


@manage
@require_POST
def version_publish(request, pk):
    version = get_object_or_404(ScriptVersion, pk=pk)
    form = PublishForm(request.POST)
    notes = form.cleaned_data["notes"] if form.is_valid() else None
    try:
        services.publish_version(version=version, by=request.user, notes=notes)
    except services.PublishRefused as error:
        _refused(request, error)
        return redirect(_version_url(version, "problems"))
    except services.VersionNotEditable as error:
        _refused(request, error)
        return redirect(_version_url(version))
    except services.Gone as error:
        _refused(request, error)
        return _back(script_id=version.script_id)
    messages.success(
        request,
        _("Version %(number)s is published: operators see it from their next call.") % {"number": version.number},
    )
    return redirect("scripts:script_detail", pk=version.script_id)


@manage
@require_POST
def version_discard(request, pk):
    version = get_object_or_404(ScriptVersion, pk=pk)
    try:
        services.discard_draft(version=version, by=request.user)
    except services.ScriptServiceError as error:
        _refused(request, error)
        return _back(version_id=version.pk, script_id=version.script_id)
    messages.success(request, _("Draft discarded."))
    return redirect("scripts:script_detail", pk=version.script_id)


@manage
@require_POST
def step_add(request, pk):
    version = get_object_or_404(ScriptVersion, pk=pk)
    form = AddStepForm(request.POST, version=version)
    if not form.is_valid():
        messages.error(request, _("The step could not be added: choose its kind."))
        return redirect(_version_url(version))
    try:
        step = services.add_step(
            version=version,
            kind=form.cleaned_data["kind"],
            title=form.cleaned_data["title"],
            after=form.cleaned_data["after"],
            by=request.user,
        )
    except services.ScriptServiceError as error:
        _refused(request, error)
        return _back(version_id=version.pk, script_id=version.script_id)
    if step.kind in (Step.Kind.QUESTION, Step.Kind.BRANCH):
        return redirect("scripts:step_edit", pk=step.pk)  # choices / rules come next
    return redirect(_version_url(version, f"step-{step.key}"))


@manage
@require_POST
def version_set_start(request, pk):
    version = get_object_or_404(ScriptVersion, pk=pk)
    step_id = request.POST.get("step", "")
    step = get_object_or_404(Step, pk=step_id if step_id.isdigit() else 0, version=version)
    try:
        services.set_start_step(version=version, step=step, by=request.user)
    except services.ScriptServiceError as error:
        _refused(request, error)
    return _back(version_id=version.pk, script_id=version.script_id, anchor=f"step-{step.key}")


# ---------------------------------------------------------------- steps


def _step_initial_rules(step):
    return [{k: rule.get(k, "") for k in ("source", "op", "value", "next")} for rule in step.branch_rules or []]


@manage
def step_edit(request, pk):
    step = get_object_or_404(Step.objects.select_related("version__script"), pk=pk)
    version = step.version
    if not version.is_draft:
        messages.info(request, _("This version is published and cannot change. Start a new draft to edit it."))
        return redirect(_version_url(version, f"step-{step.key}"))
    data = request.POST if request.method == "POST" else None
    form = StepForm(data, instance=step)
    choice_initial = [{"value": c.value, "label": c.label, "next_step": c.next_step_id} for c in step.choices.all()]
    choices = ChoiceFormSet(data, prefix="choices", initial=choice_initial, form_kwargs={"version": version})
    rules = RuleFormSet(data, prefix="rules", initial=_step_initial_rules(step), form_kwargs={"version": version})
    if request.method == "POST" and form.is_valid() and choices.is_valid() and rules.is_valid():
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.update_step(
                step=step, values=values, choices=choices.choices(), rules=rules.rules(), by=request.user
            )
        except services.ScriptServiceError as error:
            _refused(request, error)
            return _back(version_id=version.pk, script_id=version.script_id, anchor=f"step-{step.key}")
        except IntegrityError:
            _stale(request)
            return redirect(_version_url(version))
        messages.success(request, _("Step saved."))
        return redirect(_version_url(version, f"step-{values['key']}"))
    return render(
        request,
        "scripts/step_form.html",
        {
            "step": step,
            "version": version,
            "script": version.script,
            "form": form,
            "choices": choices,
            "rules": rules,
            "placeholders": PLACEHOLDERS,
        },
    )


CHOICE_STEP_KINDS = (Step.Kind.SAY, Step.Kind.QUESTION, Step.Kind.END)


@manage
@require_POST
def choice_next_step(request, pk):
    """ "Create next step here" on a choice of the editor: the new step, routed from the choice."""
    choice = get_object_or_404(Choice.objects.select_related("step__version"), pk=pk)
    version = choice.step.version
    kind = request.POST.get("kind", "")
    if kind not in CHOICE_STEP_KINDS:
        messages.error(request, _("The step could not be added: choose its kind."))
        return _back(version_id=version.pk, script_id=version.script_id, anchor=f"step-{choice.step.key}")
    try:
        step = services.add_step_for_choice(version=version, choice_id=choice.pk, kind=kind, by=request.user)
    except services.ScriptServiceError as error:
        _refused(request, error)
        return _back(version_id=version.pk, script_id=version.script_id, anchor=f"step-{choice.step.key}")
    messages.success(
        request,
        _("Step %(key)s created: “%(choice)s” now leads to it. Write its text.")
        % {"key": step.key, "choice": choice.label},
    )
    return redirect(_version_url(version, f"step-{step.key}"))


@manage
@require_POST
def step_move(request, pk):
    step = get_object_or_404(Step.objects.select_related("version"), pk=pk)
    try:
        services.move_step(
            step=step, direction="up" if request.POST.get("direction") == "up" else "down", by=request.user
        )
    except services.ScriptServiceError as error:
        _refused(request, error)
    return _back(version_id=step.version_id, script_id=step.version.script_id, anchor=f"step-{step.key}")


@manage
@require_POST
def step_delete(request, pk):
    step = get_object_or_404(Step.objects.select_related("version"), pk=pk)
    try:
        services.delete_step(step=step, by=request.user)
    except services.ScriptServiceError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Step %(key)s deleted.") % {"key": step.key})
    return _back(version_id=step.version_id, script_id=step.version.script_id)

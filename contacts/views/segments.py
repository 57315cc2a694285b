"""Segment pages: the list, the rule builder (create, edit) with its live count, duplicate, delete."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from callcenter import call_outcomes, roles

from .. import selectors
from ..forms import SegmentForm, add_service_errors
from ..models import Segment
from ..segments import builder_schema, customers_matching, describe_criteria, page_errors, validate_criteria
from ..services import segments as segment_service


@roles.permission_required(roles.MANAGE_LISTS)
def segment_list(request):
    segments = list(selectors.segments_list())
    for segment in segments:
        segment.summary = describe_criteria(segment.criteria)
    return render(request, "contacts/segment_list.html", {"segments": segments})


def _builder_context(form, segment=None):
    criteria = (
        form["criteria"].value()
        if form.is_bound
        else json.dumps(segment.criteria if segment else {"match": "all", "rules": []}, ensure_ascii=False)
    )
    schema = builder_schema()
    schema["suggestions"] = _value_suggestions()
    labels = {
        "field": _("Field"),
        "operator": _("Operator"),
        "value": _("Value"),
        "key": _("Attribute key"),
        "known": _("is known"),
        "unknown": _("is unknown"),
        "yes": _("yes"),
        "no": _("no"),
        "low": _("from"),
        "high": _("to"),
        "comma": _("values, separated by commas"),
        "remove": _("Remove rule"),
        "and": _("and"),
        "or": _("or"),
        "group": _("Group of rules (edit through the API)"),
    }
    return {"form": form, "segment": segment, "criteria_json": criteria or "{}", "schema": schema, "labels": labels}


def _value_suggestions() -> dict:
    """Known values for free-text fields (dispositions, reactions, prefectures, tags), offered
    as suggestions in the builder. Outcomes and reactions belong to campaigns: asked through
    callcenter.call_outcomes, with the retired outcomes that past calls still carry."""
    return {
        "prefecture": selectors.known_prefectures(),
        "tag": selectors.known_tags(),
        "last_disposition": [[code, label] for code, label in call_outcomes.dispositions(active_only=False).items()],
        "last_reaction": [[code, label] for code, label in call_outcomes.reactions().items()],
    }


@roles.permission_required(roles.MANAGE_LISTS)
def segment_create(request):
    form = SegmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            segment = segment_service.create_segment(
                by=request.user,
                name=form.cleaned_data["name"],
                criteria=form.cleaned_data["criteria"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
            return redirect("contacts:segment_list")
    return render(request, "contacts/segment_builder.html", _builder_context(form))


@roles.permission_required(roles.MANAGE_LISTS)
def segment_edit(request, pk):
    segment = get_object_or_404(Segment, pk=pk)
    if request.method == "POST":
        form = SegmentForm(request.POST)
        if form.is_valid():
            try:
                segment_service.update_segment(
                    segment=segment,
                    by=request.user,
                    name=form.cleaned_data["name"],
                    criteria=form.cleaned_data["criteria"],
                    description=form.cleaned_data["description"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
                return redirect("contacts:segment_list")
    else:
        form = SegmentForm(initial={"name": segment.name, "description": segment.description})
    return render(request, "contacts/segment_builder.html", _builder_context(form, segment))


@require_POST
@roles.permission_required(roles.MANAGE_LISTS)
def segment_duplicate(request, pk):
    segment = get_object_or_404(Segment, pk=pk)
    try:
        copy = segment_service.duplicate_segment(segment=segment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("contacts:segment_list")
    messages.success(request, _("Copied to “%(name)s”.") % {"name": copy.name})
    return redirect("contacts:segment_edit", pk=copy.pk)


@require_POST
@roles.permission_required(roles.MANAGE_LISTS)
def segment_delete(request, pk):
    segment = Segment.objects.filter(pk=pk).first()
    if segment is None:
        messages.info(request, _("That segment was already deleted."))
        return redirect("contacts:segment_list")
    try:
        segment_service.delete_segment(segment=segment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Segment “%(name)s” deleted.") % {"name": segment.name})
    return redirect("contacts:segment_list")


@require_POST
@roles.permission_required(roles.MANAGE_LISTS)
def segment_preview(request):
    """htmx: the live count (and a few sample customers) of the criteria being edited."""
    try:
        criteria = json.loads(request.POST.get("criteria") or "{}")
    except ValueError:
        return render(request, "contacts/_segment_count.html", {"errors": [_("The rules could not be read.")]})
    errors = page_errors(criteria)
    if errors:
        return render(request, "contacts/_segment_count.html", {"errors": errors})
    criteria = validate_criteria(criteria)
    customers = customers_matching(criteria)
    return render(
        request,
        "contacts/_segment_count.html",
        {
            "count": customers.count(),
            "sample": customers.order_by("-id")[:5],
            "summary": describe_criteria(criteria),
        },
    )


@roles.permission_required(roles.MANAGE_LISTS)
def segment_count(request, pk):
    """htmx: the current count of a saved segment (list page, loaded after the page)."""
    segment = get_object_or_404(Segment, pk=pk)
    try:
        count = customers_matching(segment.criteria).count()
    except ValidationError:
        return HttpResponse('<span class="badge text-bg-warning">{}</span>'.format(_("invalid rules")))
    url = reverse("contacts:customer_list") + f"?segment={segment.pk}"
    return HttpResponse(
        f'<a class="badge text-bg-primary text-decoration-none" href="{url}" data-testid="segment-count">{count:,}</a>'
    )

"""The rebuttal library (切り返しトーク) of a script."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from callcenter import roles

from .. import selectors, services
from ..forms import RebuttalForm
from ..models import Rebuttal, Script

manage = roles.permission_required(roles.MANAGE_LISTS)


@manage
def rebuttal_list(request, pk):
    script = get_object_or_404(Script, pk=pk)
    form = RebuttalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_rebuttal(script=script, by=request.user, **form.cleaned_data)
        except services.Gone as error:  # the script was deleted meanwhile
            messages.warning(request, str(error))
            return redirect("scripts:script_list")
        messages.success(request, _("Rebuttal added."))
        return redirect("scripts:rebuttal_list", pk=script.pk)
    q = request.GET.get("q", "").strip()
    page = Paginator(selectors.search_rebuttals(script=script, q=q), 30).get_page(request.GET.get("page"))
    return render(request, "scripts/rebuttal_list.html", {"script": script, "form": form, "page": page, "q": q})


@manage
def rebuttal_edit(request, pk):
    rebuttal = get_object_or_404(Rebuttal.objects.select_related("script"), pk=pk)
    form = RebuttalForm(request.POST or None, instance=Rebuttal.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.save_rebuttal(script=rebuttal.script, rebuttal=rebuttal, by=request.user, **form.cleaned_data)
        except services.Gone as error:  # deleted meanwhile: say so, do not write it back
            messages.warning(request, str(error))
            return redirect("scripts:rebuttal_list", pk=rebuttal.script_id)
        messages.success(request, _("Rebuttal saved."))
        return redirect("scripts:rebuttal_list", pk=rebuttal.script_id)
    return render(
        request, "scripts/rebuttal_form.html", {"form": form, "rebuttal": rebuttal, "script": rebuttal.script}
    )


@manage
@require_POST
def rebuttal_delete(request, pk):
    rebuttal = get_object_or_404(Rebuttal, pk=pk)
    try:
        services.delete_rebuttal(rebuttal=rebuttal, by=request.user)
    except services.Gone as error:  # the script was deleted meanwhile
        messages.warning(request, str(error))
        return redirect("scripts:script_list")
    messages.success(request, _("Rebuttal deleted."))
    return redirect("scripts:rebuttal_list", pk=rebuttal.script_id)

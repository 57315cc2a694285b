"""Export a version as a JSON file; import one as a draft."""

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _

from callcenter import roles

from .. import services
from ..forms import ImportForm
from ..models import ScriptVersion


@roles.permission_required(roles.MANAGE_LISTS)
def version_export(request, pk):
    version = get_object_or_404(ScriptVersion.objects.select_related("script"), pk=pk)
    body = json.dumps(services.export_version(version), ensure_ascii=False, indent=2)
    name = slugify(version.script.name) or f"script-{version.script_id}"
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-v{version.number}.json"'
    return response


@roles.permission_required(roles.MANAGE_LISTS)
def script_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        try:
            version = services.import_script(
                data=form.cleaned_data["data"],
                by=request.user,
                name=form.cleaned_data["name"].strip(),
                into=form.cleaned_data["into"],
            )
        except services.ImportRefused as error:
            form.add_error(None, error.message)
            problems = error.problems
        else:
            messages.success(
                request,
                _("Imported as draft version %(number)s. Check it, then publish it.") % {"number": version.number},
            )
            return redirect("scripts:version_detail", pk=version.pk)
    return render(request, "scripts/import.html", {"form": form, "problems": problems})

"""The agency's report template, and a client's report language and own template (owners, admins)."""

from django.contrib import messages
from django.shortcuts import redirect, render

from agency.team.access import manager_required
from clients.access import visible_client_or_404
from reports import selectors, services
from reports.forms import ClientReportSettingsForm, ReportTemplateForm
from reports.models import Section


@manager_required
def report_template(request):
    template = selectors.agency_template()
    form = ReportTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        template = form.save(commit=False)
        template.sections = form.ordered_sections()
        services.report_template_save(template=template, actor=request.user)
        messages.success(request, "The report template was saved: new reports follow it.")
        return redirect("report_template")
    return render(request, "reports/template_form.html", {"form": form, "sections": Section.choices})


@manager_required
def client_report_settings(request, pk):
    client = visible_client_or_404(user=request.user, pk=pk)
    agency_sections = selectors.agency_template().sections or list(Section.values)
    settings = selectors.client_settings(client=client)
    form = ClientReportSettingsForm(request.POST or None, instance=settings, agency_sections=agency_sections)
    if request.method == "POST" and form.is_valid():
        settings = form.save(commit=False)
        settings.sections = form.ordered_sections()
        services.report_client_settings_save(settings=settings, actor=request.user)
        messages.success(request, f"The report settings of {client} were saved.")
        return redirect("client_reports", pk=client.pk)
    return render(request, "reports/client_settings.html", {"form": form, "client": client})

"""Platform console pages: request a report export for any tenant, download it when done.

Plain ``django.contrib.admin``. The platform app wraps every registered admin in its role
rules (``apps.platform.console.ConsoleSite``): operators may view, owners/admins may
request. An export is never edited: the add form records it through
``apps.reports.services.export_request`` (which enqueues ``reports.generate_export`` after
commit); the download view streams the stored file as an attachment to any operator who may
view the page. Ratings are read-only here.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html

from apps.reports.models import ConversationRating, ExportStatus, ReportExport
from apps.reports.periods import PERIODS, period_resolve
from apps.reports.services import export_request
from ringnity.api.errors import ApiError


class ExportRequestForm(forms.ModelForm):
    period_type = forms.ChoiceField(choices=[(p, p) for p in PERIODS], initial="30days")
    first_day = forms.DateField(required=False, help_text="custom only (tenant's local day)")
    last_day = forms.DateField(required=False, help_text="custom only, inclusive")

    class Meta:
        model = ReportExport
        fields = ("tenant", "period_type", "first_day", "last_day", "format")

    def clean(self):
        data = super().clean()
        tenant = data.get("tenant")
        if tenant is not None and data.get("period_type"):
            try:
                self.period = period_resolve(
                    tenant=tenant,
                    period=data["period_type"],
                    start_date=str(data["first_day"]) if data.get("first_day") else None,
                    end_date=str(data["last_day"]) if data.get("last_day") else None,
                )
            except ApiError as exc:
                raise ValidationError(exc.details or exc.message) from exc
        return data


@admin.register(ReportExport)
class ReportExportAdmin(admin.ModelAdmin):
    form = ExportRequestForm
    list_display = ("public_id", "tenant", "format", "period_type", "first_day", "last_day", "status", "size_bytes")
    list_display += ("requested_by", "created_at", "download")
    list_filter = ("status", "format", "period_type")
    search_fields = ("public_id", "tenant__slug")
    list_select_related = ("tenant", "requested_by")
    readonly_fields = ("public_id", "status", "size_bytes", "requested_by", "requested_via", "error", "finished_at")
    list_per_page = 50
    allow_delete = False  # read by the console's role rules (``RolePermissions``)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # an export is a record: never edited after the request
            return [f.name for f in ReportExport._meta.concrete_fields]
        return ()

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="file")
    def download(self, obj):
        if obj.status != ExportStatus.DONE or not obj.file:
            return "-"
        return format_html('<a href="{}">download</a>', reverse("admin:reports_reportexport_download", args=[obj.pk]))

    def get_urls(self):
        view = self.admin_site.admin_view(self.download_view)
        return [path("<int:pk>/download/", view, name="reports_reportexport_download"), *super().get_urls()]

    def download_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        export = ReportExport.objects.cross_tenant().filter(pk=pk, status=ExportStatus.DONE).first()
        if export is None or not export.file:
            raise Http404
        name = export.file.name.rsplit("/", 1)[-1]
        return FileResponse(export.file.open("rb"), as_attachment=True, filename=name)

    def save_model(self, request, obj, form, change):
        if change:
            return
        export = export_request(
            tenant=form.cleaned_data["tenant"],
            period=form.period,
            fmt=form.cleaned_data["format"],
            requested_by=request.user,
            via="console",
        )
        obj.pk, obj.public_id, obj.created_at = export.pk, export.public_id, export.created_at
        messages.info(request, f"Export {export.public_id} queued; it can be downloaded here when done.")


@admin.register(ConversationRating)
class ConversationRatingAdmin(admin.ModelAdmin):
    list_display = ("conversation", "tenant", "score", "agent", "created_at")
    list_filter = ("score",)
    list_select_related = ("conversation", "tenant", "agent")
    readonly_fields = ("conversation", "tenant", "score", "comment", "agent", "created_at")
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

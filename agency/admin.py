from django.contrib import admin

from agency.models import Agency, AgencyDeletion, Domain, OperatorEvent, Plan


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "schema_name", "plan", "suspended_at", "created_at")
    list_filter = ("plan",)
    search_fields = ("name", "slug")
    # Plans, suspension and deletion change through the operator console (audited there).
    readonly_fields = ("schema_name", "plan", "suspended_at", "suspension_reason")
    inlines = [DomainInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never written by hand: the operator console writes them, and audits it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    """Created and changed in the operator console (/operator/plans/), which audits it."""

    list_display = ("name", "max_clients", "max_locations", "max_members", "api_requests_per_minute")


@admin.register(OperatorEvent)
class OperatorEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "action", "agency_slug", "target")
    list_filter = ("action",)
    search_fields = ("agency_slug", "actor_label", "target")


@admin.register(AgencyDeletion)
class AgencyDeletionAdmin(ReadOnlyAdmin):
    list_display = ("slug", "name", "requested_by", "scheduled_for", "cancelled_at", "deleted_at")

from django.contrib import admin

from agency.models import Agency, Domain


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "schema_name", "created_at")
    search_fields = ("name", "slug")
    readonly_fields = ("schema_name",)
    inlines = [DomainInline]

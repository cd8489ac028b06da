from django.contrib import admin

from citizens.models import CitizenReport


@admin.register(CitizenReport)
class CitizenReportAdmin(admin.ModelAdmin):
    """Read-only: reports are made on the public page (citizens.services) and handled as cases."""

    list_display = ["code", "case", "public_category", "created_at"]
    list_filter = ["public_category"]
    search_fields = ["code", "case__tracking_number"]
    readonly_fields = ["code", "case", "public_category", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

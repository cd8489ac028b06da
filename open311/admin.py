"""API keys are made here: the key is shown once, in the message after saving."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _

from open311.models import ApiKey, Open311Request
from open311.services import api_key_create


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "source", "prefix", "active", "created_at", "last_used_at"]
    list_filter = ["source", "active"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    fields = ["name", "source", "active", "prefix", "created_at", "last_used_at"]

    def get_readonly_fields(self, request, obj=None):
        # The source of an existing key stays: the cases it made carry it.
        return [*self.readonly_fields, "source"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        row, key = api_key_create(name=obj.name, source=obj.source)
        if not obj.active:
            ApiKey.objects.filter(pk=row.pk).update(active=False)
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = row.pk, row.prefix, row.key_hash, row.created_at
        messages.warning(
            request,
            _("The new API key is %(key)s. Copy it now and give it to the client system: it is not shown again.")
            % {"key": key},
        )


@admin.register(Open311Request)
class Open311RequestAdmin(admin.ModelAdmin):
    """Read-only: requests are posted by client systems and handled as cases."""

    list_display = ["token", "case", "service_code", "api_key", "created_at"]
    list_filter = ["api_key"]
    search_fields = ["token", "case__tracking_number"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

"""The device registry in the admin (system administrators): integrations and devices with
their keys (made here, shown once, only the hash kept), event types with their thresholds; alerts
read-only."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from leaflet.admin import LeafletGeoAdmin

from devices.models import Alert, Device, EventType, Integration
from devices.services import device_location_problem, device_save, key_issue


class KeyAdminMixin:
    """Saving a new integration or device gives it a key; the action "new key" replaces one."""

    actions = ["issue_key"]

    def _show(self, request, holder, key: str) -> None:
        messages.warning(
            request,
            _(
                "The key of %(name)s is %(key)s. Copy it now and give it to the device or platform: it is not shown again."
            )
            % {"name": holder, "key": key},
        )

    @admin.action(description=gettext_lazy("Issue a new key (the old one stops working)"))
    def issue_key(self, request, queryset):
        for holder in queryset:
            self._show(request, holder, key_issue(holder=holder, actor=request.user))


@admin.register(Integration)
class IntegrationAdmin(KeyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "prefix", "active", "created_at", "last_used_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    fields = ["name", "active", "prefix", "created_at", "last_used_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            self._show(request, obj, key_issue(holder=obj, actor=request.user))


class DeviceAdminForm(forms.ModelForm):
    class Meta:
        model = Device
        fields = ["code", "name", "kind", "location", "owner", "integration", "active"]

    def clean(self):
        data = super().clean()
        if problem := device_location_problem(device=Device(location=data.get("location"))):
            self.add_error("location", problem)
        return data


@admin.register(Device)
class DeviceAdmin(KeyAdminMixin, LeafletGeoAdmin):
    form = DeviceAdminForm  # a location outside the city is named on its field
    list_display = ["code", "name", "kind", "micro_grid", "integration", "prefix", "active", "last_alert_at"]
    list_filter = ["kind", "integration", "active"]
    search_fields = ["code", "name", "owner"]
    list_select_related = ["micro_grid", "integration"]
    readonly_fields = ["micro_grid", "prefix", "created_at", "last_alert_at"]

    def save_model(self, request, obj, form, change):
        device_save(device=obj)
        if not change and obj.integration_id is None:
            # A device without a platform posts with a key of its own.
            self._show(request, obj, key_issue(holder=obj, actor=request.user))


@admin.register(EventType)
class EventTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "threshold", "merge_minutes", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["category"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Read-only: alerts are posted by devices and handled as cases."""

    list_display = ["occurred_at", "device", "event_type", "confidence", "outcome", "case"]
    list_filter = ["outcome", "event_type"]
    search_fields = ["device__code", "alert_id", "case__tracking_number"]
    list_select_related = ["device", "event_type", "case"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

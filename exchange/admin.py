"""The upstream systems' registry in the admin (system administrators): code, name, the source of
their cases, callback URL and signing secret, whether they receive every case (the higher-level
platform), active; the key they post orders with (made here, shown once, only its hash kept).
Orders received are read-only."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.models import ExternalOrder, UpstreamSystem
from exchange.services import key_issue


@admin.register(UpstreamSystem)
class UpstreamSystemAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "source", "push_all", "callback_url", "prefix", "active", "last_used_at"]
    list_filter = ["source", "push_all", "active"]
    search_fields = ["code", "name"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    fields = ["code", "name", "source", "callback_url", "secret", "push_all", "active", "prefix", "created_at",
              "last_used_at"]  # fmt: skip
    actions = ["issue_key"]

    def _show(self, request, system, key: str) -> None:
        messages.warning(
            request,
            _("The key of %(name)s is %(key)s. Copy it now and give it to the system: it is not shown again.")
            % {"name": system, "key": key},
        )

    @admin.action(description=gettext_lazy("Issue a new key (the old one stops working)"))
    def issue_key(self, request, queryset):
        for system in queryset:
            self._show(request, system, key_issue(system=system, actor=request.user))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            self._show(request, obj, key_issue(system=obj, actor=request.user))


@admin.register(ExternalOrder)
class ExternalOrderAdmin(admin.ModelAdmin):
    """Read-only: orders are posted by the systems and handled as cases."""

    list_display = ["received_at", "system", "external_id", "case"]
    list_filter = ["system"]
    search_fields = ["external_id", "case__tracking_number"]
    list_select_related = ["system", "case"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

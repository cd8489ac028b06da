from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases.models import (
    CalendarDay,
    CasePhoto,
    Category,
    CategoryClassLimit,
    DeliveryStatus,
    Department,
    MajorCategory,
    Notification,
    NotificationAttempt,
    Patrol,
    RoutingRule,
    SupervisionOrder,
)
from cases.notifications import notification_resend


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "short_name", "name", "head", "active"]
    search_fields = ["code", "short_name", "name"]
    filter_horizontal = ["members"]
    autocomplete_fields = ["head"]


@admin.register(MajorCategory)
class MajorCategoryAdmin(admin.ModelAdmin):
    list_display = ["kind", "code", "name"]
    list_filter = ["kind"]


class RoutingRuleInline(admin.TabularInline):
    model = RoutingRule
    extra = 0
    autocomplete_fields = ["grid", "department"]


class CategoryClassLimitInline(admin.TabularInline):
    """The subcategory's limits per region class (一类/二类/三类 …); a blank urgency keeps the general one."""

    model = CategoryClassLimit
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code", "name", "major", "default_department", "limit", "limit_unit", "urgent_limit", "urgent_unit",
        "needs_approval", "public_category", "is_public", "active",
    ]  # fmt: skip
    list_filter = ["major__kind", "major", "default_department", "needs_approval", "public_category", "active"]
    search_fields = ["code", "name"]
    list_select_related = ["major", "default_department"]
    inlines = [CategoryClassLimitInline, RoutingRuleInline]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


class NotificationAttemptInline(admin.TabularInline):
    model = NotificationAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "ok", "http_status", "duration_ms", "error"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Deliveries are written by cases.notifications only; here they are read, and failed ones sent again."""

    list_display = [
        "case", "department", "upstream", "channel", "status", "attempt_count", "next_attempt_at", "created_at",
    ]  # fmt: skip
    list_filter = ["status", "channel", "department", "upstream"]
    search_fields = ["case__tracking_number", "=delivery_id"]
    list_select_related = ["case", "department", "upstream"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "case", "event", "department", "upstream", "channel", "delivery_id", "status", "attempt_count", "next_attempt_at",
        "queued_at", "last_error", "created_at", "delivered_at", "payload",
    ]  # fmt: skip
    inlines = [NotificationAttemptInline]
    actions = ["resend"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Send the selected failed notifications again"), permissions=["change"])
    def resend(self, request, queryset):
        ids = list(queryset.filter(status=DeliveryStatus.FAILED).values_list("pk", flat=True))
        sent = sum(notification_resend(notification_id=pk) for pk in ids)
        self.message_user(
            request,
            ngettext("%(count)d notification will be sent again.", "%(count)d notifications will be sent again.", sent)
            % {"count": sent},
            messages.SUCCESS if sent else messages.WARNING,
        )


@admin.register(CasePhoto)
class CasePhotoAdmin(admin.ModelAdmin):
    """Photos are written by cases.photos only; here they are read. The preview is the thumbnail,
    never the original (which may carry the reporter's GPS position)."""

    list_display = ["preview", "case", "kind", "status", "width", "height", "size_bytes", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["case__tracking_number", "=sha256"]
    list_select_related = ["case"]
    date_hierarchy = "created_at"
    fields = readonly_fields = [
        "preview", "case", "kind", "status", "event", "uploaded_by", "display", "thumbnail", "original", "width",
        "height", "content_type", "size_bytes", "sha256", "created_at",
    ]  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("thumbnail"))
    def preview(self, photo: CasePhoto) -> str:
        if not photo.thumbnail:
            return photo.get_status_display()
        return format_html('<img src="{}" alt="" style="max-width:160px;max-height:160px">', photo.thumbnail.url)


@admin.register(Patrol)
class PatrolAdmin(admin.ModelAdmin):
    """The grid each inspector patrols: the one sent first to verify or check a case there."""

    list_display = ["inspector", "grid"]
    autocomplete_fields = ["grid"]
    list_select_related = ["inspector", "grid"]
    search_fields = ["inspector__username", "grid__name", "grid__code"]


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(admin.ModelAdmin):
    """Supervision orders (督办), read-only: every step is an action on the case (cases.services)."""

    list_display = ["case", "status", "issued_by", "issued_at", "deadline", "reminder_count", "answered_at"]
    list_filter = ["status"]
    list_select_related = ["case", "issued_by"]
    search_fields = ["case__tracking_number"]
    readonly_fields = [f.name for f in SupervisionOrder._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

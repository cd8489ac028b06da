from django.contrib import admin

from cases.models import CalendarDay, Category, Department, MajorCategory, RoutingRule


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


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code", "name", "major", "default_department", "limit", "limit_unit", "urgent_limit", "urgent_unit",
        "needs_approval", "public_category", "is_public", "active",
    ]  # fmt: skip
    list_filter = ["major__kind", "major", "default_department", "needs_approval", "public_category", "active"]
    search_fields = ["code", "name"]
    list_select_related = ["major", "default_department"]
    inlines = [RoutingRuleInline]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"

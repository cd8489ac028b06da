from django.contrib import admin

from assessments.models import AssessmentSettings


@admin.register(AssessmentSettings)
class AssessmentSettingsAdmin(admin.ModelAdmin):
    """The city's composite-score weights and minimum case count (one row)."""

    list_display = ["__str__", "weight_handling", "weight_on_time", "weight_rework", "weight_overdue",
                    "weight_extension", "min_cases", "basis"]  # fmt: skip

    def has_add_permission(self, request):
        return not AssessmentSettings.objects.exists()

    def save_model(self, request, obj, form, change):
        obj.pk = 1  # the selectors read the row with pk 1
        super().save_model(request, obj, form, change)

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from assessments.models import AssessmentSettings


@admin.register(AssessmentSettings)
class AssessmentSettingsAdmin(admin.ModelAdmin):
    """The city's composite-score weights and minimum case count (one row)."""

    list_display = ["__str__", "weight_handling", "weight_on_time", "weight_rework", "weight_overdue",
                    "weight_extension", "weight_satisfaction", "min_cases", "basis"]  # fmt: skip

    fieldsets = [
        (_("Composite score and rankings"), {"fields": ["weight_handling", "weight_on_time", "weight_rework",
                                                        "weight_overdue", "weight_extension", "weight_satisfaction",
                                                        "min_cases", "basis"]}),
        (_("Bulletin (工作简报)"), {"fields": ["bulletin_office", "bulletin_date_style", "bulletin_report_to",
                                              "bulletin_send_to", "bulletin_issue_to", "bulletin_honour_count"]}),
        (_("Allocation of the fund"), {"fields": ["fund_amount", "fund_base_percent", "fund_units"]}),
    ]  # fmt: skip

    def has_add_permission(self, request):
        return not AssessmentSettings.objects.exists()

    def save_model(self, request, obj, form, change):
        obj.pk = 1  # the selectors read the row with pk 1
        super().save_model(request, obj, form, change)

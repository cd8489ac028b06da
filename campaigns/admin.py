"""Campaigns in the admin (system administrators): their period, area, subcategories and targets;
the cases they count are tagged by rule (at once on saving) and by hand on the campaign's pages."""

from django.contrib import admin

from campaigns.models import Campaign, CampaignTarget
from campaigns.services import campaign_tag_by_rule


class TargetInline(admin.TabularInline):
    model = CampaignTarget
    extra = 1
    autocomplete_fields = ["category"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on", "by_rule"]
    search_fields = ["name"]
    filter_horizontal = ["grids", "categories"]
    inlines = [TargetInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # the area and subcategories first
        campaign_tag_by_rule(campaign=form.instance)

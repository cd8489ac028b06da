from django.contrib.admin.apps import AdminConfig


class CityAdminConfig(AdminConfig):
    """django.contrib.admin on a site that lets the administrator roles in (accounts.admin_site)."""

    default_site = "accounts.admin_site.CityAdminSite"

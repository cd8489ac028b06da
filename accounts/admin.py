"""Users, roles and lockouts in the admin, with the separation of duties (三员分立) enforced.

- Nobody holds two of the three administrator roles.
- The administrator roles' permissions are declared in code (accounts.roles) and re-applied
  at every migrate: their groups cannot be edited here, and no other group or user may be
  given a permission on the audit log.
- Only a superuser (the installation account) hands out the administrator roles, changes a
  superuser or an administrator, or makes a superuser; nobody else changes their own account
  here. So the security administrator, who manages users and roles, cannot give himself the
  audit log, and the audit administrator, who reads it, changes no user.
- The audit log itself is not in the admin at all: it is read on its own page (audit.views)
  and nobody can change it.
"""

from __future__ import annotations

import contextlib

from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.sites import NotRegistered
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group, Permission, User
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.lockout import lockout_release, lockouts_for
from accounts.models import ApiToken, TwoFactorDevice
from accounts.otp import otp_remove
from accounts.roles import ADMIN_ROLES, has_role
from accounts.tokens import api_token_revoke

ADMIN_GROUPS = [role.value for role in ADMIN_ROLES]
AUDIT_APP = "audit"

admin.site.unregister(User)
admin.site.unregister(Group)
# django-otp's own pages show a device's key (and its QR code) and let anyone with the
# permission make devices for others: replaced by TwoFactorAdmin below.
for _model in (TOTPDevice, StaticDevice):
    with contextlib.suppress(NotRegistered):
        admin.site.unregister(_model)


def _is_administrator(user: User) -> bool:
    return user.is_superuser or has_role(user, *ADMIN_ROLES)


class CityUserChangeForm(UserChangeForm):
    def clean(self):
        cleaned = super().clean()
        groups = cleaned.get("groups")
        if groups is not None and len([g for g in groups if g.name in ADMIN_GROUPS]) > 1:
            raise forms.ValidationError(
                _("One account can hold only one of the system, security and audit administrator roles."),
                code="two_admin_roles",
            )
        permissions = cleaned.get("user_permissions")
        if permissions is not None and any(p.content_type.app_label == AUDIT_APP for p in permissions):
            raise forms.ValidationError(
                _("Permissions on the audit log come only with the audit administrator role."), code="audit_permission"
            )
        return cleaned


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = CityUserChangeForm
    list_display = ["username", "first_name", "email", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups"]
    actions = ["disable_users"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields.append("is_superuser")
        return fields

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.exclude(name__in=ADMIN_GROUPS)
        if db_field.name == "user_permissions":
            kwargs["queryset"] = Permission.objects.exclude(content_type__app_label=AUDIT_APP).select_related(
                "content_type"
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser and (obj.pk == request.user.pk or _is_administrator(obj)):
            return False
        return super().has_change_permission(request, obj)

    @admin.action(description=_("Disable the selected accounts"), permissions=["change"])
    def disable_users(self, request, queryset):
        if not request.user.is_superuser:
            queryset = (
                queryset.exclude(pk=request.user.pk).exclude(is_superuser=True).exclude(groups__name__in=ADMIN_GROUPS)
            )
        count = 0
        for user in queryset.filter(is_active=True):
            user.is_active = False
            user.save(update_fields=["is_active"])  # audited as auth.user_disabled
            count += 1
        self.message_user(request, _("Accounts disabled: %(count)d.") % {"count": count}, messages.SUCCESS)


class CityGroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["name", "permissions"]

    def clean_name(self):
        name = self.cleaned_data["name"]
        if name in ADMIN_GROUPS and (self.instance.pk is None or self.instance.name != name):
            raise forms.ValidationError(_("This name belongs to an administrator role."), code="admin_role_name")
        return name


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    form = CityGroupForm

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "permissions":
            kwargs["queryset"] = Permission.objects.exclude(content_type__app_label=AUDIT_APP).select_related(
                "content_type"
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.name in ADMIN_GROUPS:
            return False  # declared in accounts.roles, applied at migrate
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.name in ADMIN_GROUPS:
            return False
        return super().has_delete_permission(request, obj)


class ActionsOnlyAdmin(admin.ModelAdmin):
    """A list that changes only through its audited actions: no add, change or delete (revoking,
    unlocking and removing are the actions, each through its service)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(AccessAttempt)
class LockoutAdmin(ActionsOnlyAdmin):
    """Failed logins counted now, with the locks they cause; unlocking is audited."""

    list_display = ["username", "ip_address", "failures_since_start", "attempt_time", "locked_until"]
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
    actions = ["unlock_accounts", "unlock_addresses"]
    fields = ["username", "ip_address", "user_agent", "path_info", "failures_since_start", "attempt_time"]

    @admin.display(description=_("locked until"))
    def locked_until(self, attempt: AccessAttempt) -> str:
        locks = lockouts_for(username=attempt.username, ip_address=attempt.ip_address)
        if not locks:
            return "—"
        from django.utils import timezone

        return ", ".join(
            f"{timezone.localtime(lock.until):%Y-%m-%d %H:%M} ({_('account') if lock.scope == 'account' else _('address')})"
            for lock in locks
        )

    def has_unlock_permission(self, request) -> bool:
        return request.user.has_perm("axes.delete_accessattempt")

    @admin.action(description=_("Unlock the accounts of the selected rows"), permissions=["unlock"])
    def unlock_accounts(self, request, queryset):
        count = lockout_release(attempts=queryset, by="username", actor=request.user, request=request)
        self.message_user(request, _("Unlocked %(count)d accounts.") % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Unlock the addresses of the selected rows"), permissions=["unlock"])
    def unlock_addresses(self, request, queryset):
        count = lockout_release(attempts=queryset, by="ip_address", actor=request.user, request=request)
        self.message_user(request, _("Unlocked %(count)d addresses.") % {"count": count}, messages.SUCCESS)


def _others_than_administrators(request, queryset, user_field: str = "user"):
    """What a security administrator may act on: not his own, not an administrator's nor a
    superuser's (those are the superuser's to handle), as for accounts."""
    if request.user.is_superuser:
        return queryset
    return (
        queryset.exclude(**{user_field: request.user.pk})
        .exclude(**{f"{user_field}__is_superuser": True})
        .exclude(**{f"{user_field}__groups__name__in": ADMIN_GROUPS})
    )


@admin.register(ApiToken)
class ApiTokenAdmin(ActionsOnlyAdmin):
    """Every user's API tokens, for the security administrator: see them, revoke them (audited).
    Nobody makes a token for someone else: the owner makes it under "My account"."""

    list_display = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at"]
    list_filter = ["expires_at"]
    search_fields = ["user__username", "name", "prefix"]
    list_select_related = ["user"]
    fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at"]
    actions = ["revoke_tokens"]

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("accounts.delete_apitoken")

    @admin.action(description=_("Revoke the selected tokens"), permissions=["revoke"])
    def revoke_tokens(self, request, queryset):
        count = 0
        for token in _others_than_administrators(request, queryset).select_related("user"):
            api_token_revoke(token=token, actor=request.user, request=request)
            count += 1
        self.message_user(request, _("Tokens revoked: %(count)d.") % {"count": count}, messages.SUCCESS)


@admin.register(TwoFactorDevice)
class TwoFactorAdmin(ActionsOnlyAdmin):
    """Who logs in with an authenticator app, for the security administrator; removing one (a
    lost phone: the user sets up the new one at the next login) is audited. The keys are never
    shown."""

    list_display = ["user", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    fields = ["user", "confirmed", "created_at", "last_used_at"]
    actions = ["remove_devices"]

    def has_remove_permission(self, request) -> bool:
        return request.user.has_perm("accounts.delete_twofactordevice")

    @admin.action(description=_("Remove two-factor login of the selected users (lost phone)"), permissions=["remove"])
    def remove_devices(self, request, queryset):
        users = {device.user for device in _others_than_administrators(request, queryset).select_related("user")}
        count = sum(otp_remove(user=user, actor=request.user, request=request) for user in users)
        self.message_user(
            request, _("Two-factor login removed for %(count)d accounts.") % {"count": count}, messages.SUCCESS
        )

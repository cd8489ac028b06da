"""Security events that Django and its libraries announce by signal, written to the audit log.

Logins and logouts, failed logins and lockouts (django-axes), users created, disabled or made
staff, password changes, group and permission changes (whichever side of the relation was
edited), and every change made in the admin (its LogEntry rows). Each receiver only
translates the signal into one audit_record call. (API tokens and two-factor devices are
written by accounts.tokens and accounts.otp, which record themselves.)
"""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from audit.context import current_request
from audit.models import Result
from audit.services import ObjectRef, audit_record

User = get_user_model()

# Admin changes of these models are settings changes (everything else is "admin.<what>").
SETTINGS_MODELS = {"assessments.assessmentsettings"}
ADMIN_ACTIONS = {ADDITION: "admin.added", CHANGE: "admin.changed", DELETION: "admin.deleted"}
WATCHED_FLAGS = ("is_active", "is_staff", "is_superuser")


# ---- logging in and out ------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs):
    audit_record(action="auth.login", actor=user, request=request, obj=user)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action="auth.logout", actor=user, request=request, obj=user)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username") or "")
    details = {"path": request.path[:200]} if request is not None else {}
    if request is not None and getattr(request, "axes_locked_out", False):
        details["locked_out"] = True
    audit_record(action="auth.login_failed", actor=username, request=request, result=Result.FAILED, details=details)


@receiver(user_locked_out, dispatch_uid="audit_lockout")
def _locked_out(sender, request, username, ip_address, **kwargs):
    audit_record(
        action="auth.lockout",
        actor=str(username or ""),
        request=request,
        result=Result.DENIED,
        details={
            "username": username,
            "ip_address": ip_address,
            "failures": getattr(request, "axes_failures_since_start", None),
        },
    )


# ---- users: created, disabled, made staff, password -------------------------


@receiver(pre_save, sender=User, dispatch_uid="audit_user_before")
def _user_before(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(WATCHED_FLAGS):
        return
    instance._audit_flags = User.objects.filter(pk=instance.pk).values(*WATCHED_FLAGS).first()


@receiver(post_save, sender=User, dispatch_uid="audit_user_after")
def _user_after(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        flags = {flag: getattr(instance, flag) for flag in WATCHED_FLAGS}
        audit_record(action="auth.user_created", obj=instance, details=flags)
        return
    before = instance.__dict__.pop("_audit_flags", None)
    if before:
        changed = {
            flag: [before[flag], getattr(instance, flag)]
            for flag in WATCHED_FLAGS
            if before[flag] != getattr(instance, flag)
        }
        if "is_active" in changed:
            action = "auth.user_enabled" if instance.is_active else "auth.user_disabled"
            audit_record(action=action, obj=instance, details={"is_active": changed.pop("is_active")})
        if changed:
            audit_record(action="auth.user_privileges_changed", obj=instance, details=changed)
    # set_password() leaves the raw password in _password until the save is over; a hasher
    # upgrade at login (same password, new hash) does not, and is no password change.
    if getattr(instance, "_password", None) is not None:
        request = current_request()
        actor = getattr(request, "user", None) if request is not None else None
        own = actor is not None and getattr(actor, "pk", None) == instance.pk
        audit_record(action="auth.password_changed" if own else "auth.password_reset", obj=instance)


# ---- groups and permissions ------------------------------------------------------


def _names(model, pks) -> list[str]:
    if model is Permission:
        rows = Permission.objects.filter(pk__in=pks).select_related("content_type")
        return sorted(f"{p.content_type.app_label}.{p.codename}" for p in rows)
    if model is Group:
        return sorted(Group.objects.filter(pk__in=pks).values_list("name", flat=True))
    return sorted(str(pk) for pk in pks)


def _relation_changed(*, action_code, owner_model, related_model, instance, action, reverse, pk_set, current):
    """One row per owner (the user, or the group) whose relation changed, whichever side was
    edited. `current` reads the related keys before a clear(), which names none."""
    if action == "pre_clear":
        instance._audit_cleared = set(current().values_list("pk", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    key = "added" if action == "post_add" else "removed"
    pks = instance.__dict__.pop("_audit_cleared", set()) if action == "post_clear" else pk_set or set()
    if not pks:
        return
    if reverse:  # e.g. group.user_set.add(user): instance is the group, pks are users
        for owner in owner_model.objects.filter(pk__in=pks):
            audit_record(action=action_code, obj=owner, details={key: _names(related_model, [instance.pk])})
    else:
        audit_record(action=action_code, obj=instance, details={key: _names(related_model, pks)})


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="audit_user_groups")
def _user_groups(sender, instance, action, reverse, pk_set, **kwargs):
    _relation_changed(
        action_code="auth.user_groups_changed", owner_model=User, related_model=Group, instance=instance,
        action=action, reverse=reverse, pk_set=pk_set,
        current=lambda: instance.user_set.all() if reverse else instance.groups.all(),
    )  # fmt: skip


@receiver(m2m_changed, sender=User.user_permissions.through, dispatch_uid="audit_user_permissions")
def _user_permissions(sender, instance, action, reverse, pk_set, **kwargs):
    _relation_changed(
        action_code="auth.user_permissions_changed", owner_model=User, related_model=Permission,
        instance=instance, action=action, reverse=reverse, pk_set=pk_set,
        current=lambda: instance.user_set.all() if reverse else instance.user_permissions.all(),
    )  # fmt: skip


@receiver(m2m_changed, sender=Group.permissions.through, dispatch_uid="audit_group_permissions")
def _group_permissions(sender, instance, action, reverse, pk_set, **kwargs):
    _relation_changed(
        action_code="auth.group_permissions_changed", owner_model=Group, related_model=Permission,
        instance=instance, action=action, reverse=reverse, pk_set=pk_set,
        current=lambda: instance.group_set.all() if reverse else instance.permissions.all(),
    )  # fmt: skip


@receiver(post_save, sender=Group, dispatch_uid="audit_group_created")
def _group_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        audit_record(action="auth.group_created", obj=instance)


@receiver(post_delete, sender=Group, dispatch_uid="audit_group_deleted")
def _group_deleted(sender, instance, **kwargs):
    audit_record(action="auth.group_deleted", obj=ObjectRef("auth.group", str(instance.pk), instance.name))


# ---- the admin -----------------------------------------------------------------------


@receiver(post_save, sender=LogEntry, dispatch_uid="audit_admin_change")
def _admin_change(sender, instance, created, raw=False, **kwargs):
    if not created or raw:
        return
    content_type = instance.content_type
    kind = f"{content_type.app_label}.{content_type.model}" if content_type else ""
    action = ADMIN_ACTIONS.get(instance.action_flag, "admin.changed")
    if kind in SETTINGS_MODELS:
        action = "settings.changed"
    audit_record(
        action=action,
        actor=instance.user,
        obj=ObjectRef(kind, str(instance.object_id or ""), instance.object_repr),
        details={"change": instance.get_change_message()[:1000]} if instance.change_message else {},
    )

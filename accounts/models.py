"""What the accounts app stores besides Django's users: the passwords each user has had (for
the history rule, the password's age and the change forced after an administrator set it) and
the API tokens of each user's devices."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice


class PasswordRecord(models.Model):
    """One row per password a user was given (written by accounts.passwords when Django
    reports a password change). The newest row says when the current password was set and
    whether someone else set it; older rows are the history a new password may not repeat."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_records", verbose_name=_("user")
    )
    password = models.CharField(_("password hash"), max_length=128)  # the hash, as in auth_user
    set_at = models.DateTimeField(_("set at"), default=timezone.now)
    # Who set it: the user, an administrator (who must not know it for long), or nobody known
    # (a management command). No foreign key: the row outlives whoever set it.
    set_by_id = models.IntegerField(_("set by (user id)"), null=True, blank=True)
    must_change = models.BooleanField(_("must be changed at the next login"), default=False)

    class Meta:
        ordering = ["-set_at", "-id"]
        indexes = [models.Index(fields=["user", "-set_at"], name="accounts_password_newest")]
        verbose_name = _("password record")
        verbose_name_plural = _("password records")

    def __str__(self) -> str:
        return f"{self.user_id} {self.set_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """An API token of one of a user's devices ("Authorization: Token <key>"). Only the key's
    SHA-256 is stored: the key is shown once, when it is made. It stops working at expires_at
    or when its owner or the security administrator revokes it (the row is then deleted)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("device"), max_length=64)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("key begins with"), max_length=8)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["user_id", "name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="accounts_apitoken_one_per_device")]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()


class TwoFactorDevice(TOTPDevice):
    """A user's authenticator app (django-otp's TOTP device) as the security administrator sees
    it in the admin, among the accounts, under a name of ours."""

    class Meta:
        proxy = True
        verbose_name = _("two-factor device")
        verbose_name_plural = _("two-factor devices")

    def __str__(self) -> str:
        return str(self.user)

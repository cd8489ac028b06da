"""The password policy (等保 2.0): complexity, history, age, and the change forced after an
administrator set a password.

The validators are Django password validators (AUTH_PASSWORD_VALIDATORS), so every form that
sets a password (the login's forced change, the user's own change, the admin's user creation
and reset, `manage.py changepassword`) applies the same rules. PasswordHistoryValidator is
also where a new password is recorded: Django calls every validator's password_changed()
after a user with a new password is saved, whatever set it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import PasswordRecord
from audit.context import current_request

CHARACTER_CLASSES = 4  # lower-case letters, upper-case letters, digits, anything else


def character_classes(password: str) -> int:
    """How many of the four kinds of character the password uses (anything that is not an
    ASCII letter or digit, Chinese characters included, counts as "other")."""
    kinds = set()
    for char in password:
        if "a" <= char <= "z":
            kinds.add("lower")
        elif "A" <= char <= "Z":
            kinds.add("upper")
        elif "0" <= char <= "9":
            kinds.add("digit")
        else:
            kinds.add("other")
    return len(kinds)


class CharacterClassesValidator:
    """At least `min_classes` of: lower-case letters, upper-case letters, digits, other characters."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min(max(min_classes, 1), CHARACTER_CLASSES)

    def validate(self, password: str, user=None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_plain")

    def get_help_text(self) -> str:
        return _(
            "Your password must mix at least %(count)d of: lower-case letters, upper-case letters, digits, "
            "other characters."
        ) % {"count": self.min_classes}


class NotUsernameValidator:
    """The password does not contain the user name (forwards or backwards, any case).
    Django's UserAttributeSimilarityValidator beside it catches passwords merely like it."""

    def validate(self, password: str, user=None) -> None:
        username = (user.get_username() if user is not None else "").lower()
        if len(username) < 3:
            return
        lowered = password.lower()
        if username in lowered or username[::-1] in lowered:
            raise ValidationError(self.get_help_text(), code="password_has_username")

    def get_help_text(self) -> str:
        return _("Your password must not contain your user name.")


class PasswordHistoryValidator:
    """A new password may not be any of the user's last `count` passwords (the current one
    included). Records every new password, with who set it, when Django reports the change."""

    def __init__(self, count: int = 5) -> None:
        self.count = max(count, 0)

    def validate(self, password: str, user=None) -> None:
        if user is None or user.pk is None or self.count == 0:
            return
        # The current hash first (it may have been written without a record), then the records.
        hashes = list(dict.fromkeys([user.password, *password_history(user=user, count=self.count)]))
        if any(encoded and check_password(password, encoded) for encoded in hashes[: self.count]):
            raise ValidationError(
                ngettext(
                    "Your password must differ from your last password.",
                    "Your password must differ from your last %(count)d passwords.",
                    self.count,
                )
                % {"count": self.count},
                code="password_reused",
            )

    def get_help_text(self) -> str:
        if self.count == 0:
            return ""
        return ngettext(
            "It must differ from your last password.", "It must differ from your last %(count)d passwords.", self.count
        ) % {"count": self.count}

    def password_changed(self, password: str, user) -> None:
        request = current_request()
        actor = getattr(request, "user", None) if request is not None else None
        set_by = actor.pk if getattr(actor, "is_authenticated", False) else None
        password_record(user=user, set_by_id=set_by, keep=max(self.count, 1))


# ---- writing --------------------------------------------------------------------------


def password_record(*, user, set_by_id: int | None, keep: int) -> PasswordRecord:
    """Record the user's new (already saved) password. Set by someone else (an administrator
    creating the account or resetting its password), it must be changed at the next login;
    set by the user, or by a management command (no one logged in), it need not. Only the
    newest `keep` rows are kept."""
    record = PasswordRecord.objects.create(
        user=user,
        password=user.password,
        set_by_id=set_by_id,
        must_change=set_by_id is not None and set_by_id != user.pk,
    )
    old = PasswordRecord.objects.filter(user=user).values_list("pk", flat=True)[keep:]
    PasswordRecord.objects.filter(pk__in=list(old)).delete()
    return record


# ---- reading --------------------------------------------------------------------------


def password_history(*, user, count: int) -> list[str]:
    return list(PasswordRecord.objects.filter(user=user).values_list("password", flat=True)[:count])


@dataclass(frozen=True)
class PasswordState:
    set_at: dt.datetime
    must_change: bool  # set by an administrator: the user changes it at the next login
    expires_at: dt.datetime | None  # None: passwords do not expire (PASSWORD_MAX_AGE_DAYS=0)

    def expired(self, now: dt.datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


def password_state(*, user) -> PasswordState:
    """When the current password was set and whether it must be changed now. (A login that
    re-hashes the password with a newer hasher changes the hash, not the password: the newest
    record still holds.) An account with no record (its hash written directly, or made before
    this rule) counts from the day it was made."""
    newest = PasswordRecord.objects.filter(user=user).first()
    if newest is not None:
        set_at, must_change = newest.set_at, newest.must_change
    else:
        set_at, must_change = user.date_joined, False
    days = settings.PASSWORD_MAX_AGE_DAYS
    return PasswordState(set_at, must_change, set_at + dt.timedelta(days=days) if days else None)

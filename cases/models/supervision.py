"""Supervision orders (督办) on cases, and the reminders (催办) sent about them.

An order is an event stream beside the case's status (DESIGN.md §7), never a state of the case:
issued by a leader or the shift leader with a note, a deadline of its own (in working time) and
who must answer (the handling department or a person); reminded (催办), answered by the
addressee, and signed off (销号) by the issuer. Every step is an action of the transition table
(cases.transitions), applied by cases.services with a CaseEvent whose payload names the order;
this row keeps where the order stands, so that lists, the inbox and the figures read one row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models.case import Case
from cases.models.catalogue import Department, LimitUnit


class OrderStatus(models.TextChoices):
    OPEN = "open", _("Waiting for an answer")  # 待回复
    ANSWERED = "answered", _("Answered, to be signed off")  # 已回复/待销号
    SIGNED_OFF = "signed_off", _("Signed off")  # 已销号


# An order not signed off is current: at most one per case.
CURRENT = (OrderStatus.OPEN, OrderStatus.ANSWERED)


class SupervisionOrder(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="supervision_orders")
    status = models.CharField(_("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.OPEN)
    note = models.TextField(_("what must be done"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )
    # The role the issuer acted in: an order of the centre (shift leader) may be signed off by any
    # shift leader (the next shift), a leader's (supervisor) only by that leader.
    issued_as = models.CharField(_("issued as"), max_length=20)
    issued_at = models.DateTimeField(_("issued at"))
    limit_amount = models.DecimalField(_("time limit"), max_digits=6, decimal_places=2)
    limit_unit = models.CharField(_("unit"), max_length=20, choices=LimitUnit.choices)
    deadline = models.DateTimeField(_("answer due"))
    addressee_department = models.ForeignKey(
        Department,
        verbose_name=_("department to answer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_orders",
    )
    addressee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person to answer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_orders_to_answer",
    )
    reminder_count = models.PositiveSmallIntegerField(_("reminders"), default=0)
    last_reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("first answered at"), null=True, blank=True)
    answer = models.TextField(_("latest answer"), blank=True)
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed off by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")
        ordering = ["issued_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=~Q(status="signed_off"), name="supervision_one_current_per_case"
            ),
            models.CheckConstraint(
                condition=Q(addressee_department__isnull=False, addressee_user__isnull=True)
                | Q(addressee_department__isnull=True, addressee_user__isnull=False),
                name="supervision_one_addressee",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="supervision_due"),
            models.Index(fields=["issued_at"], name="supervision_issued"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.status} {self.deadline:%Y-%m-%d %H:%M}"

    @property
    def addressee_name(self) -> str:
        if self.addressee_department_id:
            return self.addressee_department.name
        user = self.addressee_user
        person = getattr(user, "person", None)
        return person.name if person is not None else (user.get_full_name() or user.get_username())

    @property
    def answered_in_time(self) -> bool | None:
        """First answered by its deadline (None: not answered yet)."""
        return None if self.answered_at is None else self.answered_at <= self.deadline

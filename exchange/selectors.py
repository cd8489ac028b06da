"""Reads of the exchange: the systems kept in the process, an order's system, the messages page."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.signals import post_delete, post_save

from cases.models import DeliveryStatus, Notification
from config.memo import Memo
from exchange.models import ExternalOrder, UpstreamSystem


@dataclass(frozen=True)
class SystemRef:
    id: int
    code: str
    source: str
    push_all: bool
    sends: bool  # has a callback URL: messages are written for it


@dataclass(frozen=True)
class Systems:
    active: tuple[SystemRef, ...]

    @property
    def pushed(self) -> tuple[SystemRef, ...]:
        """The systems told of every case (the higher-level platform)."""
        return tuple(s for s in self.active if s.push_all and s.sends)

    @property
    def order_sources(self) -> frozenset[str]:
        """The sources of cases that may have come from a system's order (only those are looked up)."""
        return frozenset(s.source for s in self.active if s.sends)


def _systems_load() -> Systems:
    rows = UpstreamSystem.objects.filter(active=True).order_by("id")
    return Systems(tuple(SystemRef(s.pk, s.code, s.source, s.push_all, bool(s.callback_url)) for s in rows))


# Every intake and transition asks which systems to tell: read once per process, again on a change.
_SYSTEMS = Memo("exchange.systems", _systems_load)


def systems_active() -> Systems:
    return _SYSTEMS.get()


def memos_connect() -> None:
    def changed(**kwargs) -> None:
        _SYSTEMS.changed()

    for signal in (post_save, post_delete):
        signal.connect(changed, sender=UpstreamSystem, weak=False, dispatch_uid=f"exchange.systems.{signal}")


def order_of_case(*, case_id: int) -> ExternalOrder | None:
    """The work order a case came from (the first, if several systems sent the same problem)."""
    return ExternalOrder.objects.select_related("system").filter(case_id=case_id).order_by("id").first()


# The staff page's tabs: what was sent, what is still owed, what will not be tried again.
TABS = {
    "pending": [DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.RETRYING],
    "failed": [DeliveryStatus.FAILED],
    "sent": [DeliveryStatus.DELIVERED],
}


def exchange_messages(*, tab: str, system_id: int | None = None) -> QuerySet[Notification]:
    """The messages to upstream systems in one tab, newest first (one query per page)."""
    messages = Notification.objects.filter(upstream__isnull=False, status__in=TABS[tab])
    if system_id:
        messages = messages.filter(upstream_id=system_id)
    return messages.select_related("case", "upstream", "event").order_by("-created_at", "-id")


def exchange_counts(*, system_id: int | None = None) -> dict[str, int]:
    """How many messages each tab holds, in one query."""
    messages = Notification.objects.filter(upstream__isnull=False)
    if system_id:
        messages = messages.filter(upstream_id=system_id)
    return messages.aggregate(**{tab: Count("id", filter=Q(status__in=statuses)) for tab, statuses in TABS.items()})


def systems_overview() -> QuerySet[UpstreamSystem]:
    """Every system with how many orders it sent (the page's header)."""
    return UpstreamSystem.objects.annotate(order_count=Count("orders")).order_by("name", "id")

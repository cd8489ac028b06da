"""Celery tasks of the cases app: thin wrappers that take ids and call one service."""

from celery import shared_task

from cases.models import DeliveryStatus
from cases.notifications import notification_deliver, notification_enqueue, notifications_sweep
from cases.photos import photo_make_derivatives, photos_sweep
from cases.privacy import reporter_contacts_erase
from cases.sla import sla_sweep_approvals, sla_sweep_handling


@shared_task(acks_late=True)
def deliver_notification(notification_id: int) -> str | None:
    """One attempt at a notification; after a transient failure, queue the next one for later.

    Idempotent: a row that is delivered, failed, not yet due or being sent by another
    worker is left alone (the service claims it with a conditional UPDATE).
    """
    notification = notification_deliver(notification_id=notification_id)
    if notification is None:
        return None
    if notification.status == DeliveryStatus.RETRYING:
        notification_enqueue(notification_id=notification.pk, eta=notification.next_attempt_at)
    return notification.status


@shared_task
def sweep_notifications() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): queue again what is due and not queued."""
    return notifications_sweep()


@shared_task(acks_late=True)
def make_photo_derivatives(photo_id: int) -> str | None:
    """Write a case photo's display image and thumbnail (cases.photos).

    Idempotent: a photo that is ready or failed is left alone. An original that cannot be
    decoded makes the photo failed (and is logged), it is not retried.
    """
    photo = photo_make_derivatives(photo_id=photo_id)
    return photo.status if photo else None


@shared_task
def sweep_photos() -> int:
    """Every five minutes (CELERY_BEAT_SCHEDULE): queue again the photos left pending."""
    return photos_sweep()


@shared_task
def sla_sweep() -> dict[str, int]:
    """Every minute (CELERY_BEAT_SCHEDULE): warn at 80 % of a handling limit, mark and escalate overdue cases."""
    result = sla_sweep_handling()
    return {"measured": len(result.lights), "warned": len(result.warned), "overdue": len(result.overdue)}


@shared_task
def approval_escalation_sweep() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): pass approvals waiting too long one level up."""
    return len(sla_sweep_approvals())


@shared_task
def erase_reporter_contacts() -> int:
    """Hourly (CELERY_BEAT_SCHEDULE): erase the contacts of cases closed longer than
    REPORTER_CONTACT_RETENTION_DAYS ago (cases.privacy); idempotent."""
    return reporter_contacts_erase()

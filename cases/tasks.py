"""Celery tasks of the cases app: thin wrappers that take ids and call one service."""

from celery import shared_task

from cases.models import DeliveryStatus
from cases.notifications import notification_deliver, notification_enqueue, notifications_sweep


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

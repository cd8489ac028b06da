"""Celery tasks of the campaigns: thin wrappers that call one service."""

from celery import shared_task

from campaigns.services import campaigns_tag_by_rule


@shared_task
def tag_campaigns() -> int:
    """Every five minutes (CELERY_BEAT_SCHEDULE): the campaigns' rule tags in step with their rules."""
    return campaigns_tag_by_rule()

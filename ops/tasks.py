"""The beat's heartbeat: a task that does nothing, every OPS_HEARTBEAT_SECONDS. Its run, recorded
like every periodic job's (ops.periodic), proves the beat, the broker and a sweeps worker alive:
/readyz turns red when it is older than BEAT_STALE_AFTER_SECONDS."""

from celery import shared_task


@shared_task(name="ops.heartbeat", ignore_result=True)
def heartbeat() -> None:
    return None

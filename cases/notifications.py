"""Telling a department that a case has been dispatched to it (DESIGN.md §3.3).

The flow, and why:

1. cases.services.case_transition calls `notifications_create_for_dispatch` inside the
   transaction of every transition that ends in `dispatched` (dispatch without approval,
   approve, resume, check_fail). It writes one pending Notification per configured channel
   (webhook, e-mail) and asks for a Celery task once the transaction commits. The row is
   the record that a message is owed: if the broker or every worker is down, the case still
   commits and nothing is lost.
2. If the task cannot be handed to the broker, that is logged and the row stays pending;
   `notifications_sweep` (every minute from Celery beat) hands it over again later.
3. The task (cases.tasks.deliver_notification) calls `notification_deliver`, which claims
   the row with a conditional UPDATE (two workers never send one row at the same time, a
   task delivered twice by the broker sends nothing the second time), sends with no
   transaction or lock open (renewing the claim's lease while the send lasts), and records the
   attempt (surviving a lost database connection). A claim whose lease runs out belonged to a
   worker that died: the sweep records that attempt as interrupted and makes the row due again.
   Duplicates the receiver can still see, and why: docs/WEBHOOKS.md "Duplicates".
4. 2xx: delivered. A transient failure (408, 429, 5xx, refused connection, timeout, SMTP
   4xx): retried after 30 s, 2 min, 8 min, 32 min, 2 h 8 min; after the 6th attempt, failed
   (an ERROR in the log, and on the shift leader's page of failed notifications).
   Any other refusal (other 4xx, a redirect, a missing secret or address): failed at once.
   The task queues the next attempt as a countdown when it is due within 15 minutes; later
   ones (and every retry in embedded mode, where a countdown would run at once) are queued by
   the sweep when due (it runs every minute), so those can start up to a minute late.

A department with neither a webhook URL nor an e-mail address gets no rows: it is told
by other means (the handler's work list, the phone), and there is nothing to deliver.

The same outbox carries the exchange's messages (exchange.outbound decides them): status
callbacks to the system a work order came from (12345: 签收, 派遣, 办结, 退回) and pushes of every
case and status change to the higher-level platform. Their rows name an upstream system instead
of a department (`Notification.upstream`), are written by `notifications_create_for_exchange` in
the event's transaction, and go through the same queue, claim, lease, retries, sweep and resend;
their format is docs/EXCHANGE.md.

The webhook signature scheme is in `webhook_signature` and docs/WEBHOOKS.md.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import http.client
import json
import logging
import smtplib
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation

from cases.models import (
    Case,
    CaseEvent,
    Channel,
    DeliveryStatus,
    Department,
    Notification,
    NotificationAttempt,
    Status,
    Urgency,
)
from cases.transitions import TRANSITIONS
from config.broker import publish
from config.logging import bound

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = 20  # seconds, for connecting and for each read: a slow receiver is not sent the message twice
EMAIL_TIMEOUT = 10  # seconds, for the SMTP connection
MAX_ATTEMPTS = 6
FIRST_RETRY = datetime.timedelta(seconds=30)
BACKOFF_FACTOR = 4  # 30 s, 2 min, 8 min, 32 min, 2 h 8 min
# A claim: longer than any socket wait of a send (WEBHOOK_TIMEOUT, EMAIL_TIMEOUT), renewed every
# LEASE_RENEWAL while the send lasts. A row still "sending" past it belongs to a worker that
# died (or lost its database): the sweep records the attempt as interrupted and takes it back,
# so a lost worker delays a message by about a minute, not ten.
# (NOTIFICATION_LEASE_SECONDS sets it: the drills shorten it to see a dead worker's claim return.)
SENDING_LEASE = datetime.timedelta(seconds=60)
LEASE_RENEWAL = datetime.timedelta(seconds=20)
# Recording an attempt survives this many lost database connections (a failover, a restart).
RECORD_TRIES = 4
# The sweep leaves a row alone this long after a task was due to pick it up.
REQUEUE_AFTER = datetime.timedelta(minutes=2)
# Retries due later than this are left to the sweep rather than held by the broker as a countdown.
LONGEST_COUNTDOWN = datetime.timedelta(minutes=15)
SWEEP_BATCH = 500
CASE_LINK = "/cases/{id}/"  # the case page's path, after the site's address (SITE_URL)

UNSETTLED = [DeliveryStatus.PENDING, DeliveryStatus.RETRYING]
TRANSIENT_HTTP = {408, 429}


# Creating ---------------------------------------------------------------------------------


DISPATCHED, OVERDUE = "case.dispatched", "case.overdue"
SUPERVISION, REMINDER = "case.supervision", "case.reminder"  # 督办, 催办


def notifications_create_for_dispatch(*, case: Case, event: CaseEvent) -> list[Notification]:
    """Write the notifications a dispatch owes the case's department, and enqueue them after commit.

    Call inside the transition's transaction: the rows commit (or roll back) with it.
    """
    return _create(case=case, event=event, kind=DISPATCHED)


def notifications_create_for_overdue(*, case: Case, event: CaseEvent, also_email: list[str] = ()) -> list[Notification]:
    """The escalation of an overdue case (event sla_overdue): the department's webhook and e-mail
    are told, and the e-mail also goes to `also_email` (the department head, the grid chief one
    level up, where they have an address). Call inside the transaction that writes the event."""
    return _create(case=case, event=event, kind=OVERDUE, also_email=list(also_email))


def notifications_create_for_supervision(*, case: Case, event: CaseEvent, order) -> list[Notification]:
    """The addressee of a supervision order is told of it (event supervise) and of each reminder
    (event remind): a department on its channels, a person by e-mail to their account's address.
    Call inside the transaction that writes the event."""
    kind = SUPERVISION if event.action == "supervise" else REMINDER
    if order.addressee_department_id is not None:
        return _create(case=case, event=event, kind=kind, department=order.addressee_department, order=order)
    from cases.supervision import addressee_emails

    return _create(
        case=case, event=event, kind=kind, department=None, order=order, also_email=addressee_emails(order=order)
    )


_CASE_DEPARTMENT = object()


def _create(
    *, case: Case, event: CaseEvent, kind: str, also_email: list[str] = (), department=_CASE_DEPARTMENT, order=None
) -> list[Notification]:
    """The rows of one message: to `department` (the case's by default) on its channels, the
    e-mail also to `also_email`; with `department` None, an e-mail to `also_email` alone."""
    if department is _CASE_DEPARTMENT:
        department = case.department
        if department is None:  # pragma: no cover - a dispatched case always has one
            return []
    emails = list(dict.fromkeys([*(department.email_list if department else []), *also_email]))
    channels = []
    if department is not None and department.webhook_url:
        channels.append(Channel.WEBHOOK)
    if emails:
        channels.append(Channel.EMAIL)
    if not channels:
        who = department or "the person named"
        logger.info("case %s: %s for %s, who has no notification channel", case.tracking_number, kind, who)
        return []
    now = timezone.now()
    notifications = []
    for channel in channels:
        delivery_id = uuid.uuid4()
        notification = Notification.objects.create(
            case=case,
            event=event,
            department=department,
            channel=channel,
            delivery_id=delivery_id,
            payload=notification_payload(
                case=case,
                event=event,
                department=department,
                delivery_id=delivery_id,
                kind=kind,
                recipients=emails if channel == Channel.EMAIL else None,
                order=order,
            ),  # fmt: skip
            created_at=now,
            next_attempt_at=now,
            queued_at=now,  # handed to the queue on commit; reset if that fails
        )
        transaction.on_commit(lambda pk=notification.pk: notification_enqueue(notification_id=pk))
        notifications.append(notification)
    return notifications


def case_link(*, case_id: int) -> str:
    """The absolute address of a case's page (SITE_URL + its path): what e-mails and webhooks carry."""
    return settings.SITE_URL + CASE_LINK.format(id=case_id)


def notifications_create_for_exchange(*, case: Case, event: CaseEvent) -> list[Notification]:
    """Write the messages this event owes upstream systems (exchange.outbound: a status callback to
    the system the case's order came from, a push to the higher-level platform) and enqueue them
    after commit. Call inside the transaction that writes the event; no query unless a system is
    concerned (the systems are kept in the process)."""
    from exchange.outbound import messages_for_event  # the exchange app builds on cases

    notifications = []
    now = timezone.now()
    for message in messages_for_event(case=case, event=event):
        delivery_id = uuid.uuid4()
        notification = Notification.objects.create(
            case=case,
            event=event,
            upstream_id=message.system_id,
            channel=message.channel,
            delivery_id=delivery_id,
            payload={**message.payload, "delivery_id": str(delivery_id)},
            created_at=now,
            next_attempt_at=now,
            queued_at=now,  # handed to the queue on commit; reset if that fails
        )
        transaction.on_commit(lambda pk=notification.pk: notification_enqueue(notification_id=pk))
        notifications.append(notification)
    return notifications


def notification_payload(
    *,
    case: Case,
    event: CaseEvent,
    department: Department | None,
    delivery_id: uuid.UUID,
    kind: str = DISPATCHED,
    recipients: list[str] | None = None,
    order=None,
) -> dict:
    """What is sent (the webhook's JSON body, and what the e-mail is written from).

    `recipients` (e-mail only) is kept with the row, so a retry goes to the same addresses.
    `order`: the supervision order a case.supervision or case.reminder message is about."""

    def local(moment: datetime.datetime | None) -> str | None:
        return timezone.localtime(moment).isoformat() if moment else None

    category = case.category
    payload = {
        "type": kind,
        "delivery_id": str(delivery_id),
        "case": {
            "id": case.pk,
            "tracking_number": case.tracking_number,
            "status": case.status,
            "category": {"code": category.full_code, "name": category.name} if category else None,
            "urgency": case.urgency,
            "address": case.address,
            "location": {"lon": case.location.x, "lat": case.location.y},
            "deadline": local(case.handling_deadline),
            "rework_count": case.rework_count,
            "link": case_link(case_id=case.pk),
        },
        "department": {"id": department.pk, "code": department.code, "name": department.name} if department else None,
        "event": {"id": event.pk, "action": event.action, "at": local(event.at), "note": event.note},
    }
    if order is not None:
        payload["order"] = {
            "id": order.pk,
            "note": order.note,
            "due": local(order.deadline),
            "addressee": order.addressee_name,
            "reminders": order.reminder_count,
        }
    if recipients is not None:
        payload["recipients"] = recipients
    return payload


# Queueing ---------------------------------------------------------------------------------


def notification_enqueue(*, notification_id: int, eta: datetime.datetime | None = None) -> bool:
    """Hand a notification to the task queue, now or at `eta`. True if it was handed over.

    Otherwise the sweep queues it once it is due. A broker failure is logged and never
    reaches the caller (after a commit, the case has changed whatever happens to the message).
    """
    from cases.tasks import deliver_notification

    if eta is not None:
        if deliver_notification.app.conf.task_always_eager or eta - timezone.now() > LONGEST_COUNTDOWN:
            # Embedded mode would run a countdown at once, in this request; and a broker keeps a
            # long one badly (Redis hands an unacknowledged message out again after an hour).
            # The sweep queues these once they are due.
            Notification.objects.filter(pk=notification_id).update(queued_at=None)
            return False
        Notification.objects.filter(pk=notification_id).update(queued_at=eta)
    if not publish(deliver_notification, (notification_id,), eta=eta):
        # Not handed over (config.broker logs why, once): the sweep hands it over when due.
        Notification.objects.filter(pk=notification_id).update(queued_at=None)
        return False
    return True


def notifications_sweep(*, now: datetime.datetime | None = None) -> int:
    """Hand over again what is due and not (or no longer) queued; take back abandoned claims.

    Returns how many notifications were handed to the queue.
    """
    now = now or timezone.now()
    abandoned = Notification.objects.filter(status=DeliveryStatus.SENDING, next_attempt_at__lte=now)
    for notification in abandoned.order_by("id")[:SWEEP_BATCH]:
        _take_back(notification, now=now)

    due = (
        Notification.objects.filter(status__in=UNSETTLED, next_attempt_at__lte=now)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lte=now - REQUEUE_AFTER))
        .order_by("next_attempt_at", "id")
        .values_list("pk", "queued_at")[:SWEEP_BATCH]
    )
    handed = 0
    for pk, queued_at in list(due):
        # Compare-and-set, so that two sweeps running at once queue a row once.
        if Notification.objects.filter(pk=pk, queued_at=queued_at).update(queued_at=now):
            handed += notification_enqueue(notification_id=pk)
    if handed:
        logger.info("sweep: %d notification(s) handed to the queue again", handed)
    return handed


INTERRUPTED = (
    "Interrupted: the worker stopped while sending (killed, or it lost its database); no answer was "
    "recorded, and the receiver may have got the message. Sent again with the same delivery id."
)


def _lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)


def _renewal() -> datetime.timedelta:
    return min(LEASE_RENEWAL, _lease() / 3)


def _take_back(notification: Notification, *, now: datetime.datetime) -> None:
    """A claim whose lease ran out: record the attempt it was as interrupted, and make the row due
    again (or failed, after the last attempt). Compare-and-set on the claim: once, however many
    sweeps run at once, and never while its worker still renews it."""
    last = notification.attempt_count >= MAX_ATTEMPTS
    fields = {"queued_at": None, "claimed_at": None, "last_error": INTERRUPTED}
    if last:
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    else:
        fields.update(status=DeliveryStatus.RETRYING, next_attempt_at=now)
    with transaction.atomic():
        taken = Notification.objects.filter(
            pk=notification.pk,
            status=DeliveryStatus.SENDING,
            attempt_count=notification.attempt_count,
            next_attempt_at__lte=now,
        ).update(**fields)
        if not taken:
            return
        started = notification.claimed_at or now
        NotificationAttempt.objects.create(
            notification=notification,
            at=started,
            ok=False,
            interrupted=True,
            error=INTERRUPTED,
            duration_ms=max(0, round((now - started).total_seconds() * 1000)),
        )
    for name, value in fields.items():
        setattr(notification, name, value)
    _log_outcome(notification, ok=False, error=INTERRUPTED)


def notification_resend(*, notification_id: int) -> bool:
    """Try a failed notification again from the start (after its department's channel was fixed)."""
    now = timezone.now()
    reset = Notification.objects.filter(pk=notification_id, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING, attempt_count=0, next_attempt_at=now, queued_at=now, last_error=""
    )
    if reset:
        transaction.on_commit(lambda: notification_enqueue(notification_id=notification_id))
    return bool(reset)


# Delivering -------------------------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    transient: bool = False
    http_status: int | None = None
    error: str = ""


def notification_deliver(*, notification_id: int, now: datetime.datetime | None = None) -> Notification | None:
    """Make one attempt at a notification that is due. None if it is not (anymore) ours to send.

    Safe to call twice or from two workers at once: only the caller whose UPDATE claims
    the row sends. Sends with no transaction open and no lock held.
    """
    now = now or timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, status__in=UNSETTLED, next_attempt_at__lte=now).update(
        status=DeliveryStatus.SENDING,
        next_attempt_at=now + _lease(),
        claimed_at=now,
        attempt_count=F("attempt_count") + 1,
    )
    if not claimed:
        return None
    notification = Notification.objects.select_related("department", "upstream").get(pk=notification_id)
    with bound(case_id=notification.case_id, delivery_id=str(notification.delivery_id)):  # in every log line
        started = time.monotonic()
        send = _send_email if notification.channel == Channel.EMAIL else _send_webhook  # callbacks, pushes: webhooks
        with _lease_renewed(notification):
            outcome = send(notification)
        duration_ms = round((time.monotonic() - started) * 1000)
        return _record(notification, outcome, now=now, duration_ms=duration_ms)


@contextlib.contextmanager
def _lease_renewed(notification: Notification):
    """While the send runs, push the claim's expiry forward every LEASE_RENEWAL (from a thread with
    its own database connection), so that the sweep never takes back a send still in flight."""
    stop = threading.Event()

    def renew() -> None:
        try:
            while not stop.wait(_renewal().total_seconds()):
                try:
                    Notification.objects.filter(
                        pk=notification.pk, status=DeliveryStatus.SENDING, attempt_count=notification.attempt_count
                    ).update(next_attempt_at=timezone.now() + _lease())
                except DatabaseError as exc:  # the claim may lapse: then the sweep records it interrupted
                    logger.warning("notification %s: lease not renewed (%s)", notification.pk, exc)
                    connection.close()
        finally:
            connection.close()

    thread = threading.Thread(target=renew, name=f"lease-{notification.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=_renewal().total_seconds())


def retry_delay(attempt_count: int) -> datetime.timedelta:
    """How long to wait after the `attempt_count`-th failed attempt."""
    return FIRST_RETRY * BACKOFF_FACTOR ** (attempt_count - 1)


def _record(notification: Notification, outcome: Outcome, *, now: datetime.datetime, duration_ms: int) -> Notification:
    """Record the attempt and settle the row, surviving a lost database connection: the message
    has gone out, and a row left "sending" would be sent again once its lease ran out."""
    fields: dict = {"last_error": outcome.error[:2000], "queued_at": None, "claimed_at": None}
    if outcome.ok:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif outcome.transient and notification.attempt_count < MAX_ATTEMPTS:
        fields.update(status=DeliveryStatus.RETRYING, next_attempt_at=now + retry_delay(notification.attempt_count))
    else:
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    for tries in range(1, RECORD_TRIES + 1):
        try:
            _write_record(notification, outcome, fields, now=now, duration_ms=duration_ms)
            break
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block or tries == RECORD_TRIES:
                raise
            logger.warning("notification %s: recording the attempt failed (%s); reconnecting", notification.pk, exc)
            connection.close()  # the next query opens a new connection
            time.sleep(0.5 * tries)
    for name, value in fields.items():
        setattr(notification, name, value)
    _log_outcome(notification, ok=outcome.ok, error=outcome.error)
    return notification


def _write_record(notification: Notification, outcome: Outcome, fields: dict, *, now, duration_ms: int) -> None:
    with transaction.atomic():
        # A try whose commit went through but whose answer was lost: recorded already.
        if NotificationAttempt.objects.filter(notification=notification, at=now, interrupted=False).exists():
            return
        NotificationAttempt.objects.create(
            notification=notification,
            at=now,
            ok=outcome.ok,
            http_status=outcome.http_status,
            error=outcome.error[:2000],
            duration_ms=duration_ms,
        )
        # Only if the claim is still ours (the sweep takes back claims whose lease ran out).
        Notification.objects.filter(
            pk=notification.pk, status=DeliveryStatus.SENDING, attempt_count=notification.attempt_count
        ).update(**fields)


def _log_outcome(notification: Notification, *, ok: bool, error: str) -> None:
    """One line per attempt, with the case and delivery ids (fields of their own in the JSON logs).
    A message that will not be tried again is an ERROR, marked as an alert: someone must look (the
    shift leader's page of failed notifications lists it, with a button to send it again)."""
    context = {"case_id": notification.case_id, "delivery_id": str(notification.delivery_id)}
    ids = (notification.pk, notification.channel, notification.case_id, notification.delivery_id)
    if ok:
        logger.info("notification %s (%s, case %s, delivery %s) delivered", *ids, extra=context)
    elif notification.status == DeliveryStatus.FAILED:
        logger.error(
            "notification %s (%s, case %s, delivery %s) finally failed after %d attempt(s), not tried again "
            "unless resent: %s", *ids, notification.attempt_count, error,
            extra={**context, "alert": "notification_failed"},
        )  # fmt: skip
    else:
        logger.warning(
            "notification %s (%s, case %s, delivery %s) attempt %d failed, tried again at %s: %s",
            *ids, notification.attempt_count, notification.next_attempt_at, error, extra=context,
        )  # fmt: skip


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The X-Signature header: "sha256=" + hex HMAC-SHA256 of b"<timestamp>." + body, keyed with the secret.

    The timestamp (X-Timestamp, Unix seconds) is signed with the body so that a captured
    request cannot be replayed later: receivers reject timestamps more than 5 minutes off.
    The body carries the delivery id too, so it is covered by the signature.
    """
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would follow a 301/302/303 with a GET and no body, and call that a success."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # → HTTPError with the 3xx status


_opener = urllib.request.build_opener(_NoRedirects)


def _send_webhook(notification: Notification) -> Outcome:
    """POST the signed JSON to the department's webhook, or to the upstream system's callback URL
    (status callbacks and pushes: the same signature, retries and delivery ids)."""
    if notification.upstream_id:
        system = notification.upstream
        url, secret, agent, who = system.callback_url, system.secret, "citydispatch-exchange/1", "upstream system"
        if not system.active:
            return Outcome(ok=False, error="The upstream system is switched off in the registry.")
    else:
        department = notification.department
        if department is None:  # pragma: no cover - a person is told by e-mail only
            return Outcome(ok=False, error="A message to a person has no webhook.")
        url, secret, agent, who = (
            department.webhook_url,
            department.webhook_secret,
            "citydispatch-webhook/1",
            "department",
        )
    if not url:
        return Outcome(ok=False, error=f"The {who} no longer has a webhook URL.")
    if urlsplit(url).scheme not in ("http", "https"):
        return Outcome(ok=False, error=f"The webhook URL must start with http:// or https://, got {url!r}.")
    if not secret:
        return Outcome(ok=False, error=f"The {who}'s webhook has no secret; set one to sign the messages.")
    body = json.dumps(notification.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": agent,
            "X-Delivery-Id": str(notification.delivery_id),
            "X-Timestamp": timestamp,
            "X-Signature": webhook_signature(secret=secret, timestamp=timestamp, body=body),
        },
    )
    try:
        with _opener.open(request, timeout=WEBHOOK_TIMEOUT) as response:
            response.read(64 * 1024)
            status = response.status
    except urllib.error.HTTPError as exc:
        return _http_outcome(exc.code, _snippet(exc))
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:  # refused, DNS, timeout, reset
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return Outcome(ok=False, transient=True, error=f"{type(exc).__name__}: {reason}"[:500])
    return _http_outcome(status, "")


def _http_outcome(status: int, detail: str) -> Outcome:
    if 200 <= status < 300:
        return Outcome(ok=True, http_status=status)
    transient = status in TRANSIENT_HTTP or status >= 500
    error = f"HTTP {status}" + (f": {detail}" if detail else "")
    if 300 <= status < 400:
        error += " (redirects are not followed; set the final address as the webhook URL)"
    return Outcome(ok=False, transient=transient, http_status=status, error=error)


def _snippet(exc: urllib.error.HTTPError) -> str:
    try:
        return exc.read(300).decode("utf-8", "replace").strip()
    except Exception:  # the body is only a hint for whoever reads the log
        return ""
    finally:
        exc.close()


def email_message(payload: dict) -> tuple[str, str]:
    """(subject, plain-text body) of the dispatch e-mail, in Chinese."""
    case, event = payload["case"], payload["event"]
    category = case["category"] or {"code": "", "name": ""}
    with translation.override("zh-hans"):
        urgency = str(Urgency(case["urgency"]).label) if case["urgency"] in Urgency.values else case["urgency"]
        transition = TRANSITIONS.get(event["action"])
        step = str(transition.label) if transition else event["action"]
        status = str(Status(case["status"]).label) if case["status"] in Status.values else case["status"]
    if payload.get("type") in (SUPERVISION, REMINDER):
        return _order_message(payload, status=status)
    overdue = payload.get("type") == OVERDUE
    subject = f"【{'案件超期' if overdue else '案件派遣'}】{case['tracking_number']} {category['name']}"
    lead = (
        f"案件 {case['tracking_number']} 已超过处置时限，请立即处置并反馈。"
        if overdue
        else f"案件 {case['tracking_number']} 已派遣至贵单位，请按时限处置。"
    )
    lines = [
        f"{payload['department']['name']}：",
        "",
        lead,
        "",
        f"案件编号：{case['tracking_number']}",
        f"案件状态：{status}",
        f"派遣环节：{step}",
        f"类别：{category['code']} {category['name']}",
        f"紧急程度：{urgency}",
        f"地址：{case['address'] or '（无）'}",
        f"坐标：经度 {case['location']['lon']:.6f}，纬度 {case['location']['lat']:.6f}",
        f"处置时限：{_minutes(case['deadline']) or '（未设）'}",
        f"{'超期时间' if overdue else '派遣时间'}：{_minutes(event['at'])}",
    ]
    if event.get("note"):
        lines.append(f"说明：{event['note']}")
    lines += [
        f"查看案件：{case['link']}",
        "",
        f"投递编号：{payload['delivery_id']}",
        "本邮件由数字城管系统自动发送，请勿直接回复。",
    ]
    return subject, "\n".join(lines) + "\n"


def _order_message(payload: dict, *, status: str) -> tuple[str, str]:
    """(subject, body) of a supervision order (督办) or a reminder (催办), in Chinese."""
    case, event, order = payload["case"], payload["event"], payload["order"]
    reminder = payload["type"] == REMINDER
    category = case["category"] or {"code": "", "name": ""}
    subject = f"【{'催办' if reminder else '督办'}】{case['tracking_number']} {category['name']}"
    lead = (
        f"案件 {case['tracking_number']} 的督办事项尚待回复，现第 {order['reminders']} 次催办，请尽快处理并回复。"
        if reminder
        else f"案件 {case['tracking_number']} 已被督办，请在回复时限内处理并在系统中回复。"
    )
    lines = [
        f"{order['addressee']}：",
        "",
        lead,
        "",
        f"案件编号：{case['tracking_number']}",
        f"案件状态：{status}",
        f"类别：{category['code']} {category['name']}",
        f"地址：{case['address'] or '（无）'}",
        f"督办事项：{order['note']}",
        f"回复时限：{_minutes(order['due'])}",
    ]
    if reminder and event.get("note"):
        lines.append(f"催办说明：{event['note']}")
    lines += [
        f"查看案件：{case['link']}",
        "",
        f"投递编号：{payload['delivery_id']}",
        "本邮件由数字城管系统自动发送，请勿直接回复。",
    ]
    return subject, "\n".join(lines) + "\n"


def _minutes(iso: str | None) -> str:
    return datetime.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M") if iso else ""


def _send_email(notification: Notification) -> Outcome:
    recipients = notification.payload.get("recipients") or (
        notification.department.email_list if notification.department else []
    )
    if not recipients:
        return Outcome(ok=False, error="The department no longer has an e-mail address.")
    subject, body = email_message(notification.payload)
    message = EmailMessage(
        subject,
        body,
        to=recipients,
        headers={"X-Delivery-Id": str(notification.delivery_id)},
        connection=get_connection(timeout=EMAIL_TIMEOUT),
    )
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        return Outcome(ok=False, error=f"All recipients refused: {exc.recipients}"[:500])
    except smtplib.SMTPResponseException as exc:  # 4xx: try again later; 5xx: refused
        error = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"[:500]
        return Outcome(ok=False, transient=exc.smtp_code < 500, error=error)
    except OSError as exc:  # smtplib.SMTPException, refused connection, timeout
        return Outcome(ok=False, transient=True, error=f"{type(exc).__name__}: {exc}"[:500])
    return Outcome(ok=True)


# Reading ----------------------------------------------------------------------------------


def case_notifications(*, case: Case) -> QuerySet[Notification]:
    """A case's notifications (departments' and upstream systems') with their attempts, oldest first,
    in two queries (for the case page)."""
    return (
        Notification.objects.filter(case=case)
        .select_related("department", "upstream", "event")
        .prefetch_related("attempts")
        .order_by("created_at", "id")
    )


def failed_notifications() -> QuerySet[Notification]:
    """Messages that will not be tried again, newest first (the shift leader's page): all but those
    to upstream systems, which are on the exchange's page."""
    return (
        Notification.objects.filter(status=DeliveryStatus.FAILED, upstream__isnull=True)
        .select_related("case", "department")
        .order_by("-created_at", "-id")
    )

"""Exactly one Celery beat: a second one started by mistake (or as a standby) waits.

At start (Celery's beat_init signal) the beat takes a lock it holds for its whole life and that
the operating system releases when it dies: a PostgreSQL session advisory lock on a connection
of its own (PostGIS), or an exclusive lock on a file beside the database (SpatiaLite). A beat
that cannot take it logs so and exits with status 75; systemd starts it again
(Restart=always, RestartSec), so a standby beat on another node takes over within seconds of
the active one dying. docs/OPERATIONS.md "One beat only".
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys

from django.conf import settings

logger = logging.getLogger(__name__)

LOCK_ID = 0x63_64_62_74  # "cdbt": one advisory lock id for the whole product
TEMPFAIL = 75  # EX_TEMPFAIL: try again later

_held: list = []  # the connection or file holding the lock, for the life of the process


def hold() -> bool:
    """Take the lock, or return False if another beat holds it."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgis"):
        import psycopg

        conn = psycopg.connect(
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            dbname=db["NAME"],
            autocommit=True,
            application_name="citydispatch-beat-lock",
        )
        if not conn.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_ID]).fetchone()[0]:
            conn.close()
            return False
        _held.append(conn)
        return True
    path = f"{db['NAME']}.beat.lock"
    handle = open(path, "a+")  # noqa: SIM115 - held open for the life of the process
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    _held.append(handle)
    return True


def hold_or_exit(**_kwargs) -> None:
    if hold():
        logger.info("beat: holding the one-beat lock")
        return
    logger.error("beat: another beat holds the one-beat lock; this one exits and will try again")
    sys.stdout.flush()
    os._exit(TEMPFAIL)  # beat_init runs inside Celery's start-up: SystemExit would be reported as a crash

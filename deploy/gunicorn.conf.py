"""gunicorn settings for citydispatch-web.service (deploy/systemd).

/metrics adds up the counters of every gunicorn worker (prometheus_client's multiprocess mode,
PROMETHEUS_MULTIPROC_DIR): a worker that exits must be marked dead, or its gauges linger.
"""

bind = "127.0.0.1:8000"
workers = 4
timeout = 60  # a request never waits on the broker or the cache for more than a few seconds (REDIS_TIMEOUT_SECONDS)
accesslog = "-"


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

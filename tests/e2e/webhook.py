"""A department's webhook endpoint on 127.0.0.1: keeps every request it receives and
answers 204, as a department's system would (docs/WEBHOOKS.md)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def message(self) -> dict:
        return json.loads(self.body)

    def signed_with(self, secret: str) -> bool:
        """The docs' check: HMAC-SHA256 of timestamp + "." + raw body, and a fresh timestamp."""
        timestamp = self.headers.get("x-timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return False
        expected = hmac.new(secret.encode(), timestamp.encode() + b"." + self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest("sha256=" + expected, self.headers.get("x-signature", ""))


class WebhookReceiver:
    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {key.lower(): value for key, value in self.headers.items()}
                with receiver._lock:
                    receiver.deliveries.append(Delivery(self.path, headers, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/sanitation"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, predicate, timeout: float = 30) -> list[Delivery]:
        """The deliveries matching `predicate`, waiting up to `timeout` s for at least one."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [d for d in self.deliveries if predicate(d)]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

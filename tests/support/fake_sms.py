"""A local fake SMS provider (http.server on a spare port): no real provider is reachable
here. It records every request and answers with the status codes a test queues up."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeSMSProvider:
    def __init__(self):
        self.requests: list[dict] = []
        self.replies: list[tuple[int, dict]] = []  # consumed in order; then 200
        self.delay = 0.0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                provider.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
                )
                if provider.delay:
                    time.sleep(provider.delay)
                status, payload = (
                    provider.replies.pop(0)
                    if provider.replies
                    else (200, {"id": f"sms-{len(provider.requests)}"})
                )
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # a slow reply (timeout test) must not hold stop()
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1/messages"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

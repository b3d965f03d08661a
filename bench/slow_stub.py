"""The slow dependency of the workers section: an HTTP server that answers every GET after a fixed delay.

  python3 slow_stub.py PORT DELAY_MS

Runs on a lab host (client1) under systemd-run with a run-time limit, so it
stops by itself. Threads: every request waits its own delay, whatever the load.
"""

from __future__ import annotations

import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Slow(BaseHTTPRequestHandler):
    delay = 0.05

    def do_GET(self):
        time.sleep(self.delay)
        body = b'{"ok": true}\n'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    # The listen backlog, which listen() takes when the server is made: at the
    # default of 5, connections beyond it waited a SYN retransmission (1 s).
    request_queue_size = 1024
    daemon_threads = True


def main() -> None:
    port, delay_ms = int(sys.argv[1]), float(sys.argv[2])
    Slow.delay = delay_ms / 1000
    Server(("0.0.0.0", port), Slow).serve_forever()


if __name__ == "__main__":
    main()

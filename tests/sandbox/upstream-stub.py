#!/usr/bin/env python3
"""Stands in for the app containers behind nginx in tests/edge_behaviour.rs,

    upstream-stub.py LOG PORT [PORT...]

Listens on $STUB_ADDRESS (default 127.0.0.1):PORT for each PORT (inside the test's network namespace),
answers every request with 200 "ok", and appends one JSON line per request to
LOG: the port, the request target exactly as received, the headers the tests
check and the start of the body. Runs until killed. Also the webhook receiver
of tests/monitoring_behaviour.rs.
"""
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = sys.argv[1]
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        entry = {
            "address": self.server.server_address[0],
            "port": self.server.server_address[1],
            "method": self.command,
            "target": self.path,
            "host": self.headers.get("Host"),
            "proto": self.headers.get("X-Forwarded-Proto"),
            "request_id": self.headers.get("X-Request-ID"),
            "upgrade": self.headers.get("Upgrade"),
            "connection": self.headers.get("Connection"),
            "authorization": self.headers.get("Authorization"),
            "body": body[:4000].decode(errors="replace"),
        }
        with LOCK, open(LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = handle_any

    def log_message(self, *args):
        pass


ADDRESS = os.environ.get("STUB_ADDRESS", "127.0.0.1")
for port in sys.argv[2:]:
    server = ThreadingHTTPServer((ADDRESS, int(port)), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
threading.Event().wait()

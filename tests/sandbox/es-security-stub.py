#!/usr/bin/env python3
"""A stand-in for Elasticsearch's security API (8.x), enough to hold the
accounts job to it: PUT /_security/role/<name> and /_security/user/<name>
with Basic authentication as `elastic`, JSON bodies with Content-Type
application/json (else 406, as Elasticsearch answers), a user's roles must
exist and its password be 6 characters or more (the native realm's minimum).
Every accepted request is appended to STATE as one JSON line.

Usage: es-security-stub.py PORT ADMIN_PASSWORD STATE
"""
import base64
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT, ADMIN, STATE = int(sys.argv[1]), sys.argv[2], sys.argv[3]
roles = {}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, 1 << 20))
        want = "Basic " + base64.b64encode(f"elastic:{ADMIN}".encode()).decode()
        if self.headers.get("Authorization") != want:
            return self.answer(401, {"error": "unable to authenticate user [elastic]"})
        if self.headers.get("Content-Type") != "application/json":
            return self.answer(406, {"error": "Content-Type header is not supported"})
        m = re.fullmatch(r"/_security/(role|user)/([A-Za-z0-9_.@-]{1,507})", self.path)
        if not m:
            return self.answer(400, {"error": f"no handler for {self.path}"})
        try:
            body = json.loads(raw)
        except ValueError as e:
            return self.answer(400, {"error": f"parse_exception: {e}"})
        kind, name = m.groups()
        if kind == "role":
            if set(body) - {"cluster", "indices"}:
                return self.answer(400, {"error": "unknown role field"})
            roles[name] = body
        else:
            if set(body) != {"password", "roles"} or len(body["password"]) < 6:
                return self.answer(400, {"error": "bad user body"})
            missing = [r for r in body["roles"] if r not in roles]
            if missing:
                return self.answer(400, {"error": f"unknown roles {missing}"})
        with open(STATE, "a") as f:
            f.write(json.dumps({"kind": kind, "name": name, "body": body}, sort_keys=True) + "\n")
        return self.answer(200, {"created": True})


HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()

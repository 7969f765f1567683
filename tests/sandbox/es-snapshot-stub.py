#!/usr/bin/env python3
"""A stand-in for Elasticsearch's snapshot API (8.x) over an `fs` repository,
enough to hold the generated backup to it. Run as the image's user (1000:0),
like Elasticsearch, so the repository folder must be writable by it.

- PUT /_snapshot/<repo> {"type":"fs","settings":{"location":L}}: L must be
  under path.repo (PATH_REPO, the container's view) and writable; as
  Elasticsearch verifies a new repository, a test file is written and removed
  there (500 repository_verification_exception otherwise).
- DELETE /_snapshot/<repo>/<snap>: 404 snapshot_missing_exception when absent.
- PUT /_snapshot/<repo>/<snap>?wait_for_completion=true: 400
  invalid_snapshot_name_exception when the name is taken, else the snapshot's
  files (index-N, index.latest, snap-*.dat, meta-*.dat, indices/...) and
  {"snapshot": {..., "state": STATE}}.

Requests need Basic authentication as `elastic` and, with a body,
Content-Type application/json (406 otherwise, as Elasticsearch answers).
PATH_REPO (inside the container) is HOST_DIR on this side of the bind mount.

Usage: es-snapshot-stub.py PORT ADMIN_PASSWORD PATH_REPO HOST_DIR STATE
"""
import base64
import json
import os
import re
import sys
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT, ADMIN, PATH_REPO, HOST_DIR, STATE = sys.argv[1:6]
repositories = {}


def host_path(location):
    rel = os.path.relpath(location, PATH_REPO)
    return os.path.join(HOST_DIR, rel) if rel != "." else HOST_DIR


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        want = "Basic " + base64.b64encode(f"elastic:{ADMIN}".encode()).decode()
        if self.headers.get("Authorization") != want:
            self.answer(401, {"error": {"type": "security_exception"}, "status": 401})
            return False
        return True

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, 1 << 20))
        if raw and self.headers.get("Content-Type") != "application/json":
            self.answer(406, {"error": "Content-Type header is not supported", "status": 406})
            return None
        return json.loads(raw) if raw else {}

    def do_DELETE(self):
        if not self.authorized():
            return
        m = re.fullmatch(r"/_snapshot/([a-z0-9_-]+)/([a-z0-9_-]+)", self.path)
        repo = repositories.get(m.group(1)) if m else None
        if repo is None:
            return self.answer(404, {"error": {"type": "repository_missing_exception"}, "status": 404})
        folder = host_path(repo)
        marker = os.path.join(folder, "index.latest")
        if not os.path.exists(marker):
            return self.answer(404, {"error": {"type": "snapshot_missing_exception"}, "status": 404})
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            if os.path.isdir(path):
                for root, dirs, files in os.walk(path, topdown=False):
                    for f in files:
                        os.remove(os.path.join(root, f))
                    for d in dirs:
                        os.rmdir(os.path.join(root, d))
                os.rmdir(path)
            else:
                os.remove(path)
        self.log("DELETE " + m.group(2))
        self.answer(200, {"acknowledged": True})

    def do_PUT(self):
        if not self.authorized():
            return
        body = self.body()
        if body is None:
            return
        path, _, query = self.path.partition("?")
        m = re.fullmatch(r"/_snapshot/([a-z0-9_-]+)", path)
        if m:
            location = body.get("settings", {}).get("location", "")
            if body.get("type") != "fs" or not (location == PATH_REPO or location.startswith(PATH_REPO + "/")):
                return self.answer(500, {"error": {"type": "repository_exception", "reason": f"location [{location}] doesn't match any of the locations specified by path.repo"}, "status": 500})
            probe = os.path.join(host_path(location), "tests-" + uuid.uuid4().hex)
            try:
                os.makedirs(probe)
                with open(os.path.join(probe, "master.dat"), "w") as f:
                    f.write("probe")
                os.remove(os.path.join(probe, "master.dat"))
                os.rmdir(probe)
            except OSError as e:
                return self.answer(500, {"error": {"type": "repository_verification_exception", "reason": f"store location [{location}] is not accessible on the node: {e}"}, "status": 500})
            repositories[m.group(1)] = location
            self.log("REPOSITORY " + location)
            return self.answer(200, {"acknowledged": True})
        m = re.fullmatch(r"/_snapshot/([a-z0-9_-]+)/([a-z0-9_-]+)", path)
        if not m or m.group(1) not in repositories:
            return self.answer(404, {"error": {"type": "repository_missing_exception"}, "status": 404})
        if query != "wait_for_completion=true":
            return self.answer(200, {"accepted": True})
        folder = host_path(repositories[m.group(1)])
        if os.path.exists(os.path.join(folder, "index.latest")):
            return self.answer(400, {"error": {"type": "invalid_snapshot_name_exception", "reason": "snapshot with the same name already exists"}, "status": 400})
        snap = uuid.uuid4().hex
        os.makedirs(os.path.join(folder, "indices", "ai-nlp-docs", "0"))
        with open(os.path.join(folder, "indices", "ai-nlp-docs", "0", "__segment"), "w") as f:
            f.write("doc:kept")
        for name, text in [(f"snap-{snap}.dat", "snapshot"), (f"meta-{snap}.dat", "metadata"),
                           ("index-0", json.dumps({"snapshots": [{"name": m.group(2), "uuid": snap}]})),
                           ("index.latest", "0")]:
            with open(os.path.join(folder, name), "w") as f:
                f.write(text)
        self.log(f"SNAPSHOT {m.group(2)} global_state={body.get('include_global_state')}")
        state = os.environ.get("ES_STUB_STATE", "SUCCESS")
        self.answer(200, {"snapshot": {"snapshot": m.group(2), "uuid": snap, "indices": ["ai-nlp-docs"], "state": state, "shards": {"total": 1, "failed": 0 if state == "SUCCESS" else 1, "successful": 1 if state == "SUCCESS" else 0}}})

    def log(self, line):
        with open(STATE, "a") as f:
            f.write(line + "\n")


HTTPServer(("127.0.0.1", int(PORT)), Handler).serve_forever()

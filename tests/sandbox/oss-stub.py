#!/usr/bin/env python3
"""Stand-ins for the ECS metadata service and an OSS bucket's internal
endpoint, enough to hold the generated backup copy (backup/oss-put.py) to
them. Run inside a network namespace of the test's own.

Metadata, on http://100.100.100.200 (security hardening mode: every read
needs the token from PUT /latest/api/token, which needs
X-aliyun-ecs-metadata-token-ttl-seconds; ECS documentation, "Instance
metadata"):
  /latest/meta-data/ram/security-credentials/          the role's name
  /latest/meta-data/ram/security-credentials/<role>    its temporary keys
  /latest/meta-data/region-id                          cn-hangzhou

OSS, on https://<bucket>.oss-cn-hangzhou-internal.aliyuncs.com (127.0.0.1:443
through the namespace's /etc/hosts, with CERT and KEY): PutObject only. Each
request's Authorization must equal what Alibaba Cloud's own SDK
(alibabacloud-oss-v2, signer.v4.SignerV4) computes from the request's
headers, the role's keys and the request's x-oss-date; the security token
must be the role's, Content-MD5 the body's, and with x-oss-forbid-overwrite
an existing key is refused (409 FileAlreadyExists), as OSS does. Accepted
objects are written under STORE/<key>; each request is one line of LOG.

Usage: oss-stub.py BUCKET CERT KEY STORE LOG
"""
import base64
import datetime
import hashlib
import json
import os
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from alibabacloud_oss_v2.signer import SignerV4
from alibabacloud_oss_v2.types import Credentials, HttpRequest, SigningContext

BUCKET, CERT, KEY, STORE, LOG = sys.argv[1:6]
REGION = "cn-hangzhou"
ROLE = "futurestack-future-prod-role"
TOKEN = "metadata-token-1"
KEYS = {
    "AccessKeyId": "STS.stub-access-key",
    "AccessKeySecret": "stub-secret/with+chars=",
    "SecurityToken": "CAIS-stub-security-token",
    "Expiration": "2099-01-01T00:00:00Z",
    "Code": "Success",
}


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\n")


class Metadata(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, text):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        if self.path != "/latest/api/token" or not self.headers.get("X-aliyun-ecs-metadata-token-ttl-seconds"):
            return self.answer(400, "bad token request")
        self.answer(200, TOKEN)

    def do_GET(self):
        if self.headers.get("X-aliyun-ecs-metadata-token") != TOKEN:
            log("METADATA without token " + self.path)
            return self.answer(401, "token required")
        base = "/latest/meta-data/ram/security-credentials/"
        if self.path == base:
            return self.answer(200, ROLE)
        if self.path == base + ROLE:
            return self.answer(200, json.dumps(KEYS, indent=2))
        if self.path == "/latest/meta-data/region-id":
            return self.answer(200, REGION)
        self.answer(404, "not found")


class Oss(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def error(self, status, code, message):
        data = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
        log(f"REFUSED {status} {code} {self.path}: {message}")
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        host = self.headers.get("Host", "")
        if host != f"{BUCKET}.oss-{REGION}-internal.aliyuncs.com":
            return self.error(403, "InvalidBucketName", host)
        key = self.path.lstrip("/")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        signed = {k: v for k, v in self.headers.items()
                  if k.lower().startswith("x-oss-") or k.lower() in ("content-type", "content-md5")}
        stamp = self.headers.get("x-oss-date", "")
        try:
            when = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            return self.error(403, "AccessDenied", "no x-oss-date")
        expected = HttpRequest("PUT", f"https://{host}/{key}", headers=dict(signed))
        from urllib.parse import unquote
        ctx = SigningContext(
            product="oss", region=REGION, bucket=BUCKET, key=unquote(key), request=expected,
            credentials=Credentials(KEYS["AccessKeyId"], KEYS["AccessKeySecret"], KEYS["SecurityToken"]),
            signing_time=when,
        )
        SignerV4().sign(ctx)
        if self.headers.get("Authorization") != expected.headers["Authorization"]:
            return self.error(403, "SignatureDoesNotMatch",
                              f"got {self.headers.get('Authorization')} want {expected.headers['Authorization']}")
        if self.headers.get("x-oss-security-token") != KEYS["SecurityToken"]:
            return self.error(403, "InvalidSecurityToken", "wrong token")
        if self.headers.get("Content-MD5") != base64.b64encode(hashlib.md5(body).digest()).decode():
            return self.error(400, "InvalidDigest", "Content-MD5 does not match the body")
        path = os.path.join(STORE, unquote(key))
        if os.path.exists(path) and self.headers.get("x-oss-forbid-overwrite") == "true":
            return self.error(409, "FileAlreadyExists", key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(body)
        log(f"PUT {unquote(key)} {len(body)}")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


metadata = ThreadingHTTPServer(("100.100.100.200", 80), Metadata)
threading.Thread(target=metadata.serve_forever, daemon=True).start()
oss = ThreadingHTTPServer(("127.0.0.1", 443), Oss)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(CERT, KEY)
oss.socket = context.wrap_socket(oss.socket, server_side=True)
oss.serve_forever()

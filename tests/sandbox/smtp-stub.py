#!/usr/bin/env python3
"""A minimal SMTP server for tests/monitoring_behaviour.rs, on loopback inside
the test's network namespace.

    smtp-stub.py MODE PORT CERT KEY OUT_DIR

MODE `smtps`: TLS from the first byte (port 465). MODE `starttls`: plain, with
STARTTLS advertised and required before AUTH (port 587). Accepts AUTH PLAIN and
AUTH LOGIN, and writes each message to OUT_DIR/<PORT>-<n>.eml together with the
login it came with. Runs until killed; every connection is bounded by a timeout.
"""
import base64
import os
import socket
import ssl
import sys
import threading

MODE, PORT, CERT, KEY, OUT = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
CTX = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
CTX.load_cert_chain(CERT, KEY)
COUNT = [0]
LOCK = threading.Lock()


def serve(conn):
    conn.settimeout(10)
    tls = MODE == "smtps"
    if tls:
        conn = CTX.wrap_socket(conn, server_side=True)
    f = conn.makefile("rwb")

    def say(line):
        f.write((line + "\r\n").encode())
        f.flush()

    say("220 smtp-stub ready")
    user, mail = None, []
    while True:
        raw = f.readline()
        if not raw:
            return
        line = raw.decode(errors="replace").rstrip("\r\n")
        verb = line.split(" ", 1)[0].upper()
        if verb in ("EHLO", "HELO"):
            caps = ["250-smtp-stub", "250-AUTH PLAIN LOGIN"]
            if not tls:
                caps.append("250-STARTTLS")
            say("\r\n".join(caps) + "\r\n250 8BITMIME")
        elif verb == "STARTTLS" and not tls:
            say("220 go ahead")
            conn = CTX.wrap_socket(conn, server_side=True)
            f = conn.makefile("rwb")
            tls = True
        elif verb == "AUTH":
            if not tls:
                say("530 must issue STARTTLS first")
                continue
            parts = line.split(" ")
            if parts[1].upper() == "PLAIN":
                blob = parts[2] if len(parts) > 2 else None
                if blob is None:
                    say("334 ")
                    blob = f.readline().decode().strip()
                user = base64.b64decode(blob).split(b"\0")[1].decode()
            else:
                say("334 VXNlcm5hbWU6")
                user = base64.b64decode(f.readline().strip()).decode()
                say("334 UGFzc3dvcmQ6")
                f.readline()
            say("235 ok")
        elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
            say("250 ok")
        elif verb == "DATA":
            say("354 end with .")
            while True:
                data = f.readline()
                if not data or data in (b".\r\n", b".\n"):
                    break
                mail.append(data.decode(errors="replace"))
            with LOCK:
                COUNT[0] += 1
                name = os.path.join(OUT, f"{PORT}-{COUNT[0]}.eml")
            with open(name, "w", encoding="utf-8") as out:
                out.write(f"X-Stub-Login: {user}\n" + "".join(mail))
            mail = []
            say("250 queued")
        elif verb == "QUIT":
            say("221 bye")
            return
        else:
            say("502 not implemented")


server = socket.create_server(("127.0.0.1", PORT))
while True:
    client, _ = server.accept()
    def run(c=client):
        try:
            serve(c)
        except Exception as e:  # a client that gives up, a TLS refusal
            print(f"smtp-stub: {e}", file=sys.stderr)
        finally:
            c.close()
    threading.Thread(target=run, daemon=True).start()

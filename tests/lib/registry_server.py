"""A small Confluent Schema Registry stand-in for hirewire's integration tests
(schema.registry.url, wire/hw_registry.h). It serves this subset of the REST
API, answering application/vnd.schemaregistry.v1+json:

  GET  /schemas/ids/{id}                 {"schema": ...} (+ "schemaType" if not AVRO)
  POST /subjects/{subject}/versions      {"schema": ..., "schemaType"?} -> {"id": N}
  GET  /subjects/{subject}/versions/latest  {"subject", "version", "id", "schema"}

Ids are global: a schema equal (as parsed JSON) to one registered under any
subject keeps its id, and is not added twice to the same subject. New ids
start at --first-id (100), clear of hirewire's local ids 1-4. Errors use the
registry's codes (40401 subject, 40403 schema, 42201 invalid schema, 404).

usage: registry_server.py [--port P] [--port-file F] [--bind ADDR]
         [--first-id N] [--state FILE] [--preload SUBJECT=AVSC_FILE]...
         [--user U --password P] [--tls-cert F --tls-key F [--tls-client-ca F]]
         [--log FILE] [--fail-status CODE --fail-count N] [--delay-ms D]
         [--verbose]
  --port 0 picks a free port; --port-file gets it (atomically) once listening.
  --state keeps schemas and subjects across restarts (saved on each change).
  --user/--password require HTTP basic auth (else 401).
  --tls-* serve HTTPS; --tls-client-ca also requires a verified client cert.
  --log appends "METHOD PATH STATUS" per request, flushed at once.
  --fail-status/--fail-count answer the first N requests (-1: all) with CODE.
  --delay-ms sleeps before each answer.
Signals: SIGUSR1 toggles answering every request with 503; SIGTERM exits 0."""
import argparse
import base64
import http.server
import json
import os
import signal
import ssl
import sys
import threading
import time
import urllib.parse

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
TYPES = ("AVRO", "JSON", "PROTOBUF")


class Registry:
    """Schemas by id and the ids of each subject's versions (version = index + 1)."""

    def __init__(self, first_id, state):
        self.lock = threading.Lock()
        self.state = state
        self.schemas, self.subjects = {}, {}
        if state and os.path.exists(state):
            with open(state) as f:
                data = json.load(f)
            self.schemas = {int(k): v for k, v in data["schemas"].items()}
            self.subjects = data["subjects"]
        self.next_id = max([first_id] + [i + 1 for i in self.schemas])

    def save(self):
        if self.state:
            tmp = self.state + ".tmp"
            with open(tmp, "w") as f:
                json.dump({"schemas": self.schemas, "subjects": self.subjects}, f)
            os.replace(tmp, self.state)

    @staticmethod
    def parse(text, stype):
        """The comparable form of a schema text; ValueError when invalid."""
        if stype not in TYPES:
            raise ValueError(f"unknown schema type {stype}")
        if stype == "PROTOBUF":
            return text
        parsed = json.loads(text)
        if stype == "AVRO" and not (isinstance(parsed, (str, list)) or
                                    (isinstance(parsed, dict) and "type" in parsed)):
            raise ValueError("not an Avro schema")
        return parsed

    def register(self, subject, text, stype="AVRO"):
        """(id, version) of text under subject, registering it when new."""
        parsed = self.parse(text, stype)
        with self.lock:
            sid = next((i for i, s in self.schemas.items()
                        if s["schemaType"] == stype and
                        self.parse(s["schema"], stype) == parsed), None)
            changed = sid is None
            if changed:
                sid, self.next_id = self.next_id, self.next_id + 1
                self.schemas[sid] = {"schema": text, "schemaType": stype}
            versions = self.subjects.setdefault(subject, [])
            if sid not in versions:
                versions.append(sid)
                changed = True
            if changed:
                self.save()
            return sid, versions.index(sid) + 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\nusage:")[0],
                                 epilog="  --port 0" + __doc__.split("  --port 0", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--first-id", type=int, default=100)
    ap.add_argument("--state")
    ap.add_argument("--preload", action="append", default=[], metavar="SUBJECT=AVSC_FILE")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-client-ca")
    ap.add_argument("--log")
    ap.add_argument("--fail-status", type=int, default=500)
    ap.add_argument("--fail-count", type=int, default=0)
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    if (a.user is None) != (a.password is None):
        ap.error("--user and --password go together")
    if (a.tls_cert is None) != (a.tls_key is None) or (a.tls_client_ca and not a.tls_cert):
        ap.error("--tls-cert and --tls-key go together (and --tls-client-ca needs them)")

    reg = Registry(a.first_id, a.state)
    for item in a.preload:
        subject, sep, path = item.partition("=")
        if not sep or not subject:
            ap.error(f"--preload {item}: expected SUBJECT=AVSC_FILE")
        try:
            with open(path) as f:
                sid, version = reg.register(subject, f.read())
        except (OSError, ValueError) as e:
            ap.error(f"--preload {item}: {e}")
        if a.verbose:
            print(f"preloaded {subject} version {version} id {sid}", file=sys.stderr)

    auth = None
    if a.user is not None:
        auth = "Basic " + base64.b64encode(f"{a.user}:{a.password}".encode()).decode()
    log = open(a.log, "a") if a.log else None
    lock = threading.Lock()
    counters = {"requests": 0, "outage": False}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def reply(self, status, body, headers=()):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            if log:  # before the body: logged once the client has its answer
                with lock:
                    log.write(f"{self.command} {self.path} {status}\n")
                    log.flush()
            self.wfile.write(data)

        def handle_any(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if a.delay_ms:
                time.sleep(a.delay_ms / 1000)
            with lock:
                counters["requests"] += 1
                n, outage = counters["requests"], counters["outage"]
            if a.fail_count < 0 or n <= a.fail_count:
                return self.reply(a.fail_status, {"error_code": a.fail_status * 100,
                                                  "message": "injected failure"})
            if outage:
                return self.reply(503, {"error_code": 50300, "message": "injected failure"})
            if auth and self.headers.get("Authorization") != auth:
                return self.reply(401, {"error_code": 401, "message": "Unauthorized"},
                                  [("WWW-Authenticate", 'Basic realm="schema-registry"')])
            raw = self.path.split("?", 1)[0].strip("/").split("/")
            p = [urllib.parse.unquote(s) for s in raw]
            if self.command == "GET" and len(p) == 3 and p[:2] == ["schemas", "ids"]:
                s = reg.schemas.get(int(p[2])) if p[2].isdigit() else None
                if s is None:
                    return self.reply(404, {"error_code": 40403,
                                            "message": f"Schema {p[2]} not found"})
                out = {"schema": s["schema"]}
                if s["schemaType"] != "AVRO":
                    out["schemaType"] = s["schemaType"]
                return self.reply(200, out)
            if len(p) >= 3 and p[0] == "subjects" and p[2] == "versions":
                if self.command == "POST" and len(p) == 3:
                    try:
                        req = json.loads(body)
                        text = req["schema"]
                        if not isinstance(text, str):
                            raise ValueError("\"schema\" must be a string")
                        sid, _ = reg.register(p[1], text, req.get("schemaType") or "AVRO")
                    except (ValueError, KeyError, TypeError) as e:
                        return self.reply(422, {"error_code": 42201,
                                                "message": f"Invalid schema: {e}"})
                    return self.reply(200, {"id": sid})
                if self.command == "GET" and len(p) == 4 and p[3] == "latest":
                    with reg.lock:
                        versions = list(reg.subjects.get(p[1], []))
                    if not versions:
                        return self.reply(404, {"error_code": 40401,
                                                "message": f"Subject '{p[1]}' not found."})
                    s = reg.schemas[versions[-1]]
                    out = {"subject": p[1], "version": len(versions),
                           "id": versions[-1], "schema": s["schema"]}
                    if s["schemaType"] != "AVRO":
                        out["schemaType"] = s["schemaType"]
                    return self.reply(200, out)
            return self.reply(404, {"error_code": 404, "message": "HTTP 404 Not Found"})

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any

        def log_message(self, fmt, *args):
            if a.verbose:
                super().log_message(fmt, *args)

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True
        tls = None

        def handle_error(self, request, client_address):
            if a.verbose:  # e.g. a client that gave up during --delay-ms
                super().handle_error(request, client_address)

        def finish_request(self, request, client_address):
            if not self.tls:
                return super().finish_request(request, client_address)
            try:  # handshake in the connection's thread, not the accept loop
                request.settimeout(30)
                request = self.tls.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except OSError as e:
                if a.verbose:
                    print(f"TLS handshake with {client_address[0]} failed: {e}",
                          file=sys.stderr)
                return
            try:
                super().finish_request(request, client_address)
            finally:
                self.shutdown_request(request)

    server = Server((a.bind, a.port), Handler)
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        if a.tls_client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(a.tls_client_ca)
        server.tls = ctx
    port = server.server_address[1]
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.replace(a.port_file + ".tmp", a.port_file)
    if a.verbose:
        print(f"listening on {a.bind}:{port}", file=sys.stderr)

    stop = threading.Event()

    def toggle(*_):
        with lock:
            counters["outage"] = not counters["outage"]
        if a.verbose:
            print(f"outage {'on' if counters['outage'] else 'off'}", file=sys.stderr)

    signal.signal(signal.SIGUSR1, toggle)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    while not stop.wait(1):
        pass
    server.shutdown()
    server.server_close()
    if log:
        log.close()
    sys.exit(0)


if __name__ == "__main__":
    main()

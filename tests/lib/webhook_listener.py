"""A test HTTP listener for the alert webhook: records every POST as one
JSON line {"n": request number, "status": answered status, "body": ...} in
LOG, answering 500 to the first FAIL_FIRST requests and 200 afterwards.
usage: webhook_listener.py PORT LOG FAIL_FIRST"""
import http.server
import json
import sys
import threading

port, log, fail_first = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
lock = threading.Lock()
count = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            count += 1
            status = 500 if count <= fail_first else 200
            with open(log, "a") as f:
                f.write(json.dumps({"n": count, "status": status,
                                    "content_type": self.headers.get("Content-Type"),
                                    "body": json.loads(body)}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()

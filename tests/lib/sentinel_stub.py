"""A stand-in for a Redis Sentinel whose answer the test sets: on 127.0.0.1
PORT it answers SENTINEL get-master-addr-by-name NAME with the "HOST PORT"
FILE holds (nil while FILE is empty or missing, or for another name), PING
with PONG, and any other command with an error, over RESP. It writes PORT
to READY_FILE once it listens and runs until killed. With it a test moves
the primary the way a failover does without Sentinel's own steps (Sentinel
disconnects the clients of a primary it demotes; this does not), so a
client sees what a demoted primary answers: READONLY.
usage: sentinel_stub.py PORT NAME FILE READY_FILE"""
import socketserver
import sys

port, name, path, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


def bulk(s):
    b = s.encode()
    return b"$%d\r\n%s\r\n" % (len(b), b)


def answer(args):
    cmd = [a.decode(errors="replace").lower() for a in args[:2]]
    if cmd[:1] == ["ping"]:
        return b"+PONG\r\n"
    if cmd == ["sentinel", "get-master-addr-by-name"] and len(args) == 3:
        try:
            where = open(path).read().split()
        except OSError:
            where = []
        if args[2].decode(errors="replace") != name or len(where) != 2:
            return b"*-1\r\n"
        return b"*2\r\n" + bulk(where[0]) + bulk(where[1])
    return b"-ERR the stand-in sentinel answers only SENTINEL get-master-addr-by-name and PING\r\n"


class Client(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if not line.startswith(b"*"):
                self.wfile.write(b"-ERR expected a RESP array\r\n")
                return
            args = []
            for _ in range(int(line[1:])):
                size = int(self.rfile.readline()[1:])
                args.append(self.rfile.read(size + 2)[:-2])
            self.wfile.write(answer(args))
            self.wfile.flush()


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


with Server(("127.0.0.1", port), Client) as server:
    with open(ready, "w") as f:
        f.write(f"{port}\n")
    server.serve_forever()

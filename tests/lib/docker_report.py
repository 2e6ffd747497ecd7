"""What every part of check_docker.py shares: the list of problems found
(problem, note, finish), running a command, the paths the checks read and
write (Paths), and the container's PATH and metrics port.
"""
import os
import subprocess
import sys

CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
METRICS_PORT = 9464
problems = []


class Paths:
    """The tree checked (src) and the folder the check writes to (work)."""

    def __init__(self, src, work):
        self.src, self.work = src, work
        self.docker_dir = os.path.join(src, "deploy", "docker")
        self.dockerfile = os.path.join(self.docker_dir, "Dockerfile")
        self.compose = os.path.join(self.docker_dir, "compose.yaml")


def problem(msg):
    problems.append(msg)
    print(f"  problem: {msg}", file=sys.stderr)


def note(msg):
    print(f"  {msg}", file=sys.stderr)


def finish():
    if problems:
        print(f"check_docker: {len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        sys.exit(1)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)

"""Checks deploy/docker/ as far as a machine without a Docker engine allows.

The Dockerfile: parsed (continuations, comments, exec and shell forms); both
stages are this machine's Debian release, so every apt package they install
must have an install candidate here (apt-cache policy); the build stage
installs the -dev package behind every pkg-config module CMakeLists.txt asks
for. The build stages are then run outside Docker: the context is copied
honouring .dockerignore, WORKDIR and COPY are mapped into a folder per stage
and every RUN step that is not an apt/dpkg step runs there with the stage's
ARG and ENV. The final stage's COPY steps fill its own folder; its binaries
must print the project's version, and every shared library they load
(ldd; dpkg -S) must come from the runtime packages or the base image, each
library they link directly from a package the stage names. ENTRYPOINT and
CMD are exec form (SIGTERM reaches the consumer), the user is not root, the
metrics port is exposed and the health check asks for /healthz on it.

compose.yaml: known keys only; every depends_on names a service with a
health check (service_healthy) or a one-shot (service_completed_successfully);
services in a profile are needed by none outside it; builds point at this
Dockerfile; volumes are declared; Kafka is a KRaft broker+controller whose
advertised listener is what the programs are given; kafka-init creates the
topics of docs/SPEC.md and the sample config, idempotently; Redis keeps an
append-only file on a volume; the consumer's flags are ones its --help lists
and the consumer accepts its command as a whole; the demo producer's input
is in the image and valid.

Writes to WORK: image.args (the image's ENTRYPOINT+CMD, paths mapped into the
runtime stage's folder, one per line), image.env (its ENV, mapped),
compose.args (the compose consumer's entrypoint+command, the same way) and
compose.grace (its stop_grace_period in seconds).

The checks live in docker_image.py (the Dockerfile as a whole, with
docker_build.py parsing it and running its stages and docker_packages.py
asking apt and dpkg) and docker_compose.py; docker_report.py keeps the
problems found.
usage: check_docker.py SRC WORK"""
import os
import sys

from docker_compose import check_compose
from docker_image import check_dockerfile
from docker_report import Paths, finish

SRC, WORK = sys.argv[1], sys.argv[2]


def main():
    paths = Paths(SRC, WORK)
    os.makedirs(paths.work, exist_ok=True)
    image = check_dockerfile(paths)
    finish()
    check_compose(paths, image)
    finish()


main()

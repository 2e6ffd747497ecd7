"""apt and shared libraries, asked of this machine's Debian (check_docker.py):
install candidates (apt-cache policy), what a package pulls in, what a
debian:N-slim base image holds, which package owns a library (dpkg -S), and
check_libraries: every library the image's binaries load comes from the
runtime stage's packages or the base image, each one they link directly from
a package the stage names.
"""
import os
import re

from docker_report import note, problem, run


def apt_candidates(pkgs):
    out = run(["apt-cache", "policy"] + sorted(set(pkgs))).stdout
    cand, cur = {}, None
    for line in out.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            cur = line[:-1]
        elif cur and line.strip().startswith("Candidate:"):
            cand[cur] = line.split(":", 1)[1].strip()
    return cand


def closure(pkgs):
    """The packages apt installs with pkgs (Depends and Pre-Depends, recursively)."""
    out = run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
               "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"] + sorted(pkgs)).stdout
    return {l.strip() for l in out.splitlines() if l and not l.startswith(" ")} | set(pkgs)


def base_image_packages():
    """What a debian:N-slim image holds: the Essential and Priority: required
    packages of the release, and what they depend on."""
    out = run(["dpkg-query", "-W", "-f=${Package} ${Priority} ${Essential}\n"]).stdout
    return closure([l.split()[0] for l in out.splitlines()
                    if l.split()[1:2] == ["required"] or l.split()[2:3] == ["yes"]])


def owning_packages(paths):
    """dpkg -S for each library path (trying the /usr-merged spelling too),
    in one call."""
    cands = {}
    for p in paths:
        c = [p, os.path.realpath(p)]
        c += ["/usr" + x for x in c if x.startswith("/lib")]
        c += [x[4:] for x in c if x.startswith("/usr/lib")]
        cands[p] = c
    found = {}
    out = run(["dpkg", "-S"] + sorted({x for c in cands.values() for x in c})).stdout
    for line in out.splitlines():
        pkgs, _, path = line.rpartition(": ")
        found[path] = {x.strip().split(":")[0] for x in pkgs.split(",")}
    return {p: next(found[x] for x in c if x in found) for p, c in cands.items()
            if any(x in found for x in c)}


def check_libraries(binaries, runtime_pkgs):
    base = base_image_packages()
    available = closure(set(runtime_pkgs) | base)
    needed, direct = set(), {}
    for b in binaries:
        r = run(["ldd", b])
        for line in r.stdout.splitlines():
            if "not found" in line:
                problem(f"{os.path.basename(b)}: {line.strip()}")
            m = re.search(r"=>\s*(/\S+)", line) or re.match(r"\s*(/\S+)", line)
            if m:
                needed.add(m.group(1))
        dyn = run(["readelf", "-d", b]).stdout
        direct[b] = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn)
    owner = owning_packages(sorted(needed))
    by_soname = {os.path.basename(p): pk for p, pk in owner.items()}
    for p in sorted(needed):
        if p not in owner:
            problem(f"dpkg -S finds no package for {p} (loaded by the binaries)")
        elif not owner[p] & available:
            problem(f"{p} ({', '.join(sorted(owner[p]))}) is not installed in the runtime stage")
    for b, sonames in direct.items():
        for so in sonames:
            pk = by_soname.get(so, set())
            if pk and not pk & (set(runtime_pkgs) | base):
                problem(f"{os.path.basename(b)} links {so} from {', '.join(sorted(pk))}, "
                        "which the runtime stage does not install by name")
    note(f"ldd: {len(needed)} libraries from {len(set().union(*owner.values()))} packages, "
         f"all in the runtime stage ({len(runtime_pkgs)} packages named, {len(available)} with dependencies)")

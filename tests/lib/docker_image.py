"""The Dockerfile as a whole (check_docker.py): both stages are this
machine's Debian release and every apt package they install has a candidate
here; the build stage installs what CMakeLists.txt's pkg-config modules, a
compiler, cmake and pkg-config need; the build runs (docker_build.py) and the
final stage's binaries print the project's version and load only libraries
the runtime stage provides; it runs as a user made for it, stops on SIGTERM,
exposes the metrics port, asks /healthz in its health check and starts the
consumer in exec form with flags its --help lists. Writes image.args and
image.env to WORK.
"""
import glob
import json
import os
import re
import shutil
import sys

from docker_build import apt_packages, copy_context, in_root, is_apt_step, map_path, parse_dockerfile, simulate
from docker_packages import apt_candidates, check_libraries, owning_packages
from docker_report import CONTAINER_PATH, METRICS_PORT, finish, note, problem, run


def os_release():
    vals = {}
    for line in open("/etc/os-release"):
        k, _, v = line.strip().partition("=")
        vals[k] = v.strip('"')
    return vals


def help_flags(binary):
    out = run([binary, "--help"]).stdout
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[A-Za-z])(?![\w-])", out))


def check_dockerfile(paths):
    print("--- Dockerfile", file=sys.stderr)
    global_args, stages = parse_dockerfile(paths.dockerfile)
    if len(stages) < 2:
        problem(f"want a build stage and a runtime stage, got {len(stages)} FROM")
        finish()
    rel = os_release()
    final = stages[-1]
    for st in stages:
        img, _, tag = st.base.partition(":")
        if img != rel.get("ID") or not tag.startswith(rel.get("VERSION_ID", "?")):
            problem(f"FROM {st.base}: the packages are checked against this machine's "
                    f"{rel.get('PRETTY_NAME')}; use {rel.get('ID')}:{rel.get('VERSION_ID')}[-slim]")
    if not final.base.endswith("-slim"):
        problem(f"the runtime stage is FROM {final.base}, not a -slim image")

    # apt packages
    pkgs = {st.index: [p for i in st.instrs if i.cmd == "RUN" and is_apt_step(i.body)
                       for p in apt_packages(i.body)] for st in stages}
    cand = apt_candidates([p for v in pkgs.values() for p in v])
    for st in stages:
        for p in pkgs[st.index]:
            if cand.get(p, "(none)") == "(none)":
                problem(f"stage {st.name or 'final'}: apt package {p} has no install candidate in "
                        f"{rel.get('PRETTY_NAME')} (apt-cache policy {p})")
        for i in st.instrs:
            if i.cmd == "RUN" and "apt-get install" in i.body:
                if "--no-install-recommends" not in i.body:
                    problem(f"{i}: add --no-install-recommends")
                if "-y" not in i.body.split():
                    problem(f"{i}: apt-get install needs -y in a build")
                if "apt-get update" not in i.body:
                    problem(f"{i}: run apt-get update in the same RUN (the image has no lists)")
        note(f"stage {st.name or 'final'}: {len(pkgs[st.index])} apt packages, all with a candidate")
    build_pkgs = {p for st in stages[:-1] for p in pkgs[st.index]}
    runtime_pkgs = pkgs[final.index]
    cml = open(os.path.join(paths.src, "CMakeLists.txt")).read()
    modules = [m for block in re.findall(r"pkg_check_modules\(\s*\w+([^)]*)\)", cml)
               for m in block.split() if m not in ("REQUIRED", "IMPORTED_TARGET", "QUIET", "GLOBAL")]
    for mod in modules:
        pc = run(["pkg-config", "--path", mod]).stdout.strip()
        owner = owning_packages([pc]).get(pc) if pc else None
        if not owner:
            problem(f"cannot tell which package provides pkg-config module {mod} here")
        elif not owner & build_pkgs:
            problem(f"CMakeLists.txt needs pkg-config module {mod} ({', '.join(sorted(owner))}), "
                    "which the build stage does not install")
    for tool, alts in (("a C compiler", {"build-essential", "gcc"}), ("cmake", {"cmake"}),
                       ("pkg-config", {"pkg-config", "pkgconf"})):
        if not alts & build_pkgs:
            problem(f"the build stage installs no {tool}")
    note(f"the build stage provides every pkg-config module of CMakeLists.txt: {' '.join(modules)}")

    # run the build, fill the runtime stage
    shutil.rmtree(paths.work + "/context", ignore_errors=True)
    n = copy_context(paths.src, paths.work + "/context")
    note(f"build context: {n} files after .dockerignore")
    roots, state = simulate(stages, global_args, paths.work + "/context", paths.work)
    if state is None:
        finish()
    root = state["root"]

    # the image's programs
    bins = sorted(glob.glob(in_root(root, "/usr/local/bin/*")))
    version = re.search(r"project\(\s*hirewire\s+VERSION\s+(\S+)", cml).group(1)
    for b in bins:
        r = run([b, "--version"])
        if r.returncode != 0 or version not in r.stdout:
            problem(f"{os.path.basename(b)} --version: exit {r.returncode}, {r.stdout.strip()!r} "
                    f"(want version {version})")
        else:
            note(f"{os.path.basename(b)} --version: {r.stdout.strip()}")
    for want in ("hirewire-consumer", "hirewire-produce"):
        if not os.path.exists(in_root(root, "/usr/local/bin/" + want)):
            problem(f"the image has no /usr/local/bin/{want}")
    check_libraries(bins, runtime_pkgs)

    # user, port, health check, entrypoint
    user = (state["user"] or "root").split(":")[0]
    if user in ("root", "0"):
        problem("the runtime stage runs as root: add a USER")
    else:
        made = " ".join(state.get("runs", []))
        if not re.search(rf"(useradd|adduser)\b.*(--uid[ =]{user}\b|\b{user}\s*(&&|;|$))", made):
            problem(f"USER {state['user']}: no RUN useradd/adduser creates it")
    if state["stopsignal"] not in (None, "SIGTERM", "TERM", "15"):
        problem(f"STOPSIGNAL {state['stopsignal']}: the consumer shuts down cleanly on SIGTERM")
    if f"{METRICS_PORT}" not in [e.split("/")[0] for e in state["expose"]]:
        problem(f"the runtime stage does not EXPOSE {METRICS_PORT}")
    hc = state["healthcheck"]
    if hc is not None and hc.body.upper() != "NONE":
        test = hc.body[3:].strip() if hc.body.upper().startswith("CMD") else hc.body
        check_health_test(test, "Dockerfile HEALTHCHECK", runtime_pkgs)
    ep, cmd = state["entrypoint"], state["cmd"] or []
    if not ep:
        problem("the runtime stage has no ENTRYPOINT")
        finish()
    exe = ep[0]
    found = [in_root(root, exe)] if exe.startswith("/") else \
        [in_root(root, d + "/" + exe) for d in CONTAINER_PATH.split(":")]
    found = [f for f in found if os.access(f, os.X_OK)]
    if not found:
        problem(f"ENTRYPOINT {exe} is not an executable the image holds")
        finish()
    argv = [found[0]] + [map_path(a, root) for a in ep[1:] + cmd]
    if "--metrics-addr" not in cmd or cmd[cmd.index("--metrics-addr") + 1] != f"0.0.0.0:{METRICS_PORT}":
        problem(f"CMD does not listen on 0.0.0.0:{METRICS_PORT} (--metrics-addr)")
    for a in cmd:
        if a.startswith("/") and not os.path.exists(in_root(root, a)):
            problem(f"CMD names {a}, which the image does not hold")
    unknown = {a.split("=")[0] for a in cmd if a.startswith("-")} - help_flags(found[0])
    if unknown:
        problem(f"CMD flags not in {exe} --help: {' '.join(sorted(unknown))}")
    env = {k: map_path(v, root) for k, v in state["env"].items()}
    with open(os.path.join(paths.work, "image.args"), "w") as f:
        f.write("\n".join(argv) + "\n")
    with open(os.path.join(paths.work, "image.env"), "w") as f:
        f.write("".join(f"{k}={v}\n" for k, v in env.items()))
    return {"root": root, "entrypoint": ep, "runtime_pkgs": runtime_pkgs, "exe": found[0]}


def check_health_test(test, what, runtime_pkgs):
    """A health check that asks the consumer's /healthz on the metrics port
    with a tool the image has."""
    words = test if isinstance(test, list) else None
    if words is None:
        try:
            words = json.loads(test)
        except ValueError:
            words = ["CMD-SHELL", test]
    if words and words[0] in ("CMD", "CMD-SHELL"):
        words = words[1:]
    text = " ".join(words)
    tool = words[0].split()[0] if words else ""
    if not re.search(rf"https?://(127\.0\.0\.1|localhost):{METRICS_PORT}/healthz\b", text):
        problem(f"{what} does not ask for /healthz on port {METRICS_PORT}: {text}")
    if tool in ("curl", "wget") and tool not in runtime_pkgs:
        problem(f"{what} runs {tool}, which the runtime stage does not install")
    if tool == "curl" and "-f" not in " ".join(words) and "--fail" not in words:
        problem(f"{what}: curl without -f/--fail passes on a 503")

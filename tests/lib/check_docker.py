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
usage: check_docker.py SRC WORK"""
import base64
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import yaml

SRC, WORK = sys.argv[1], sys.argv[2]
DOCKER_DIR = os.path.join(SRC, "deploy", "docker")
DOCKERFILE = os.path.join(DOCKER_DIR, "Dockerfile")
COMPOSE = os.path.join(DOCKER_DIR, "compose.yaml")
CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
METRICS_PORT = 9464
problems = []


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


# --- Dockerfile ----------------------------------------------------------------

def substitute(s, env):
    """Dockerfile variable substitution: $V, ${V}, ${V:-word}, ${V:+word}."""
    def repl(m):
        name = m.group(1) or m.group(2)
        op, word = m.group(3), m.group(4)
        val = env.get(name)
        if op == ":-":
            return val if val else substitute(word, env)
        if op == ":+":
            return substitute(word, env) if val else ""
        return val or ""
    return re.sub(r"\$(?:([A-Za-z_]\w*)|\{([A-Za-z_]\w*)(?:(:[-+])([^}]*))?\})", repl, s)


class Instr:
    def __init__(self, line, cmd, rest):
        self.line, self.cmd, self.rest = line, cmd, rest
        self.flags = {}
        self.exec_form = None
        body = rest
        if cmd in ("COPY", "ADD", "RUN", "HEALTHCHECK"):
            while True:
                m = re.match(r"\s*--([a-z-]+)(?:=(\S*))?\s+", body)
                if not m:
                    break
                self.flags[m.group(1)] = m.group(2) if m.group(2) is not None else True
                body = body[m.end():]
        self.body = body.strip()
        if cmd in ("RUN", "CMD", "ENTRYPOINT", "COPY", "ADD") and self.body.startswith("["):
            try:
                form = json.loads(self.body)
                if isinstance(form, list) and all(isinstance(x, str) for x in form):
                    self.exec_form = form
            except ValueError:
                pass

    def __repr__(self):
        return f"line {self.line}: {self.cmd} {self.rest}"


class Stage:
    def __init__(self, index, base, name, line):
        self.index, self.base, self.name, self.line = index, base, name, line
        self.instrs = []


def parse_dockerfile(path):
    """Returns (global ARGs, stages). Continuation lines are joined the way
    Docker does (backslash-newline removed; comment and blank lines inside
    a continued instruction dropped)."""
    if not os.path.exists(path):
        sys.exit(f"check_docker: no {path}")
    instrs, buf, start = [], None, 0
    for no, line in enumerate(open(path, encoding="utf-8").read().split("\n"), 1):
        stripped = line.strip()
        if buf is None:
            if not stripped or stripped.startswith("#"):
                continue
            buf, start = "", no
        elif not stripped or stripped.startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1]
            continue
        buf += line
        m = re.match(r"\s*([A-Za-z]+)\s*(.*)$", buf, re.S)
        if not m:
            problem(f"Dockerfile line {start}: cannot parse {buf.strip()!r}")
        else:
            instrs.append(Instr(start, m.group(1).upper(), m.group(2).strip()))
        buf = None
    if buf is not None:
        problem(f"Dockerfile line {start}: the file ends inside a continued instruction")
    global_args, stages = {}, []
    for ins in instrs:
        if "<<" in ins.body and ins.cmd in ("RUN", "COPY"):
            problem(f"{ins}: heredocs are not supported by this check; use plain RUN lines")
        if ins.cmd == "FROM":
            words = substitute(ins.body, global_args).split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(len(stages), words[0], name, ins.line))
        elif not stages:
            if ins.cmd == "ARG":
                k, _, v = ins.body.partition("=")
                global_args[k.strip()] = v.strip()
            else:
                problem(f"{ins}: only ARG may come before the first FROM")
        else:
            stages[-1].instrs.append(ins)
    return global_args, stages


def kv_pairs(body):
    """ENV/ARG/LABEL bodies: k=v pairs (shell-quoted), or the legacy 'k v'."""
    words = shlex.split(body)
    if words and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    return [tuple(w.split("=", 1)) if "=" in w else (w, None) for w in words]


def is_apt_step(cmd):
    return re.search(r"(^|[\s;&|(])(apt-get|apt|dpkg|aptitude)\s", cmd) is not None


def apt_packages(cmd):
    """Packages named by every `apt-get install` of a RUN command."""
    lex = shlex.shlex(cmd, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    toks, pkgs = list(lex), []
    for i, t in enumerate(toks):
        if t in ("apt-get", "apt", "aptitude"):
            j = i + 1
            while j < len(toks) and toks[j].startswith("-"):
                j += 1
            if j < len(toks) and toks[j] == "install":
                for w in toks[j + 1:]:
                    if w in ("&&", "||", ";", "|", "&", ")", "(", ";;"):
                        break
                    if not w.startswith("-"):
                        pkgs.append(w.split("=")[0])
    return pkgs


# --- .dockerignore -------------------------------------------------------------

def ignore_rules(context):
    rules = []
    path = os.path.join(context, ".dockerignore")
    if not os.path.exists(path):
        return rules
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        neg = line.startswith("!")
        pat = os.path.normpath(line[1:] if neg else line).lstrip("/")
        rx, i = "", 0
        while i < len(pat):
            if pat.startswith("**/", i):
                rx, i = rx + "(?:.*/)?", i + 3
            elif pat.startswith("**", i):
                rx, i = rx + ".*", i + 2
            elif pat[i] == "*":
                rx, i = rx + "[^/]*", i + 1
            elif pat[i] == "?":
                rx, i = rx + "[^/]", i + 1
            elif pat[i] == "[":
                j = pat.find("]", i)
                rx, i = (rx + pat[i:j + 1], j + 1) if j > 0 else (rx + r"\[", i + 1)
            else:
                rx, i = rx + re.escape(pat[i]), i + 1
        rules.append((neg, re.compile(rx + r"\Z")))
    return rules


def ignored(rel, rules):
    """Docker's rule: the last pattern matching the path or one of its
    parent folders decides."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[:k]) for k in range(1, len(parts) + 1)]
    out = False
    for neg, rx in rules:
        if any(rx.match(p) for p in prefixes):
            out = not neg
    return out


def copy_context(context, dest):
    rules = ignore_rules(context)
    has_negation = any(neg for neg, _ in rules)
    n = 0
    for root, dirs, files in os.walk(context):
        rel_root = os.path.relpath(root, context)
        rel_root = "" if rel_root == "." else rel_root + "/"
        keep = []
        for d in dirs:
            rel = rel_root + d
            if os.path.islink(os.path.join(root, d)):
                files.append(d)
            elif not (ignored(rel, rules) and not has_negation):
                keep.append(d)
        dirs[:] = keep
        for f in files:
            rel = rel_root + f
            if ignored(rel, rules):
                continue
            target = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(os.path.join(root, f), target, follow_symlinks=False)
            n += 1
    return n


# --- simulating the stages -----------------------------------------------------

def in_root(root, path):
    return os.path.join(root, path.lstrip("/"))


def copy_into(srcs, dest, root, workdir, from_root=None, context=None):
    """COPY SRC... DEST into the folder that stands for the stage's /."""
    dest_abs = dest if dest.startswith("/") else os.path.join(workdir, dest)
    dest_is_dir = dest.endswith("/") or dest in (".", "./") or len(srcs) > 1
    ok = True
    for s in srcs:
        if from_root is not None:
            matches = [in_root(from_root, s)]
        else:
            matches = sorted(glob.glob(os.path.join(context, s)))
        matches = [m for m in matches if os.path.lexists(m)]
        if not matches:
            problem(f"COPY source {s} does not exist"
                    + (" in the build stage's result" if from_root else " in the build context (after .dockerignore)"))
            ok = False
            continue
        if len(matches) > 1:
            dest_is_dir = True
        for m in matches:
            if os.path.isdir(m):
                shutil.copytree(m, in_root(root, dest_abs), symlinks=True, dirs_exist_ok=True)
            else:
                target = in_root(root, dest_abs)
                if dest_is_dir or os.path.isdir(target):
                    target = os.path.join(target, os.path.basename(m))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(m, target)
    return ok


def map_path(value, root):
    """An absolute container path (or the value of key=/path) that exists in
    the stage's folder becomes the folder's path."""
    if value.startswith("/") and os.path.lexists(in_root(root, value)):
        return in_root(root, value)
    k, eq, v = value.partition("=")
    if eq and v.startswith("/") and os.path.lexists(in_root(root, v)):
        return f"{k}={in_root(root, v)}"
    return value


def simulate(stages, global_args, context):
    """Runs the stages outside Docker; returns (roots by stage, final stage state)."""
    roots, by_name = {}, {}
    final = stages[-1]
    for st in stages:
        root = os.path.join(WORK, f"stage{st.index}-{st.name or 'final'}")
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(root)
        roots[st.index] = root
        if st.name:
            by_name[st.name] = st.index
        env, args = {}, dict(global_args)
        workdir, user, state = "/", None, {"expose": [], "healthcheck": None, "entrypoint": None,
                                           "cmd": None, "stopsignal": None}
        build_stage = st is not final
        note(f"stage {st.index} ({st.name or 'final'}): FROM {st.base}")
        for ins in st.instrs:
            vars_ = {**args, **env}
            if ins.cmd == "ARG":
                for k, v in kv_pairs(ins.body):
                    args[k] = substitute(v, vars_) if v is not None else args.get(k, "")
            elif ins.cmd == "ENV":
                for k, v in kv_pairs(ins.body):
                    env[k] = substitute(v or "", vars_)
            elif ins.cmd == "WORKDIR":
                w = substitute(ins.body, vars_)
                workdir = os.path.normpath(w if w.startswith("/") else os.path.join(workdir, w))
                os.makedirs(in_root(root, workdir), exist_ok=True)
            elif ins.cmd in ("COPY", "ADD"):
                if ins.cmd == "ADD":
                    problem(f"{ins}: use COPY (ADD fetches URLs and unpacks archives)")
                words = ins.exec_form or substitute(ins.body, vars_).split()
                srcs, dest = words[:-1], words[-1]
                frm = ins.flags.get("from")
                if frm is not None:
                    if frm not in by_name and not (frm.isdigit() and int(frm) < st.index):
                        problem(f"{ins}: --from={frm} is not an earlier stage")
                        continue
                    src_root = roots[by_name[frm] if frm in by_name else int(frm)]
                    copy_into(srcs, dest, root, workdir, from_root=src_root)
                else:
                    copy_into(srcs, dest, root, workdir, context=context)
            elif ins.cmd == "RUN":
                cmd = " ".join(shlex.quote(a) for a in ins.exec_form) if ins.exec_form else ins.body
                if is_apt_step(cmd):
                    note(f"RUN (apt, packages checked, not run): {cmd[:70]}...")
                elif not build_stage:
                    note(f"RUN (runtime stage, not run here): {cmd[:70]}")
                    state.setdefault("runs", []).append(cmd)
                else:
                    note(f"RUN in {workdir}: {cmd}")
                    run_env = dict(os.environ)
                    run_env.update({k: v for k, v in args.items() if v is not None})
                    run_env.update(env)
                    r = subprocess.run(["/bin/sh", "-c", cmd], cwd=in_root(root, workdir), env=run_env,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                    if r.returncode != 0:
                        problem(f"{ins}: exit {r.returncode}:\n{r.stdout[-3000:]}")
                        return roots, None
            elif ins.cmd == "USER":
                user = substitute(ins.body, vars_)
            elif ins.cmd == "EXPOSE":
                state["expose"] += substitute(ins.body, vars_).split()
            elif ins.cmd == "HEALTHCHECK":
                state["healthcheck"] = ins
            elif ins.cmd in ("ENTRYPOINT", "CMD"):
                if ins.exec_form is None:
                    problem(f"{ins}: use the exec (JSON) form, so that SIGTERM reaches the consumer, not a shell")
                state[ins.cmd.lower()] = ins.exec_form or shlex.split(ins.body)
            elif ins.cmd == "STOPSIGNAL":
                state["stopsignal"] = ins.body
            elif ins.cmd not in ("LABEL", "SHELL", "VOLUME", "ONBUILD"):
                problem(f"{ins}: instruction not handled by this check")
        state.update(env=env, user=user, workdir=workdir, root=root)
    return roots, state


# --- apt and libraries ---------------------------------------------------------

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


# --- the Dockerfile as a whole -------------------------------------------------

def os_release():
    vals = {}
    for line in open("/etc/os-release"):
        k, _, v = line.strip().partition("=")
        vals[k] = v.strip('"')
    return vals


def help_flags(binary):
    out = run([binary, "--help"]).stdout
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[A-Za-z])(?![\w-])", out))


def check_dockerfile():
    print("--- Dockerfile", file=sys.stderr)
    global_args, stages = parse_dockerfile(DOCKERFILE)
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
    cml = open(os.path.join(SRC, "CMakeLists.txt")).read()
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
    shutil.rmtree(WORK + "/context", ignore_errors=True)
    n = copy_context(SRC, WORK + "/context")
    note(f"build context: {n} files after .dockerignore")
    roots, state = simulate(stages, global_args, WORK + "/context")
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
    with open(os.path.join(WORK, "image.args"), "w") as f:
        f.write("\n".join(argv) + "\n")
    with open(os.path.join(WORK, "image.env"), "w") as f:
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


# --- compose.yaml --------------------------------------------------------------

SERVICE_KEYS = set("""annotations attach blkio_config build cap_add cap_drop cgroup cgroup_parent command
configs container_name cpu_count cpu_percent cpu_period cpu_quota cpu_rt_period cpu_rt_runtime cpu_shares
cpus cpuset credential_spec depends_on deploy develop device_cgroup_rules devices dns dns_opt dns_search
domainname entrypoint env_file environment expose extends external_links extra_hosts gpus group_add
healthcheck hostname image init ipc isolation labels label_file links logging mac_address mem_limit
mem_reservation mem_swappiness memswap_limit network_mode networks oom_kill_disable oom_score_adj pid
pids_limit platform ports post_start pre_stop privileged profiles pull_policy read_only restart runtime
scale secrets security_opt shm_size stdin_open stop_grace_period stop_signal storage_opt sysctls tmpfs tty
ulimits use_api_socket user userns_mode uts volumes volumes_from working_dir""".split())
TOP_KEYS = {"name", "services", "networks", "volumes", "configs", "secrets", "include", "version"}
HEALTH_KEYS = {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"}


def interpolate(s, env):
    """Compose interpolation with the variables in env (the defaults when empty)."""
    def repl(m):
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(2)
        op, word = m.group(3), m.group(4) or ""
        val = env.get(name)
        if op in (":-", "-"):
            return val if (val if op == ":-" else val is not None) else word
        if op in (":?", "?") and not val:
            problem(f"compose needs ${name}: {word}")
        return val or ""
    return re.sub(r"\$\$|\$(?:([A-Za-z_]\w*)|\{([A-Za-z_]\w*)(?:(:?[-?+])([^}]*))?\})", repl, s)


def seconds(d):
    if isinstance(d, (int, float)):
        return float(d)
    total, ok = 0.0, False
    for n, unit in re.findall(r"(\d+(?:\.\d+)?)(us|ms|h|m|s)", str(d)):
        total += float(n) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}[unit]
        ok = True
    return total if ok else None


def env_dict(svc):
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, None) for e in env)
    return {k: None if v is None else str(v) for k, v in env.items()}


def words_of(v):
    if v is None:
        return []
    return list(map(str, v)) if isinstance(v, list) else shlex.split(v)


def host_port(url):
    m = re.match(r"(?:[a-z]+://)?(?:[^@/]*@)?([^:/]+):(\d+)", url)
    return (m.group(1), int(m.group(2))) if m else (None, None)


def spec_topics():
    text = open(os.path.join(SRC, "docs", "SPEC.md"), encoding="utf-8").read()
    sec = re.search(r"^## 3\..*?(?=^## )", text, re.S | re.M)
    table = re.search(r"^\| topic.*?(?=^\s*$)", sec.group(0), re.S | re.M) if sec else None
    if not table:
        sys.exit("check_docker: no topic table in docs/SPEC.md section 3")
    return set(re.findall(r"^\|\s*`([^`]+)`", table.group(0), re.M))


def check_compose(image):
    print("--- compose.yaml", file=sys.stderr)
    doc = yaml.safe_load(open(COMPOSE, encoding="utf-8"))
    for k in doc:
        if k not in TOP_KEYS and not k.startswith("x-"):
            problem(f"compose.yaml: unknown top-level key {k}")
    services = doc.get("services") or {}
    volumes = set((doc.get("volumes") or {}).keys())
    profiled = {n for n, s in services.items() if s.get("profiles")}
    for name, svc in services.items():
        for k in svc:
            if k not in SERVICE_KEYS and not k.startswith("x-"):
                problem(f"service {name}: unknown key {k}")
        if "image" not in svc and "build" not in svc:
            problem(f"service {name}: neither image nor build")
        hc = svc.get("healthcheck") or {}
        for k in hc:
            if k not in HEALTH_KEYS:
                problem(f"service {name}: unknown healthcheck key {k}")
        deps = svc.get("depends_on") or {}
        if isinstance(deps, list):
            deps = {d: {"condition": "service_started"} for d in deps}
        for dep, cond in deps.items():
            c = (cond or {}).get("condition", "service_started")
            if dep not in services:
                problem(f"service {name} depends on {dep}, which is not a service")
                continue
            target = services[dep]
            if c == "service_healthy" and (not target.get("healthcheck") or target["healthcheck"].get("disable")):
                problem(f"service {name} waits for {dep} to be healthy, but {dep} has no health check")
            if c == "service_completed_successfully" and target.get("restart", "no") not in ("no", "on-failure"):
                problem(f"service {name} waits for {dep} to complete, but {dep} restarts ({target['restart']})")
            if c not in ("service_started", "service_healthy", "service_completed_successfully"):
                problem(f"service {name}: unknown depends_on condition {c}")
            if dep in profiled and not set(target["profiles"]) >= set(svc.get("profiles") or ["(none)"]):
                problem(f"service {name} depends on {dep}, which only runs with profile(s) {target['profiles']}")
        for v in svc.get("volumes") or []:
            srcv = v.split(":")[0] if isinstance(v, str) else v.get("source", "")
            if srcv and not srcv.startswith((".", "/", "~")) and srcv not in volumes:
                problem(f"service {name} mounts volume {srcv}, which is not declared under volumes:")
        b = svc.get("build")
        if b is not None:
            ctx = b if isinstance(b, str) else b.get("context", ".")
            ctx_abs = os.path.normpath(os.path.join(DOCKER_DIR, ctx))
            df = os.path.join(ctx_abs, "Dockerfile" if isinstance(b, str) else b.get("dockerfile", "Dockerfile"))
            if not os.path.isdir(ctx_abs):
                problem(f"service {name}: build context {ctx} does not exist")
            elif os.path.realpath(ctx_abs) != os.path.realpath(SRC):
                problem(f"service {name}: build context {ctx} is not the top of the tree (COPY paths assume it)")
            if not os.path.isfile(df):
                problem(f"service {name}: dockerfile {df} does not exist")
            elif os.path.realpath(df) != os.path.realpath(DOCKERFILE):
                problem(f"service {name} builds from {df}, not the Dockerfile checked here")
    for want in ("kafka", "kafka-init", "redis", "schema-registry", "consumer", "producer"):
        if want not in services:
            problem(f"compose.yaml has no service {want}")
    if problems:
        finish()

    # Kafka: one KRaft node, broker and controller
    kafka = services["kafka"]
    ke = env_dict(kafka)
    roles = set((ke.get("KAFKA_PROCESS_ROLES") or "").split(","))
    if roles != {"broker", "controller"}:
        problem(f"kafka: KAFKA_PROCESS_ROLES={ke.get('KAFKA_PROCESS_ROLES')}, want broker,controller (KRaft)")
    node = ke.get("KAFKA_NODE_ID")
    listeners = dict(re.findall(r"([A-Z_]+)://([^,]*)", ke.get("KAFKA_LISTENERS") or ""))
    ctl_names = (ke.get("KAFKA_CONTROLLER_LISTENER_NAMES") or "").split(",")
    ctl_port = (listeners.get(ctl_names[0]) or ":").rsplit(":", 1)[1]
    voters = (ke.get("KAFKA_CONTROLLER_QUORUM_VOTERS") or "").split(",")
    if f"{node}@kafka:{ctl_port}" not in voters:
        problem(f"kafka: controller quorum voters {voters} do not hold node {node} at kafka:{ctl_port}")
    pmap = dict(p.split(":") for p in (ke.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP") or "").split(",") if ":" in p)
    for ln in listeners:
        if ln not in pmap and ln not in ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"):
            problem(f"kafka: listener {ln} has no security protocol")
    advertised = dict(re.findall(r"([A-Z_]+)://([^,]*)", ke.get("KAFKA_ADVERTISED_LISTENERS") or ""))
    if set(advertised) & set(ctl_names):
        problem("kafka: the controller listener is advertised to clients")
    client = [hp for ln, hp in advertised.items()]
    if len(client) != 1 or host_port(client[0])[0] != "kafka":
        problem(f"kafka: advertised listeners {advertised}, want one on kafka:PORT")
    bootstrap = client[0] if client else None
    for k in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
              "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"):
        if ke.get(k) != "1":
            problem(f"kafka: {k}={ke.get(k)}: a single node needs 1")
    try:
        if len(base64.urlsafe_b64decode(ke.get("CLUSTER_ID", "") + "==")) != 16:
            raise ValueError
    except ValueError:
        problem(f"kafka: CLUSTER_ID {ke.get('CLUSTER_ID')!r} is not a base64 UUID (kafka-storage.sh random-uuid)")
    logdir = ke.get("KAFKA_LOG_DIRS", "/tmp/kraft-combined-logs")
    if not any(isinstance(v, str) and v.split(":")[1:2] == [logdir] for v in kafka.get("volumes") or []):
        problem(f"kafka: its data ({logdir}) is not on a volume")
    ktest = " ".join(words_of((kafka.get("healthcheck") or {}).get("test")))
    if "kafka-topics.sh" not in ktest or "--list" not in ktest:
        problem("kafka: the health check does not list topics with kafka-topics.sh")

    # kafka-init: the topics of the spec and the sample config, idempotently
    init = services["kafka-init"]
    script = " ".join(words_of(init.get("entrypoint")) + words_of(init.get("command")))
    creates = [l for l in script.splitlines() if "--create" in l]
    made = {}
    for l in creates:
        t = re.search(r"--topic[ =](\S+)", l)
        p = re.search(r"--partitions[ =](\d+)", l)
        rf = re.search(r"--replication-factor[ =](\d+)", l)
        if not t:
            problem(f"kafka-init: a --create without --topic: {l.strip()}")
            continue
        made[t.group(1)] = int(p.group(1)) if p else None
        if "--if-not-exists" not in l:
            problem(f"kafka-init: creating {t.group(1)} fails on the second `up` without --if-not-exists")
        if rf and int(rf.group(1)) > 1:
            problem(f"kafka-init: {t.group(1)} replication factor {rf.group(1)} on a single node")
        if f"--bootstrap-server {bootstrap}" not in l:
            problem(f"kafka-init: {t.group(1)} is not created on {bootstrap}")
    want = spec_topics()
    conf = dict(re.findall(r"^(topic\.\w+)\s*=\s*(\S+)", open(os.path.join(SRC, "deploy", "config", "hirewire.conf")).read(), re.M))
    if set(made) != want:
        problem(f"kafka-init creates {sorted(made)}, docs/SPEC.md names {sorted(want)}")
    if set(conf.values()) != want:
        problem(f"deploy/config/hirewire.conf topics {sorted(conf.values())} differ from docs/SPEC.md {sorted(want)}")
    note(f"kafka-init creates {', '.join(f'{t} ({p} partitions)' for t, p in sorted(made.items()))}")
    if init.get("restart", "no") != "no":
        problem("kafka-init restarts; it is a one-shot")

    # Redis
    redis = services["redis"]
    rcmd = words_of(redis.get("command"))
    if "--appendonly" not in rcmd or rcmd[rcmd.index("--appendonly") + 1] != "yes":
        problem(f"redis: no --appendonly yes in {rcmd}")
    if not any(isinstance(v, str) and v.endswith(":/data") for v in redis.get("volumes") or []):
        problem("redis: /data is not on a volume")
    if "ping" not in " ".join(words_of((redis.get("healthcheck") or {}).get("test"))):
        problem("redis: the health check does not ping")

    # Schema Registry: only with its profile
    sr = services["schema-registry"]
    if "registry" not in (sr.get("profiles") or []):
        problem("schema-registry is not under the profile registry")
    sre = env_dict(sr)
    if bootstrap not in (sre.get("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS") or ""):
        problem("schema-registry does not store its schemas in this Kafka")
    if sre.get("SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR") != "1":
        problem("schema-registry: _schemas needs replication factor 1 on a single node")
    for name, svc in services.items():
        if name in profiled:
            continue
        for dep in (svc.get("depends_on") or {}):
            if dep in profiled:
                problem(f"service {name} (no profile) depends on {dep}, which only runs with a profile")

    # the consumer
    con = services["consumer"]
    if con.get("profiles"):
        problem("the consumer is under a profile: `up` would not start it")
    for dep, cond in (("kafka", "service_healthy"), ("kafka-init", "service_completed_successfully"),
                      ("redis", "service_healthy")):
        if ((con.get("depends_on") or {}).get(dep) or {}).get("condition") != cond:
            problem(f"consumer: depends_on {dep} is not {cond}")
    if "entrypoint" in con:
        problem("consumer: overrides the image's ENTRYPOINT")
    cmd = [interpolate(w, {}) for w in words_of(con.get("command"))]
    flags = {w.split("=")[0] for w in cmd if w.startswith("-")}
    unknown = flags - help_flags(image["exe"])
    if unknown:
        problem(f"consumer: flags not in hirewire-consumer --help: {' '.join(sorted(unknown))}")

    def value(flag):
        return cmd[cmd.index(flag) + 1] if flag in cmd and cmd.index(flag) + 1 < len(cmd) else None
    if value("--brokers") != bootstrap:
        problem(f"consumer: --brokers {value('--brokers')}, Kafka advertises {bootstrap}")
    rh, rp = host_port(value("--redis") or "")
    if rh != "redis" or rp != 6379:
        problem(f"consumer: --redis {value('--redis')} is not the redis service on 6379")
    maddr = value("--metrics-addr") or ""
    if maddr != f"0.0.0.0:{METRICS_PORT}":
        problem(f"consumer: --metrics-addr {maddr}: want 0.0.0.0:{METRICS_PORT} to be reachable")
    cports = {str(p).split(":")[-1].split("/")[0] if not isinstance(p, dict) else str(p.get("target"))
              for p in con.get("ports") or []}
    if str(METRICS_PORT) not in cports:
        problem(f"consumer: container port {METRICS_PORT} is not published")
    if con.get("restart") != "unless-stopped":
        problem(f"consumer: restart {con.get('restart')}, want unless-stopped")
    grace = seconds(con.get("stop_grace_period", "10s"))
    if grace is None or grace <= 10:
        problem(f"consumer: stop_grace_period {con.get('stop_grace_period')} must exceed the 10 s the "
                "consumer may spend finishing a batch during a Redis outage")
    if con.get("healthcheck"):
        check_health_test(con["healthcheck"].get("test"), "consumer healthcheck", image["runtime_pkgs"])
    root = image["root"]
    argv = [image["exe"]] + [map_path(a, root) for a in image["entrypoint"][1:] + cmd]
    r = run(argv + ["--version"])
    if r.returncode != 0:
        problem(f"hirewire-consumer rejects the compose command (exit {r.returncode}): "
                f"{(r.stderr.strip().splitlines() or [''])[0]}")
    else:
        note("hirewire-consumer parses the compose command and config: " + " ".join(cmd))
    with open(os.path.join(WORK, "compose.args"), "w") as f:
        f.write("\n".join(argv) + "\n")
    with open(os.path.join(WORK, "compose.grace"), "w") as f:
        f.write(f"{int(grace or 10)}\n")

    # the demo producer
    prod = services["producer"]
    if "demo" not in (prod.get("profiles") or []):
        problem("producer is not under the profile demo")
    pep = words_of(prod.get("entrypoint"))
    pexe = in_root(root, "/usr/local/bin/" + pep[0]) if pep and not pep[0].startswith("/") else \
        in_root(root, pep[0]) if pep else None
    if not pexe or not os.access(pexe, os.X_OK):
        problem(f"producer: entrypoint {pep} is not a program of the image")
        return
    pcmd = [interpolate(w, {}) for w in words_of(prod.get("command"))]
    unknown = {w.split("=")[0] for w in pcmd if w.startswith("-")} - help_flags(pexe)
    if unknown:
        problem(f"producer: flags not in hirewire-produce --help: {' '.join(sorted(unknown))}")
    if "--brokers" not in pcmd or pcmd[pcmd.index("--brokers") + 1] != bootstrap:
        problem(f"producer: not given --brokers {bootstrap}")
    files = [w for w in pcmd if w.startswith("/")]
    for f in files:
        if not os.path.isfile(in_root(root, f)):
            problem(f"producer: {f} is not in the image")
    r = run([pexe, "--dry-run"] + [map_path(w, root) for w in pcmd])
    if r.returncode != 0:
        problem(f"producer: hirewire-produce --dry-run on its command fails (exit {r.returncode}): "
                f"{(r.stderr.strip().splitlines() or [''])[-1]}")
    else:
        note(f"producer: {len(r.stdout.splitlines())} valid events in {' '.join(files)}")


def main():
    os.makedirs(WORK, exist_ok=True)
    image = check_dockerfile()
    finish()
    check_compose(image)
    finish()


main()

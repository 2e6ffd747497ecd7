"""The Dockerfile read and its stages run outside Docker (check_docker.py).

Parsing (parse_dockerfile): continuation lines, comments, exec and shell
forms, flags, variable substitution, the packages an apt-get install names.
The build context (copy_context): the tree copied honouring .dockerignore.
The stages (simulate): WORKDIR and COPY mapped into a folder per stage, every
RUN step of a build stage that is not an apt/dpkg step run there with the
stage's ARG and ENV; the final stage's ENTRYPOINT, CMD, USER, EXPOSE,
HEALTHCHECK and ENV gathered for docker_image.py to check.
"""
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

from docker_report import note, problem


# --- the Dockerfile's text -----------------------------------------------------

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


def simulate(stages, global_args, context, work):
    """Runs the stages outside Docker; returns (roots by stage, final stage state)."""
    roots, by_name = {}, {}
    final = stages[-1]
    for st in stages:
        root = os.path.join(work, f"stage{st.index}-{st.name or 'final'}")
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

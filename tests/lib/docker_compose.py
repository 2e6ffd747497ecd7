"""compose.yaml (check_docker.py): known keys only; every depends_on names a
service with a health check or a one-shot; profiled services are needed by
none outside their profile; builds point at the Dockerfile checked; volumes
are declared; Kafka is one KRaft broker+controller whose advertised listener
is what the programs are given; kafka-init creates the topics of docs/SPEC.md
and the sample config, idempotently; Redis keeps an append-only file on a
volume; the consumer's flags are ones its --help lists and it accepts its
command as a whole; the demo producer's input is in the image and valid.
Writes compose.args and compose.grace to WORK.
"""
import base64
import os
import re
import shlex
import sys

import yaml

from docker_build import in_root, map_path
from docker_image import check_health_test, help_flags
from docker_report import METRICS_PORT, finish, note, problem, problems, run


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


def spec_topics(src):
    text = open(os.path.join(src, "docs", "SPEC.md"), encoding="utf-8").read()
    sec = re.search(r"^## 3\..*?(?=^## )", text, re.S | re.M)
    table = re.search(r"^\| topic.*?(?=^\s*$)", sec.group(0), re.S | re.M) if sec else None
    if not table:
        sys.exit("check_docker: no topic table in docs/SPEC.md section 3")
    return set(re.findall(r"^\|\s*`([^`]+)`", table.group(0), re.M))


def check_compose(paths, image):
    print("--- compose.yaml", file=sys.stderr)
    doc = yaml.safe_load(open(paths.compose, encoding="utf-8"))
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
            ctx_abs = os.path.normpath(os.path.join(paths.docker_dir, ctx))
            df = os.path.join(ctx_abs, "Dockerfile" if isinstance(b, str) else b.get("dockerfile", "Dockerfile"))
            if not os.path.isdir(ctx_abs):
                problem(f"service {name}: build context {ctx} does not exist")
            elif os.path.realpath(ctx_abs) != os.path.realpath(paths.src):
                problem(f"service {name}: build context {ctx} is not the top of the tree (COPY paths assume it)")
            if not os.path.isfile(df):
                problem(f"service {name}: dockerfile {df} does not exist")
            elif os.path.realpath(df) != os.path.realpath(paths.dockerfile):
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
    want = spec_topics(paths.src)
    conf = dict(re.findall(r"^(topic\.\w+)\s*=\s*(\S+)", open(os.path.join(paths.src, "deploy", "config", "hirewire.conf")).read(), re.M))
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
    with open(os.path.join(paths.work, "compose.args"), "w") as f:
        f.write("\n".join(argv) + "\n")
    with open(os.path.join(paths.work, "compose.grace"), "w") as f:
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

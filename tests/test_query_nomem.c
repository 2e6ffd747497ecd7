/*
 * hirewire-query when memory runs out: each command runs in this process
 * (the query tool's code as a library, main renamed hw_query_main) once as
 * it is, counting the allocations of hirewire's own code and of jansson's,
 * then once for each of them with that one allocation failing. Every run
 * must end by returning (no crash: a NULL not checked would be one) with
 * either exit 1 and "out of memory" on stderr, or the exit status and the
 * very stdout of the run without a failure: memory running out is never
 * shown as a wrong result, a missing row or another error.
 *
 * The allocations are counted by wrapping malloc, calloc, realloc,
 * strdup, strndup and vasprintf at link time (-Wl,--wrap, so only calls
 * from hirewire's objects, jansson's included: hirewire-query has it
 * allocate through output.c); those of hiredis and libc themselves are
 * left alone.
 *
 * Usage: test_query_nomem PORT [I N]. Writes its own Redis state (the
 * keys of docs/redis-keys.md, under hw:) into the Redis at
 * 127.0.0.1:PORT, which it empties first. Exit 0 when every run passed, 1
 * naming each that did not. With I and N, runs command I alone with
 * allocation N failing and prints what it wrote, and what it writes
 * without a failure.
 */
#include <fcntl.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw_person_record.h"

int hw_query_main(int argc, char **argv);

/* ------------------------------------------------------------------ */
/* Allocations                                                         */
/* ------------------------------------------------------------------ */

static long n_allocs; /* counted since the run began */
static long fail_at;  /* the allocation that fails (1-based), 0 none */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
int __real_vasprintf(char **out, const char *fmt, va_list ap);

/* Whether the allocation being made is the one to fail. */
static int failing(void) {
        return ++n_allocs == fail_at;
}

void *__wrap_malloc(size_t n) {
        return failing() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size) {
        return failing() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n) {
        return failing() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s) {
        size_t n = strlen(s) + 1;
        char *copy = failing() ? NULL : __real_malloc(n);
        return copy ? memcpy(copy, s, n) : NULL;
}

char *__wrap_strndup(const char *s, size_t max) {
        size_t n = strnlen(s, max);
        char *copy = failing() ? NULL : __real_malloc(n + 1);
        if (!copy)
                return NULL;
        memcpy(copy, s, n);
        copy[n] = '\0';
        return copy;
}

int __wrap_vasprintf(char **out, const char *fmt, va_list ap) {
        if (failing()) {
                *out = NULL;
                return -1;
        }
        return __real_vasprintf(out, fmt, ap);
}

/* ------------------------------------------------------------------ */
/* Runs                                                                */
/* ------------------------------------------------------------------ */

#define MAX_ARGS 16

typedef struct run_s {
        int rc;
        char *out, *err; /* what it wrote (NUL-terminated) */
        size_t out_len;
        long allocs;
} run_t;

static char out_path[] = "/tmp/hw-nomem-out.XXXXXX";
static char err_path[] = "/tmp/hw-nomem-err.XXXXXX";
static int out_fd = -1, err_fd = -1, saved_out = -1, saved_err = -1;

static char *slurp(int fd, size_t *len) {
        off_t n = lseek(fd, 0, SEEK_END);
        char *s = __real_malloc((size_t)n + 1);
        if (!s || pread(fd, s, (size_t)n, 0) != n) {
                dprintf(saved_err, "test_query_nomem: cannot read back\n");
                exit(2);
        }
        s[n] = '\0';
        *len = (size_t)n;
        return s;
}

/* Runs hirewire-query with args (NULL-terminated), failing allocation
 * fail (0: none), its stdout and stderr into r. */
static void run(const char *const *args, long fail, run_t *r) {
        char *argv[MAX_ARGS + 2];
        int argc = 0;
        size_t err_len;

        argv[argc++] = "hirewire-query";
        for (; *args && argc <= MAX_ARGS; args++)
                argv[argc++] = (char *)*args;
        argv[argc] = NULL;
        fflush(stdout);
        fflush(stderr);
        if (ftruncate(out_fd, 0) || ftruncate(err_fd, 0)) {
                dprintf(saved_err, "test_query_nomem: cannot truncate\n");
                exit(2);
        }
        lseek(out_fd, 0, SEEK_SET);
        lseek(err_fd, 0, SEEK_SET);
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        optind = 0; /* getopt starts over */
        n_allocs = 0;
        fail_at = fail;
        r->rc = hw_query_main(argc, argv);
        r->allocs = n_allocs;
        fail_at = 0;
        fflush(stdout);
        fflush(stderr);
        dup2(saved_out, 1);
        dup2(saved_err, 2);
        r->out = slurp(out_fd, &r->out_len);
        r->err = slurp(err_fd, &err_len);
}

static void release(run_t *r) {
        free(r->out);
        free(r->err);
}

static int failures;

/* Runs a command without, then with each allocation failing. */
static void check(const char *const *args) {
        char line[512] = "";
        run_t ref;
        long passed = 0;

        for (const char *const *a = args; *a; a++)
                snprintf(line + strlen(line), sizeof(line) - strlen(line),
                         " %s", *a);
        run(args, 0, &ref);
        if (ref.rc != 0) {
                printf("FAIL%s: exits %d without a failure: %s\n", line, ref.rc,
                       ref.err);
                failures++;
                release(&ref);
                return;
        }
        for (long n = 1; n <= ref.allocs; n++) {
                run_t r;
                run(args, n, &r);
                if (r.rc == 1 && strstr(r.err, "out of memory")) {
                        passed++;
                } else if (r.rc == ref.rc && r.out_len == ref.out_len &&
                           !memcmp(r.out, ref.out, r.out_len) && !r.err[0]) {
                        passed++; /* recovered: the same result */
                } else {
                        printf("FAIL%s, allocation %ld of %ld failing: exit "
                               "%d, stderr \"%s\"%s\n",
                               line, n, ref.allocs, r.rc, r.err,
                               r.rc == ref.rc ? ", another stdout" : "");
                        failures++;
                }
                release(&r);
        }
        printf("ok%s: %ld allocations, each failing: %ld runs passed\n", line,
               ref.allocs, passed);
        release(&ref);
}

/* ------------------------------------------------------------------ */
/* The Redis state                                                     */
/* ------------------------------------------------------------------ */

/* Runs a command of the fixture (arguments split at spaces; '~' in an
 * argument stands for a space). */
static void put(redisContext *c, const char *line) {
        char copy[1024], *argv[64];
        int argc = 0;
        redisReply *r;

        snprintf(copy, sizeof(copy), "%s", line);
        for (char *t = strtok(copy, " "); t && argc < 64; t = strtok(NULL, " "))
                argv[argc++] = t;
        for (int i = 0; i < argc; i++)
                for (char *p = argv[i]; *p; p++)
                        if (*p == '~')
                                *p = ' ';
        r = redisCommandArgv(c, argc, (const char **)argv, NULL);
        if (!r || r->type == REDIS_REPLY_ERROR) {
                fprintf(stderr, "test_query_nomem: %s: %s\n", line,
                        r ? r->str : c->errstr);
                exit(2);
        }
        freeReplyObject(r);
}

static const char *const fixture[] = {
        "FLUSHALL",
        "SET hw:watermark 1751328000000",
        "SET hw:steps 12",
        "SET hw:steps:at 1751328001000",
        "SET hw:epoch 1",
        "SET hw:layout 4",
        "SET replay:lock:hw: 4242",
        "ZADD hw:labs 22 meta-superintelligence-labs 20 microsoft-ai 5 openai",
        "HSET hw:lab:meta-superintelligence-labs name "
        "Meta~Superintelligence~Labs members 22",
        "HSET hw:lab:meta-superintelligence-labs:origin OpenAI 9 "
        "Google~DeepMind 5 Anthropic 4 Apple 4",
        "HSET hw:lab:meta-superintelligence-labs:nationality CN 10 US 7 "
        "unknown 3 KR 2",
        "HSET hw:lab:meta-superintelligence-labs:alma_mater unknown 12 "
        "Tsinghua~University 5 Peking~University 3 Université~de~Montréal 2",
        "HSET hw:lab:meta-superintelligence-labs:tier A 10 S 6 UNRATED 6",
        "HSET hw:lab:meta-superintelligence-labs:hires:30d Apple 4 OpenAI 3",
        "HSET hw:lab:meta-superintelligence-labs:hires:365d OpenAI 9 Apple 4 "
        "Anthropic 4",
        "HSET hw:lab:meta-superintelligence-labs:hires:all OpenAI 11 "
        "Google~DeepMind 5 Apple 4 Anthropic 4",
        "HSET hw:lab:microsoft-ai name Microsoft~AI members 20",
        "HSET hw:lab:microsoft-ai:origin Google~DeepMind 20",
        "HSET hw:lab:microsoft-ai:hires:365d Google~DeepMind 12",
        "HSET hw:lab:openai name OpenAI members 5",
        "HSET hw:org:openai:losses:all meta-superintelligence-labs 11",
        "HSET hw:flow:365d:in US 30 KR 1 CN 2 GB 4 SG 1",
        "HSET hw:flow:365d:out KR 3 US 10 CN 12 CA 2",
        "ZADD hw:flow:365d:net 20 US -2 KR -10 CN 4 GB -2 CA 1 SG",
        "ZADD hw:flow:365d:index 0.0571 US -0.36 KR -0.05 CN 0.8 GB -0.0364 "
        "CA",
        "ZADD hw:flow:365d:index:oecd 0.0571 US -0.36 KR 0.8 GB -0.0364 CA",
        "HSET hw:org:meta:offers:365d extended 5 accepted 2 declined 1 "
        "extended_usd 1200000000 mega 3",
        "HSET hw:org:apple:offers:365d extended 1 extended_usd 900000",
        "HSET hw:org:google-deepmind:offers:365d extended 2 accepted 1 "
        "withdrawn 1 extended_usd 350000000 mega 1",
        "HSET hw:org:google-deepmind name Google~DeepMind",
        "XADD hw:alerts 1751328001000-0 alert_id mega_offer:e-fang rule "
        "mega_offer severity CRITICAL subject p-luming-fang summary "
        "Meta~extended~a~$200M~offer event_time 1751328000000 raised_at "
        "1751328001000 event_ids [\"e-fang\"] attributes "
        "{\"offering_org\":\"Meta\"}",
        "XADD hw:alerts 1751328002000-0 alert_id "
        "raid:apple:meta-superintelligence-labs:20250701 rule raid severity "
        "WARN subject apple summary Apple~lost~4~people event_time "
        "1751327999250 raised_at 1751328002000 event_ids "
        "[\"e-1\",\"e-2\",\"e-3\",\"e-4\"] attributes {\"hires\":\"4\"}",
        "ZADD hw:b:days 20269 20250630 20270 20250701",
        "SET hw:offset:hirewire:talent.hires:0 7",
        "SET hw:offset:hirewire:talent.hires:1 9",
        "HSET hw:ends:hirewire talent.hires:0 1 talent.hires:1 1751328000000",
};

/* Runs one command (hiredis format); exits 2 when Redis refuses it. */
static void put_fmt(redisContext *c, const char *fmt, ...) {
        redisReply *r;
        va_list ap;

        va_start(ap, fmt);
        r = redisvCommand(c, fmt, ap);
        va_end(ap);
        if (!r || r->type == REDIS_REPLY_ERROR) {
                fprintf(stderr, "test_query_nomem: %s failed\n", fmt);
                exit(2);
        }
        freeReplyObject(r);
}

/* A bucket log of two records, "<n>:<X> <field>=<delta>\n" each. */
static void put_log(redisContext *c, const char *day, const char *x1,
                    const char *f1, const char *x2, const char *f2, int delta) {
        char log[512];
        snprintf(log, sizeof(log), "%zu:%s %s=%d\n%zu:%s %s=%d\n",
                 strlen(x1) + 1 + strlen(f1), x1, f1, delta,
                 strlen(x2) + 1 + strlen(f2), x2, f2, delta);
        put_fmt(c, "SET hw:b:%s %s", day, log);
}

int main(int argc, char **argv) {
        static const char *const commands[][MAX_ARGS] = {
                {"labs"},
                {"--csv", "labs", "--top", "2"},
                {"lab", "Meta Superintelligence Labs"},
                {"--json", "lab", "meta-superintelligence-labs", "--top", "2"},
                {"--csv", "lab", "openai", "--window", "all"},
                {"flows"},
                {"--json", "flows"},
                {"--csv", "flows", "--top", "3"},
                {"offers"},
                {"--json", "offers"},
                {"alerts"},
                {"--json", "alerts"},
                {"--csv", "alerts", "--count", "1"},
                {"person", "p-bowen-zhang"},
                {"--json", "person", "p-bowen-zhang"},
                {"timeline", "Meta Superintelligence Labs"},
                {"--json", "timeline", "openai", "--window", "7d"},
                {"status"},
                {"--json", "status"},
                {"--json", "report", "--window", "30d"},
                {"report", "--html", "-", "--lab", "microsoft-ai"},
                {"--json", "report", "--window", "all"},
        };
        char url[64];
        redisContext *c;

        if (argc != 2 && argc != 4) {
                fprintf(stderr, "usage: test_query_nomem PORT [I N]\n");
                return 2;
        }
        if (!(c = redisConnect("127.0.0.1", atoi(argv[1]))) || c->err) {
                fprintf(stderr, "test_query_nomem: cannot connect to Redis\n");
                return 2;
        }
        for (size_t i = 0; i < sizeof(fixture) / sizeof(*fixture); i++)
                put(c, fixture[i]);
        put_log(c, "20250630", "lab:meta-superintelligence-labs:hires", "Apple",
                "org:apple:losses", "meta-superintelligence-labs", 2);
        put_log(c, "20250701", "lab:meta-superintelligence-labs:hires",
                "OpenAI", "org:openai:losses", "meta-superintelligence-labs",
                3);
        /* The person registry: hw:persons:<bucket of the id>. */
        put_fmt(c, "HSET hw:persons:%u %s %s",
                hw_person_bucket("p-bowen-zhang", strlen("p-bowen-zhang")),
                "p-bowen-zhang",
                "27:Meta Superintelligence Labs6:OpenAI2:CN19:Tsinghua "
                "University1:S13:17513280000007:e-bowen");
        redisFree(c);

        if ((out_fd = mkstemp(out_path)) < 0 ||
            (err_fd = mkstemp(err_path)) < 0 || (saved_out = dup(1)) < 0 ||
            (saved_err = dup(2)) < 0) {
                perror("test_query_nomem");
                return 2;
        }
        unlink(out_path);
        unlink(err_path);
        snprintf(url, sizeof(url), "redis://127.0.0.1:%s", argv[1]);
        for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++) {
                const char *args[MAX_ARGS + 3] = {"--redis", url};
                size_t n = 2;
                for (size_t k = 0; k < MAX_ARGS && commands[i][k]; k++)
                        args[n++] = commands[i][k];
                args[n] = NULL;
                if (argc == 2) {
                        check(args);
                } else if ((size_t)atoi(argv[2]) == i) {
                        run_t with, without;
                        run(args, atol(argv[3]), &with);
                        run(args, 0, &without);
                        printf("exit %d, stderr: %s\nstdout:\n%s\n"
                               "without a failure: exit %d, stdout:\n%s\n",
                               with.rc, with.err, with.out, without.rc,
                               without.out);
                        release(&with);
                        release(&without);
                }
                fflush(stdout);
        }
        if (failures)
                printf("%d runs failed\n", failures);
        return failures ? 1 : 0;
}

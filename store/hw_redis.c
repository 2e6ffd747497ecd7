#include "hw_redis.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"
#include "hw_log.h"

#define CONNECT_TIMEOUT_MS 2000
/* Each sentinel is given this long to connect and to answer. */
#define SENTINEL_TIMEOUT_MS 1000

/* Connections made by the process (hw_redis_target_t.connection). */
static atomic_ulong connections;

/* host:port, [host]:port for an IPv6 address. */
static void host_port(char *out, size_t size, const hw_redis_host_t *h) {
        snprintf(out, size, strchr(h->host, ':') ? "[%s]:%d" : "%s:%d", h->host,
                 h->port);
}

/* Appends str to buf (size bytes, *n of them used) as far as it fits;
 * *n grows by its length all the same. */
static void append(char *buf, size_t size, size_t *n, const char *str) {
        size_t len = strlen(str);

        if (*n + 1 < size) {
                size_t fits = size - 1 - *n;
                memcpy(buf + *n, str, len < fits ? len : fits);
                buf[*n + (len < fits ? len : fits)] = '\0';
        }
        *n += len;
}

/* t->addr from the URL and, through Sentinel, the primary found; with
 * many long names cut, ending in "...". */
static void set_addr(hw_redis_target_t *t) {
        char one[300];
        size_t n = 0;

        if (!t->url.n_sentinels) {
                snprintf(t->addr, sizeof(t->addr),
                         strchr(t->url.host, ':') ? "[%s]:%d" : "%s:%d",
                         t->url.host, t->url.port);
                return;
        }
        t->addr[0] = '\0';
        if (t->primary.host[0]) {
                host_port(one, sizeof(one), &t->primary);
                append(t->addr, sizeof(t->addr), &n, one);
                append(t->addr, sizeof(t->addr), &n, " (");
        }
        append(t->addr, sizeof(t->addr), &n, "primary ");
        append(t->addr, sizeof(t->addr), &n, t->url.master);
        append(t->addr, sizeof(t->addr), &n, " via sentinels ");
        for (int i = 0; i < t->url.n_sentinels; i++) {
                host_port(one, sizeof(one), &t->url.sentinels[i]);
                append(t->addr, sizeof(t->addr), &n, i ? "," : "");
                append(t->addr, sizeof(t->addr), &n, one);
        }
        if (t->primary.host[0])
                append(t->addr, sizeof(t->addr), &n, ")");
        if (n >= sizeof(t->addr))
                memcpy(t->addr + sizeof(t->addr) - 4, "...", 4);
}

hw_err_t hw_redis_target(hw_redis_target_t *t, const hw_config_t *conf,
                         char *errstr, size_t size) {
        const char *env;
        hw_err_t err;

        memset(t, 0, sizeof(*t));
        if ((err = hw_redis_url_parse(conf->redis_url, &t->url, errstr, size)))
                return err;
        if (conf->redis_password && conf->redis_password[0])
                snprintf(t->password, sizeof(t->password), "%s",
                         conf->redis_password);
        else if ((env = getenv("REDIS_PASSWORD")) && env[0])
                snprintf(t->password, sizeof(t->password), "%s", env);
        else
                snprintf(t->password, sizeof(t->password), "%s",
                         t->url.password);
        hw_wipe(t->url.password, sizeof(t->url.password));
        set_addr(t);
        return HW_OK;
}

void hw_redis_target_wipe(hw_redis_target_t *t) {
        hw_wipe(t->password, sizeof(t->password));
}

int hw_redis_primary_moved(const hw_redis_target_t *t) {
        return t->url.n_sentinels && t->moved;
}

/* Whether error begins with one of the codes. */
static int coded(const char *error, const char *const *codes, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!strncmp(error, codes[i], strlen(codes[i])))
                        return 1;
        return 0;
}

hw_redis_fault_t hw_redis_fault(const char *error) {
        static const char *const transient[] = {
                "LOADING",    "BUSY",     "OOM",         "READONLY",
                "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "NOREPLICAS"};
        static const char *const credentials[] = {"NOAUTH", "WRONGPASS",
                                                  "NOPERM"};

        if (coded(error, transient, sizeof(transient) / sizeof(*transient)))
                return HW_REDIS_TRANSIENT;
        if (coded(error, credentials,
                  sizeof(credentials) / sizeof(*credentials)))
                return HW_REDIS_CREDENTIALS;
        return HW_REDIS_REFUSED;
}

hw_err_t hw_redis_error(hw_redis_target_t *t, const char *error,
                        const char *what, hw_redis_fault_t *fault, char *errstr,
                        size_t size) {
        hw_redis_fault_t f = hw_redis_fault(error);

        if (fault)
                *fault = f;
        if (!strncmp(error, "READONLY", 8))
                t->moved = 1;
        return hw_fail(
                f == HW_REDIS_REFUSED ? HW_ERR_INTERNAL : HW_ERR_SERVICE,
                errstr, size, "Redis at %s: %s: %s%s", t->addr, what, error,
                f == HW_REDIS_CREDENTIALS ? " (give the password in the URL, "
                                            "REDIS_PASSWORD or redis.password)"
                                          : "");
}

hw_err_t hw_redis_lost(const hw_redis_target_t *t, const redisContext *ctx,
                       const char *what, char *errstr, size_t size) {
        const char *why = ctx && ctx->err == REDIS_ERR_IO && errno == EAGAIN
                                  ? "timed out"
                          : ctx && ctx->errstr[0] ? ctx->errstr
                                                  : "connection lost";
        return hw_fail(HW_ERR_SERVICE, errstr, size, "Redis at %s: %s: %s",
                       t->addr, what, why);
}

/* Runs one command of the connection's set-up; its error as
 * hw_redis_error's (AUTH's, whatever it says, a credentials fault). */
static hw_err_t setup(redisContext *ctx, hw_redis_target_t *t, const char *what,
                      hw_redis_fault_t *fault, char *errstr, size_t size,
                      int argc, const char **argv) {
        redisReply *r = redisCommandArgv(ctx, argc, argv, NULL);
        hw_err_t err = HW_OK;

        if (!r)
                return hw_redis_lost(t, ctx, what, errstr, size);
        if (r->type == REDIS_REPLY_ERROR) {
                err = hw_redis_error(t, r->str, what, fault, errstr, size);
                if (!strcmp(what, "AUTH")) {
                        *fault = HW_REDIS_CREDENTIALS;
                        err = HW_ERR_SERVICE;
                }
        }
        freeReplyObject(r);
        return err;
}

/* Appends "; " (unless it is the first), "HOST:PORT: " and what sentinel
 * h answered (what, then more) to why. */
static void note(char *why, size_t size, const hw_redis_host_t *h,
                 const char *what, const char *more) {
        size_t n = strlen(why);
        char one[300];

        host_port(one, sizeof(one), h);
        snprintf(why + n, size - n, "%s%s: %s%s", n ? "; " : "", one, what,
                 more);
}

/* Reads a reply to SENTINEL get-master-addr-by-name, [host, port], into
 * *found: 0, or -1 when it is not one. */
static int read_primary(const redisReply *r, hw_redis_host_t *found) {
        char *end;
        long port;

        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
            r->element[0]->type != REDIS_REPLY_STRING ||
            r->element[1]->type != REDIS_REPLY_STRING || !r->element[0]->len ||
            r->element[0]->len >= sizeof(found->host))
                return -1;
        port = strtol(r->element[1]->str, &end, 10);
        if (port < 1 || port > 65535 || *end)
                return -1;
        memcpy(found->host, r->element[0]->str, r->element[0]->len + 1);
        found->port = (int)port;
        return 0;
}

/* Asks sentinel h where the primary is: HW_OK with it in *found, else
 * HW_ERR_SERVICE with what it answered noted in why. */
static hw_err_t ask_sentinel(const hw_redis_target_t *t,
                             const hw_redis_host_t *h, hw_redis_host_t *found,
                             char *why, size_t why_size) {
        struct timeval tv = {SENTINEL_TIMEOUT_MS / 1000,
                             (SENTINEL_TIMEOUT_MS % 1000) * 1000};
        const char *ask[] = {"SENTINEL", "get-master-addr-by-name",
                             t->url.master};
        const char *auth[3] = {"AUTH"};
        redisContext *ctx = redisConnectWithTimeout(h->host, h->port, tv);
        redisReply *r = NULL;
        hw_err_t err = HW_ERR_SERVICE;
        int auth_argc = 1;

        if (!ctx || ctx->err) {
                note(why, why_size, h, ctx ? ctx->errstr : "out of memory", "");
                goto cleanup;
        }
        redisSetTimeout(ctx, tv);
        r = redisCommandArgv(ctx, 3, ask, NULL);
        /* A sentinel with requirepass is given the password Redis is. */
        if (r && r->type == REDIS_REPLY_ERROR && t->password[0] &&
            hw_redis_fault(r->str) == HW_REDIS_CREDENTIALS) {
                if (t->url.username[0])
                        auth[auth_argc++] = t->url.username;
                auth[auth_argc++] = t->password;
                freeReplyObject(r);
                r = redisCommandArgv(ctx, auth_argc, auth, NULL);
                if (r && r->type != REDIS_REPLY_ERROR) {
                        freeReplyObject(r);
                        r = redisCommandArgv(ctx, 3, ask, NULL);
                }
        }
        if (!r)
                note(why, why_size, h,
                     ctx->errstr[0] ? ctx->errstr : "connection lost", "");
        else if (r->type == REDIS_REPLY_ERROR)
                note(why, why_size, h, r->str, "");
        else if (r->type == REDIS_REPLY_NIL)
                note(why, why_size, h, "knows no primary named ",
                     t->url.master);
        else if (read_primary(r, found))
                note(why, why_size, h,
                     "unexpected reply to SENTINEL get-master-addr-by-name",
                     "");
        else
                err = HW_OK;
cleanup:
        if (r)
                freeReplyObject(r);
        if (ctx)
                redisFree(ctx);
        return err;
}

/* Finds the primary through the sentinels, from the one that answered
 * last, into t->primary (and t->addr), logging where it moved when it is
 * not the one found before. HW_ERR_SERVICE saying what each sentinel
 * answered when none told. */
static hw_err_t find_primary(hw_redis_target_t *t, char *errstr, size_t size) {
        hw_redis_host_t found = {"", 0};
        char why[1024] = "";

        for (int k = 0; k < t->url.n_sentinels; k++) {
                int i = (t->first_sentinel + k) % t->url.n_sentinels;
                char was[300] = "", now[300], sentinel[300];
                if (ask_sentinel(t, &t->url.sentinels[i], &found, why,
                                 sizeof(why)))
                        continue;
                t->first_sentinel = i;
                if (t->primary.host[0])
                        host_port(was, sizeof(was), &t->primary);
                host_port(now, sizeof(now), &found);
                if (was[0] && strcmp(was, now)) {
                        host_port(sentinel, sizeof(sentinel),
                                  &t->url.sentinels[i]);
                        HW_LOG_KV(HW_LOG_INFO, "store",
                                  "the Redis primary has moved",
                                  "master=%s primary=%s was=%s sentinel=%s",
                                  t->url.master, now, was, sentinel);
                }
                t->primary = found;
                set_addr(t);
                return HW_OK;
        }
        /* The message names no primary; the last one found is kept for
         * the next lookup to compare with. */
        found = t->primary;
        t->primary.host[0] = '\0';
        set_addr(t);
        hw_fail(HW_ERR_SERVICE, errstr, size,
                "Redis at %s: no sentinel told where the primary is: %s",
                t->addr, why);
        t->primary = found;
        set_addr(t);
        return HW_ERR_SERVICE;
}

/* Whether the server of ctx is a primary, by ROLE (a user that may not
 * run ROLE is taken at the sentinels' word): HW_ERR_SERVICE, a transient
 * fault, when it is not. */
static hw_err_t check_role(redisContext *ctx, hw_redis_target_t *t,
                           hw_redis_fault_t *fault, char *errstr, size_t size) {
        redisReply *r = redisCommand(ctx, "ROLE");
        hw_err_t err = HW_OK;

        if (!r)
                return hw_redis_lost(t, ctx, "ROLE", errstr, size);
        if (r->type == REDIS_REPLY_ERROR) {
                if (strncmp(r->str, "NOPERM", 6))
                        err = hw_redis_error(t, r->str, "ROLE", fault, errstr,
                                             size);
        } else if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
                   r->element[0]->type != REDIS_REPLY_STRING ||
                   strcmp(r->element[0]->str, "master")) {
                *fault = HW_REDIS_TRANSIENT;
                err = hw_fail(HW_ERR_SERVICE, errstr, size,
                              "Redis at %s: ROLE: not a primary but %s (a "
                              "failover under way?); the sentinels are "
                              "asked again",
                              t->addr,
                              r->type == REDIS_REPLY_ARRAY && r->elements &&
                                              r->element[0]->type ==
                                                      REDIS_REPLY_STRING
                                      ? r->element[0]->str
                                      : "an unexpected reply");
        }
        freeReplyObject(r);
        return err;
}

redisContext *hw_redis_connect(hw_redis_target_t *t, int command_timeout_ms,
                               hw_err_t *err, hw_redis_fault_t *fault,
                               char *errstr, size_t size) {
        struct timeval ct = {CONNECT_TIMEOUT_MS / 1000,
                             (CONNECT_TIMEOUT_MS % 1000) * 1000};
        struct timeval rt = {command_timeout_ms / 1000,
                             (command_timeout_ms % 1000) * 1000};
        redisContext *ctx;
        char db[16];

        *fault = HW_REDIS_REFUSED;
        t->moved = 0;
        if (t->url.n_sentinels && (*err = find_primary(t, errstr, size))) {
                *fault = HW_REDIS_TRANSIENT;
                return NULL;
        }
        ctx = redisConnectWithTimeout(
                t->url.n_sentinels ? t->primary.host : t->url.host,
                t->url.n_sentinels ? t->primary.port : t->url.port, ct);
        if (!ctx || ctx->err) {
                *err = hw_fail(HW_ERR_SERVICE, errstr, size,
                               "cannot connect to Redis at %s: %s", t->addr,
                               ctx ? ctx->errstr : "out of memory");
                if (ctx)
                        redisFree(ctx);
                return NULL;
        }
        redisSetTimeout(ctx, rt);
        redisEnableKeepAlive(ctx);
        snprintf(db, sizeof(db), "%d", t->url.db);
        /* A server that wants a password says NOAUTH to the PING. */
        if ((t->password[0] &&
             (*err = t->url.username[0]
                             ? setup(ctx, t, "AUTH", fault, errstr, size, 3,
                                     (const char *[]){"AUTH", t->url.username,
                                                      t->password})
                             : setup(ctx, t, "AUTH", fault, errstr, size, 2,
                                     (const char *[]){"AUTH", t->password}))) ||
            (t->url.db && (*err = setup(ctx, t, "SELECT", fault, errstr, size,
                                        2, (const char *[]){"SELECT", db}))) ||
            (*err = setup(ctx, t, "PING", fault, errstr, size, 1,
                          (const char *[]){"PING"})) ||
            (t->url.n_sentinels &&
             (*err = check_role(ctx, t, fault, errstr, size)))) {
                redisFree(ctx);
                return NULL;
        }
        t->connection = atomic_fetch_add(&connections, 1) + 1;
        return ctx;
}

#include "hw_redis.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"

#define CONNECT_TIMEOUT_MS 2000

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
        snprintf(t->addr, sizeof(t->addr),
                 strchr(t->url.host, ':') ? "[%s]:%d" : "%s:%d", t->url.host,
                 t->url.port);
        return HW_OK;
}

void hw_redis_target_wipe(hw_redis_target_t *t) {
        hw_wipe(t->password, sizeof(t->password));
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
                "LOADING",    "BUSY",     "OOM",        "READONLY",
                "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN"};
        static const char *const credentials[] = {"NOAUTH", "WRONGPASS",
                                                  "NOPERM"};

        if (coded(error, transient, sizeof(transient) / sizeof(*transient)))
                return HW_REDIS_TRANSIENT;
        if (coded(error, credentials,
                  sizeof(credentials) / sizeof(*credentials)))
                return HW_REDIS_CREDENTIALS;
        return HW_REDIS_REFUSED;
}

hw_err_t hw_redis_error(const hw_redis_target_t *t, const char *error,
                        const char *what, hw_redis_fault_t *fault, char *errstr,
                        size_t size) {
        hw_redis_fault_t f = hw_redis_fault(error);

        if (fault)
                *fault = f;
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
static hw_err_t setup(redisContext *ctx, const hw_redis_target_t *t,
                      const char *what, hw_redis_fault_t *fault, char *errstr,
                      size_t size, int argc, const char **argv) {
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

redisContext *hw_redis_connect(const hw_redis_target_t *t,
                               int command_timeout_ms, hw_err_t *err,
                               hw_redis_fault_t *fault, char *errstr,
                               size_t size) {
        struct timeval ct = {CONNECT_TIMEOUT_MS / 1000,
                             (CONNECT_TIMEOUT_MS % 1000) * 1000};
        struct timeval rt = {command_timeout_ms / 1000,
                             (command_timeout_ms % 1000) * 1000};
        redisContext *ctx =
                redisConnectWithTimeout(t->url.host, t->url.port, ct);
        char db[16];

        *fault = HW_REDIS_REFUSED;
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
                          (const char *[]){"PING"}))) {
                redisFree(ctx);
                return NULL;
        }
        return ctx;
}

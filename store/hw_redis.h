/*
 * The Redis connection as every hirewire program makes it, and the one
 * reading of Redis's error replies.
 *
 * Where: the config's redis.url; the password from redis.password, else
 * REDIS_PASSWORD, else the URL. A connection is made with a 2 s connect
 * timeout, AUTH (with the URL's user when it has one), SELECT when the URL
 * names a database, and a PING, so a server that wants a password says so
 * at once.
 *
 * Through Redis Sentinel (redis-sentinel://), every connection first asks
 * the sentinels in turn, from the one that answered last, where the
 * primary is (SENTINEL get-master-addr-by-name; a sentinel that wants a
 * password gets the same AUTH), connects there, and checks with ROLE that
 * it is a primary. A primary that says READONLY has been demoted: the
 * caller closes the connection (hw_redis_primary_moved) and the next one
 * asks the sentinels again, as does any connection after one that broke.
 */
#ifndef HW_REDIS_H
#define HW_REDIS_H

#include <hiredis/hiredis.h>

#include "hw_config.h"
#include "hw_err.h"

/* What an error reply says about whose fault it is. */
typedef enum hw_redis_fault_e {
        HW_REDIS_REFUSED = 0, /* the command's: Redis will refuse it again */
        HW_REDIS_TRANSIENT,   /* a state the server leaves: LOADING, BUSY,
                                   OOM, READONLY, MASTERDOWN, TRYAGAIN,
                                   CLUSTERDOWN, NOREPLICAS */
        HW_REDIS_CREDENTIALS, /* NOAUTH, WRONGPASS, NOPERM: a secret that
                                   may yet be rotated in */
} hw_redis_fault_t;

/* Where to connect and as whom. */
typedef struct hw_redis_target_s {
        hw_redis_url_t url; /* its password wiped: see password */
        char password[256];
        /* For messages: host:port ([host]:port for IPv6); through
         * Sentinel "host:port (primary NAME via sentinels h:p,...)", or
         * "primary NAME via sentinels h:p,..." before one was found. */
        char addr[1200];
        hw_redis_host_t primary; /* Sentinel: the primary found last */
        int first_sentinel;      /* the sentinel asked first */
        int moved;               /* the primary said READONLY */
        /* The number of the last connection made, among all those the
         * process made. */
        unsigned long connection;
} hw_redis_target_t;

/* Fills t from conf. HW_ERR_ARG naming what is wrong with the URL. */
hw_err_t hw_redis_target(hw_redis_target_t *t, const hw_config_t *conf,
                         char *errstr, size_t errstr_size);

/* Overwrites the password. */
void hw_redis_target_wipe(hw_redis_target_t *t);

/* Whether the server of a Sentinel target answered READONLY since the
 * last connection: it is no longer the primary, so the connection should
 * be closed for the next one to ask the sentinels again. Always 0 for a
 * redis:// target. */
int hw_redis_primary_moved(const hw_redis_target_t *t);

/* The fault of an error reply's text. */
hw_redis_fault_t hw_redis_fault(const char *error);

/*
 * The error of an error reply to `what`, in errstr ("Redis at ADDR: what:
 * ERROR", with a hint on credentials): HW_ERR_SERVICE for a transient
 * state or refused credentials (retried: the server or the secret may
 * change), HW_ERR_INTERNAL for a command Redis refuses. *fault, when not
 * NULL, says which. READONLY marks a Sentinel target's primary as moved
 * (hw_redis_primary_moved).
 */
hw_err_t hw_redis_error(hw_redis_target_t *t, const char *error,
                        const char *what, hw_redis_fault_t *fault, char *errstr,
                        size_t errstr_size);

/* The error of a command that got no reply (the connection broke or
 * timed out): HW_ERR_SERVICE, "Redis at ADDR: what: why". */
hw_err_t hw_redis_lost(const hw_redis_target_t *t, const redisContext *ctx,
                       const char *what, char *errstr, size_t errstr_size);

/*
 * Connects, with command_timeout_ms for each command after: NULL with
 * HW_ERR_SERVICE in *err and errstr saying why (unreachable, a transient
 * state, refused credentials: *fault says which; HW_REDIS_REFUSED when
 * Redis did not answer), or HW_ERR_INTERNAL (a database Redis refuses to
 * SELECT). Through Sentinel it first finds the primary (t->primary and
 * t->addr name it): no sentinel knowing it, or a server found that is not
 * a primary (ROLE), is HW_ERR_SERVICE with a transient fault.
 */
redisContext *hw_redis_connect(hw_redis_target_t *t, int command_timeout_ms,
                               hw_err_t *err, hw_redis_fault_t *fault,
                               char *errstr, size_t errstr_size);

#endif

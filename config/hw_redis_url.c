/*
 * Redis URLs (redis.url): redis://[[user]:password@]host[:port][/db], and
 * for a primary found through Redis Sentinel
 * redis-sentinel://[[user]:password@]host[:port][,host[:port]...][/db]#master
 * (the form Lettuce reads; each sentinel on port 26379 unless given).
 * Percent-decoded; the password is a secret, never quoted in an error.
 */
#include "hw_config_int.h"

static int hexval(char ch) {
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        return -1;
}

/*
 * Copies s[0..n) into out, decoding %XX (a '%' not followed by two hex
 * digits is kept as is). Returns 0, -1 if it does not fit, -2 if it decodes
 * to a NUL byte.
 */
static int pct_decode(const char *s, size_t n, char *out, size_t out_size) {
        size_t w = 0;
        for (size_t i = 0; i < n; i++) {
                char ch = s[i];
                if (ch == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
                    hexval(s[i + 2]) >= 0) {
                        ch = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
                        if (ch == '\0')
                                return -2;
                        i += 2;
                }
                if (w + 1 >= out_size)
                        return -1;
                out[w++] = ch;
        }
        out[w] = '\0';
        return 0;
}

/* Where the user info ends in s[0..n): its last '@' (the host part holds
 * none, so a password may hold a raw '@' or '/'), or NULL. */
static const char *last_at(const char *s, size_t n) {
        while (n > 0)
                if (s[--n] == '@')
                        return s + n;
        return NULL;
}

/* Reads one host[:port] of s[0..n) into h, port dflt when none is given;
 * NULL, or what is wrong. */
static const char *read_host(const char *s, size_t n, int dflt,
                             hw_redis_host_t *h) {
        const char *host, *why;
        size_t host_len;
        int port;

        if ((why = hw_conf_split_host_port(s, n, &host, &host_len, &port)))
                return why;
        if (host_len >= sizeof(h->host))
                return "host longer than 255 bytes";
        if (port == 0)
                return "port is not a number in 1..65535";
        memcpy(h->host, host, host_len);
        h->host[host_len] = '\0';
        h->port = port > 0 ? port : dflt;
        return NULL;
}

/* The #master of a redis-sentinel:// URL (master, n bytes) into out;
 * NULL, or what is wrong. */
static const char *read_master(const char *master, size_t n,
                               hw_redis_url_t *out) {
        int rc;

        if (!n)
                return "empty primary name after '#'";
        rc = pct_decode(master, n, out->master, sizeof(out->master));
        if (rc == -1)
                return "primary name longer than 255 bytes";
        if (rc == -2)
                return "primary name holds %00";
        for (const char *c = out->master; *c; c++)
                if ((unsigned char)*c <= ' ' || *c == 0x7f)
                        return "primary name holds a space or control "
                               "character";
        return NULL;
}

hw_err_t hw_redis_url_parse(const char *url, hw_redis_url_t *out, char *errstr,
                            size_t size) {
        static const char usage[] =
                "redis://[[user]:password@]host[:port][/db]";
        static const char sentinel_usage[] =
                "redis-sentinel://[[user]:password@]host[:port]"
                "[,host[:port]...][/db]#master";
        const char *p, *at, *hp, *end, *slash, *hash = NULL;
        const char *why, *shown = usage;
        char where[80];
        int rc, sentinel = 0;

        memset(out, 0, sizeof(*out));
        out->port = 6379;
        if (!url || !*url)
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "empty URL, expected %s or %s", usage,
                               sentinel_usage);
        if (!strncasecmp(url, "redis-sentinel://", 17)) {
                sentinel = 1;
                shown = sentinel_usage;
                p = url + 17;
        } else if (!strncasecmp(url, "redis://", 8)) {
                p = url + 8;
        } else if (!strncasecmp(url, "rediss://", 9)) {
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "rediss:// (TLS) is not supported, "
                               "expected %s",
                               usage);
        } else if (!strncasecmp(url, "rediss-sentinel://", 18)) {
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "rediss-sentinel:// (TLS) is not supported, "
                               "expected %s",
                               sentinel_usage);
        } else {
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "not a redis:// URL, expected %s (or %s for "
                               "a primary found through Redis Sentinel)",
                               usage, sentinel_usage);
        }
        end = p + strlen(p);

        /* The primary's name follows the last '#'; one with an '@' after
         * it is a '#' inside the password, and the name is missing. */
        if (sentinel) {
                hash = strrchr(p, '#');
                if (!hash || memchr(hash, '@', (size_t)(end - hash))) {
                        why = "no #master at the end: the name the "
                              "sentinels know the primary by (a '#' in "
                              "the password is written %23)";
                        goto fail;
                }
                if ((why = read_master(hash + 1, (size_t)(end - hash - 1),
                                       out)))
                        goto fail;
                end = hash;
        }

        at = last_at(p, (size_t)(end - p));
        if (at) {
                const char *colon = memchr(p, ':', (size_t)(at - p));
                const char *pass = p;
                if (colon) {
                        /* "user:password@" or ":password@" */
                        rc = pct_decode(p, (size_t)(colon - p), out->username,
                                        sizeof(out->username));
                        if (rc) {
                                why = rc == -1 ? "user name longer than 127 "
                                                 "bytes"
                                               : "user name holds %00";
                                goto fail;
                        }
                        pass = colon + 1;
                }
                /* Without ':' the user info is a password, as redis-cli
                 * reads it. */
                rc = pct_decode(pass, (size_t)(at - pass), out->password,
                                sizeof(out->password));
                if (rc) {
                        why = rc == -1 ? "password longer than 255 bytes"
                                       : "password holds %00";
                        goto fail;
                }
                if (out->username[0] && !out->password[0]) {
                        why = "a user name needs a password "
                              "(redis://user:password@host)";
                        goto fail;
                }
                hp = at + 1;
        } else {
                hp = p;
        }

        slash = memchr(hp, '/', (size_t)(end - hp));
        if (!slash)
                slash = end;
        if (sentinel) {
                const char *h = hp;
                if (h == slash) {
                        why = "no sentinel host";
                        goto fail;
                }
                for (int i = 1;; i++) {
                        const char *comma = memchr(h, ',', (size_t)(slash - h));
                        const char *stop = comma ? comma : slash;
                        if (out->n_sentinels == HW_REDIS_SENTINELS_MAX) {
                                why = "more than 16 sentinels";
                                goto fail;
                        }
                        why = read_host(h, (size_t)(stop - h), 26379,
                                        &out->sentinels[out->n_sentinels++]);
                        if (why) {
                                snprintf(where, sizeof(where),
                                         "sentinel %d: %s", i, why);
                                why = where;
                                goto fail;
                        }
                        if (!comma)
                                break;
                        h = comma + 1;
                }
                out->port = 0;
        } else {
                hw_redis_host_t h = {"", 0};
                if ((why = read_host(hp, (size_t)(slash - hp), 6379, &h)))
                        goto fail;
                memcpy(out->host, h.host, sizeof(out->host));
                out->port = h.port;
        }
        if (slash < end && slash + 1 < end) {
                int64_t db;
                if (hw_conf_parse_whole_n(slash + 1, (size_t)(end - slash - 1),
                                          &db) ||
                    db > 2147483647) {
                        why = "database is not a number in 0..2147483647";
                        goto fail;
                }
                out->db = (int)db;
        }
        return HW_OK;

fail:
        hw_wipe(out, sizeof(*out));
        out->port = 6379;
        return hw_fail(HW_ERR_ARG, errstr, size, "%s (expected %s)", why,
                       shown);
}

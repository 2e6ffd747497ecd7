/*
 * redis:// URLs (redis.url): redis://[[user]:password@]host[:port][/db],
 * percent-decoded; the password is a secret, never quoted in an error.
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

hw_err_t hw_redis_url_parse(const char *url, hw_redis_url_t *out, char *errstr,
                            size_t size) {
        static const char usage[] =
                "redis://[[user]:password@]host[:port][/db]";
        const char *p, *at, *hp, *end, *slash, *host;
        size_t host_len;
        const char *why;
        int port, rc;

        memset(out, 0, sizeof(*out));
        out->port = 6379;
        if (!url || !*url)
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "empty URL, expected %s", usage);
        if (strncasecmp(url, "redis://", 8) != 0) {
                if (!strncasecmp(url, "rediss://", 9))
                        return hw_fail(HW_ERR_ARG, errstr, size,
                                       "rediss:// (TLS) is not supported, "
                                       "expected %s",
                                       usage);
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "not a redis:// URL, expected %s", usage);
        }
        p = url + 8;

        /* The host part cannot hold '@', so the last one ends the user
         * info: a password may then hold a raw '@' or '/'. */
        at = strrchr(p, '@');
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

        end = hp + strlen(hp);
        slash = strchr(hp, '/');
        if (!slash)
                slash = end;
        why = hw_conf_split_host_port(hp, (size_t)(slash - hp), &host,
                                      &host_len, &port);
        if (why)
                goto fail;
        if (host_len >= sizeof(out->host)) {
                why = "host longer than 255 bytes";
                goto fail;
        }
        memcpy(out->host, host, host_len);
        out->host[host_len] = '\0';
        if (port == 0) {
                why = "port is not a number in 1..65535";
                goto fail;
        }
        if (port > 0)
                out->port = port;
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
                       usage);
}

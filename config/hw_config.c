/*
 * hirewire-consumer configuration: defaults, one setter per key (driven by
 * the key table below), the `key = value` file reader, validation. The
 * country files are read by hw_countries.c, redis:// URLs parsed by
 * hw_redis_url.c.
 *
 * Secrets (redis.password, the password inside redis.url, kafka.* values
 * such as sasl.password) never appear in an error message, and their
 * memory is wiped before it is freed.
 */
#include "hw_config_int.h"

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

/* Frees a string that may hold a secret, wiping it first. Accepts NULL. */
static void free_secret(char *s) {
        if (s) {
                hw_wipe(s, strlen(s));
                free(s);
        }
}

static int is_space(char ch) {
        return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' ||
               ch == '\f' || ch == '\v';
}

/* Trims ASCII whitespace at both ends, in place. */
char *hw_conf_trim(char *s) {
        char *end;
        while (is_space(*s))
                s++;
        end = s + strlen(s);
        while (end > s && is_space(end[-1]))
                end--;
        *end = '\0';
        return s;
}

/* True if s has a byte < 0x20, 0x7f, or (when no_space) a space. */
static int has_bad_char(const char *s, int no_space) {
        for (; *s; s++) {
                unsigned char ch = (unsigned char)*s;
                if (ch < 0x20 || ch == 0x7f || (no_space && ch == ' '))
                        return 1;
        }
        return 0;
}

/*
 * Parses a whole decimal number: digits only, no sign, no spaces. Returns 0
 * and sets *out, -1 if s is not a whole number, -2 if it is larger than
 * INT64_MAX.
 */
int hw_conf_parse_whole(const char *s, int64_t *out) {
        int64_t v = 0;
        if (!*s)
                return -1;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -1;
                if (v > (INT64_MAX - (*s - '0')) / 10) {
                        while (*s >= '0' && *s <= '9')
                                s++;
                        return *s ? -1 : -2;
                }
                v = v * 10 + (*s - '0');
        }
        *out = v;
        return 0;
}

/* Like parse_whole for the n bytes at s. */
int hw_conf_parse_whole_n(const char *s, size_t n, int64_t *out) {
        char buf[24];
        if (n == 0 || n >= sizeof(buf)) {
                for (size_t i = 0; i < n; i++)
                        if (s[i] < '0' || s[i] > '9')
                                return -1;
                return n ? -2 : -1;
        }
        memcpy(buf, s, n);
        buf[n] = '\0';
        return hw_conf_parse_whole(buf, out);
}

static int host_char(char ch) {
        return isalnum((unsigned char)ch) || ch == '.' || ch == '-' ||
               ch == '_';
}

/*
 * Splits s[0..len) into host and port: "host", "host:port", "[v6]" or
 * "[v6]:port". The host is checked (letters, digits, '.', '-', '_'; inside
 * brackets hex digits, ':', '.', and a "%zone"). *port is -1 when no port is
 * given. Returns NULL or a static description of what is wrong (never
 * quoting s, which may be part of a URL holding a password).
 */
const char *hw_conf_split_host_port(const char *s, size_t len,
                                    const char **host, size_t *host_len,
                                    int *port) {
        const char *p, *end = s + len, *colon;
        *port = -1;
        if (len > 0 && s[0] == '[') {
                const char *close = memchr(s, ']', len);
                if (!close)
                        return "IPv6 address without its closing ']'";
                *host = s + 1;
                *host_len = (size_t)(close - s - 1);
                if (*host_len == 0)
                        return "empty host";
                for (p = *host; p < close; p++) {
                        if (*p == '%') { /* zone id: fe80::1%eth0 */
                                if (p + 1 == close)
                                        return "empty IPv6 zone";
                                for (p++; p < close; p++)
                                        if (!host_char(*p))
                                                return "invalid character in "
                                                       "IPv6 zone";
                                break;
                        }
                        if (!isxdigit((unsigned char)*p) && *p != ':' &&
                            *p != '.')
                                return "invalid character in IPv6 address";
                }
                if (!memchr(*host, ':', *host_len))
                        return "not an IPv6 address inside [...]";
                colon = close + 1;
                if (colon == end)
                        return NULL;
                if (*colon != ':')
                        return "unexpected text after ']'";
        } else {
                colon = memchr(s, ':', len);
                *host = s;
                *host_len = colon ? (size_t)(colon - s) : len;
                if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
                        return "an IPv6 address must be written in [brackets]";
                if (*host_len == 0)
                        return "empty host";
                for (p = s; p < s + *host_len; p++)
                        if (!host_char(*p))
                                return "invalid character in host";
                if (!colon)
                        return NULL;
        }
        /* colon points at ':' before the port. */
        {
                int64_t v;
                if (hw_conf_parse_whole_n(colon + 1, (size_t)(end - colon - 1),
                                          &v) ||
                    v > 65535)
                        return "port is not a number in 0..65535";
                *port = (int)v;
        }
        return NULL;
}

/* ------------------------------------------------------------------ */
/* The key table                                                       */
/* ------------------------------------------------------------------ */

typedef enum conf_kind_e {
        K_NAME,      /* non-empty, no spaces or control bytes (group) */
        K_TOPIC,     /* a legal Kafka topic name */
        K_PREFIX,    /* Redis key prefix */
        K_PATH,      /* non-empty file name */
        K_REDIS_URL, /* redis:// URL (may hold a password) */
        K_SECRET,    /* redis.password */
        K_METRICS,   /* host:port or "off" */
        K_INT,       /* int field, range min..max */
        K_SIZE,      /* size_t field */
        K_I64,       /* int64_t field */
        K_WINDOWS,
        K_LEVEL,
        K_DOUBLE,    /* double field, range min..max */
        K_BROKERS,   /* c->kafka.brokers (const char *, owned) */
        K_BOOTSTRAP, /* c->kafka.bootstrap_file */
        K_HTTP_URLS, /* http(s) URLs, comma-separated, may hold a password;
                      * empty = unset */
        K_OUTAGE     /* "retry" (0) or "dlq" (1) */
} conf_kind_t;

typedef struct conf_key_s {
        const char *key;
        conf_kind_t kind;
        size_t off; /* offset of the field in hw_config_t */
        int64_t min, max;
} conf_key_t;

#define F(field) offsetof(hw_config_t, field)

static const conf_key_t conf_keys[] = {
        {"brokers", K_BROKERS, 0, 0, 0},
        {"bootstrap.file", K_BOOTSTRAP, 0, 0, 0},
        {"group", K_NAME, F(group), 0, 0},
        {"topic.hires", K_TOPIC, F(topic_hires), 0, 0},
        {"topic.offers", K_TOPIC, F(topic_offers), 0, 0},
        {"topic.dlq", K_TOPIC, F(topic_dlq), 0, 0},
        {"topic.alerts", K_TOPIC, F(topic_alerts), 0, 0},
        {"redis.url", K_REDIS_URL, F(redis_url), 0, 0},
        {"redis.password", K_SECRET, F(redis_password), 0, 0},
        {"prefix", K_PREFIX, F(prefix), 0, 0},
        {"alerts.prefix", K_PREFIX, F(alerts_prefix), 1,
         0}, /* min 1: optional */
        {"windows", K_WINDOWS, 0, 1, CONF_WINDOW_MAX_DAYS},
        {"mega.threshold.usd", K_I64, F(mega_threshold_usd), 0, HW_MONEY_MAX},
        {"max.message.bytes", K_SIZE, F(max_message_bytes), 64, 100 * CONF_MIB},
        {"dlq.max.message.bytes", K_SIZE, F(dlq_max_message_bytes), 1024,
         900 * CONF_MIB},
        {"batch.max.events", K_INT, F(batch_max_events), 1, 1000000},
        {"batch.max.ms", K_INT, F(batch_max_ms), 1, 60000},
        {"outage.wait.ms", K_INT, F(outage_wait_ms), 0, 86400000},
        {"dedup.days", K_INT, F(seen_days), 1, 3650},
        {"seen.days", K_INT, F(seen_days), 1, 3650}, /* dedup.days's old name */
        {"metrics.addr", K_METRICS, F(metrics_addr), 0, 0},
        {"country.bases.file", K_PATH, F(bases_file), 0, 0},
        {"country.groups.file", K_PATH, F(groups_file), 0, 0},
        {"archive.dir", K_PATH, F(archive_dir), 0, 0},
        {"log.level", K_LEVEL, F(log_level), 0, 0},
        {"alerts.stream.maxlen", K_INT, F(alerts_maxlen), 1, 100000000},
        {"alerts.relay.enabled", K_INT, F(alerts_relay), 0, 1},
        {"alerts.webhook.url", K_PATH, F(alert_webhook_url), 0, 0},
        {"alerts.webhook.timeout.ms", K_INT, F(alert_webhook_timeout_ms), 10,
         600000},
        {"alerts.webhook.retry.min.ms", K_INT, F(alert_webhook_retry_min_ms), 1,
         600000},
        {"alerts.webhook.retry.max.ms", K_INT, F(alert_webhook_retry_max_ms), 1,
         3600000},
        {"alerts.mega_offer.enabled", K_INT, F(alert_mega_offer), 0, 1},
        {"alerts.mega_offer.usd", K_I64, F(alert_mega_offer_usd), 0,
         HW_MONEY_MAX},
        {"alerts.top_tier_move.enabled", K_INT, F(alert_top_tier_move), 0, 1},
        {"alerts.raid.enabled", K_INT, F(alert_raid), 0, 1},
        {"alerts.raid.count", K_INT, F(alert_raid_count), 2, 100000},
        {"alerts.raid.days", K_INT, F(alert_raid_days), 1, 365},
        {"alerts.brain_drain.enabled", K_INT, F(alert_brain_drain), 0, 1},
        {"alerts.brain_drain.index", K_DOUBLE, F(alert_drain_index), -10000,
         10000},
        {"alerts.brain_drain.days", K_INT, F(alert_drain_days), 1,
         CONF_WINDOW_MAX_DAYS},
        {"schema.registry.url", K_HTTP_URLS, F(registry_url), 0, 0},
        {"schema.registry.basic.auth.user.info", K_SECRET,
         F(registry_user_info), 0, 0},
        {"schema.registry.ssl.ca.location", K_PATH, F(registry_ca), 0, 0},
        {"schema.registry.ssl.certificate.location", K_PATH, F(registry_cert),
         0, 0},
        {"schema.registry.ssl.key.location", K_PATH, F(registry_key), 0, 0},
        {"schema.registry.ssl.key.password", K_SECRET, F(registry_key_password),
         0, 0},
        {"schema.registry.timeout.ms", K_INT, F(registry_timeout_ms), 100,
         600000},
        {"schema.registry.cache.max", K_INT, F(registry_cache_max), 1, 1000000},
        {"schema.registry.unavailable", K_OUTAGE, F(registry_outage_dlq), 0, 0},
        {"schema.registry.auto.register", K_INT, F(registry_auto_register), 0,
         1},
};

#define N_CONF_KEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

static const conf_key_t *find_key(const char *key) {
        for (size_t i = 0; i < N_CONF_KEYS; i++)
                if (!strcmp(conf_keys[i].key, key))
                        return &conf_keys[i];
        return NULL;
}

static char **str_field(hw_config_t *c, const conf_key_t *k) {
        return (char **)((char *)c + k->off);
}

static char *const *cstr_field(const hw_config_t *c, const conf_key_t *k) {
        return (char *const *)((const char *)c + k->off);
}

/* ------------------------------------------------------------------ */
/* Value checks shared by hw_config_set() and hw_config_validate()     */
/* ------------------------------------------------------------------ */

/* Checks a topic name as Kafka does. */
static const char *topic_problem(const char *v) {
        if (!*v)
                return "must not be empty";
        if (strlen(v) > CONF_TOPIC_MAX)
                return "longer than 249 bytes";
        if (!strcmp(v, ".") || !strcmp(v, ".."))
                return "\".\" and \"..\" are not topic names";
        for (const char *p = v; *p; p++)
                if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' &&
                    *p != '-')
                        return "may only hold letters, digits, '.', '_' "
                               "and '-'";
        return NULL;
}

/*
 * Checks the value of a string key. Returns NULL when it is fine, else
 * writes "key: why" into errstr and returns errstr. Secret values are never
 * quoted.
 */
static const char *string_problem(const conf_key_t *k, const char *v,
                                  char *errstr, size_t size) {
        const char *why = NULL;
        switch (k->kind) {
        case K_NAME:
                if (!*v)
                        why = "must not be empty";
                else if (strlen(v) > CONF_NAME_MAX)
                        why = "longer than 255 bytes";
                else if (has_bad_char(v, 1))
                        why = "must not contain spaces or control characters";
                break;
        case K_TOPIC:
                why = topic_problem(v);
                break;
        case K_PREFIX:
                if (!*v)
                        why = "must not be empty";
                else if (strlen(v) > CONF_PREFIX_MAX)
                        why = "longer than 64 bytes";
                else if (has_bad_char(v, 1))
                        why = "must not contain spaces or control characters";
                break;
        case K_PATH:
        case K_BROKERS:
        case K_BOOTSTRAP:
                if (!*v)
                        why = "must not be empty";
                else if (has_bad_char(v, k->kind == K_BROKERS))
                        why = k->kind == K_BROKERS
                                      ? "must not contain spaces or control "
                                        "characters"
                                      : "must not contain control characters";
                break;
        case K_REDIS_URL: {
                hw_redis_url_t u;
                char uerr[256];
                hw_err_t err = hw_redis_url_parse(v, &u, uerr, sizeof(uerr));
                hw_wipe(&u, sizeof(u));
                if (err) {
                        hw_fail(HW_ERR_ARG, errstr, size, "%s: %s", k->key,
                                uerr);
                        return errstr;
                }
                return NULL;
        }
        case K_SECRET:
                if (strlen(v) >= sizeof(((hw_redis_url_t *)0)->password))
                        why = "longer than 255 bytes";
                break;
        case K_HTTP_URLS:
                /* Each URL may carry user:password@: never quoted. */
                for (const char *u = v; *u;) {
                        u += strspn(u, " ,");
                        if (*u && strncmp(u, "http://", 7) &&
                            strncmp(u, "https://", 8)) {
                                why = "expected http:// or https:// URLs, "
                                      "comma-separated";
                                break;
                        }
                        u += strcspn(u, ",");
                }
                if (!why && has_bad_char(v, 0))
                        why = "must not contain control characters";
                break;
        case K_METRICS: {
                const char *host;
                size_t hlen;
                int port;
                if (!strcmp(v, "off"))
                        break;
                why = hw_conf_split_host_port(v, strlen(v), &host, &hlen,
                                              &port);
                if (!why && port < 0)
                        why = "expected host:port (port 0 = any free port) "
                              "or \"off\"";
                if (why) {
                        hw_fail(HW_ERR_ARG, errstr, size, "%s: \"%.*s%s\": %s",
                                k->key, SHOWN(v), why);
                        return errstr;
                }
                break;
        }
        default:
                break;
        }
        if (!why)
                return NULL;
        hw_fail(HW_ERR_ARG, errstr, size, "%s: %s", k->key, why);
        return errstr;
}

/* Checks a number against the key's range; "key: why" in errstr. */
static const char *range_problem(const conf_key_t *k, int64_t v, char *errstr,
                                 size_t size) {
        if (v >= k->min && v <= k->max)
                return NULL;
        hw_fail(HW_ERR_ARG, errstr, size,
                "%s: %" PRId64 " is out of range %" PRId64 "..%" PRId64, k->key,
                v, k->min, k->max);
        return errstr;
}

/*
 * Parses "7d,30d,90d,365d" (spaces around items allowed, "all" skipped
 * since it is always kept) into sorted unique days. On error out is
 * untouched.
 */
static hw_err_t parse_windows(const conf_key_t *k, const char *value, int *out,
                              size_t *n_out, char *errstr, size_t size) {
        int days[HW_CONFIG_MAX_WINDOWS];
        size_t n = 0;
        const char *p = value;
        int first = 1;

        for (;; first = 0) {
                const char *start, *end;
                size_t len, i;
                int64_t v = INT64_MAX;

                while (is_space(*p))
                        p++;
                start = p;
                while (*p && *p != ',')
                        p++;
                end = p;
                while (end > start && is_space(end[-1]))
                        end--;
                len = (size_t)(end - start);
                if (len == 0) {
                        if (first && !*p)
                                break; /* empty value: reported below */
                        return hw_fail(HW_ERR_ARG, errstr, size,
                                       "%s: empty item in \"%.*s%s\"", k->key,
                                       SHOWN(value));
                }
                if (len == 3 && !strncmp(start, "all", 3))
                        goto next;
                if (len < 2 || start[len - 1] != 'd' ||
                    hw_conf_parse_whole_n(start, len - 1, &v) == -1)
                        return hw_fail(HW_ERR_ARG, errstr, size,
                                       "%s: \"%.*s\" is not a number of days "
                                       "like 30d",
                                       k->key,
                                       len > CONF_SHOW ? CONF_SHOW : (int)len,
                                       start);
                if (len - 1 > 9 || v < k->min || v > k->max)
                        return hw_fail(HW_ERR_ARG, errstr, size,
                                       "%s: \"%.*s\" is out of range "
                                       "%" PRId64 "d..%" PRId64 "d",
                                       k->key,
                                       len > CONF_SHOW ? CONF_SHOW : (int)len,
                                       start, k->min, k->max);
                for (i = 0; i < n && days[i] < v; i++)
                        ;
                if (i == n || days[i] != v) {
                        if (n == HW_CONFIG_MAX_WINDOWS)
                                return hw_fail(HW_ERR_ARG, errstr, size,
                                               "%s: more than %d windows",
                                               k->key, HW_CONFIG_MAX_WINDOWS);
                        memmove(&days[i + 1], &days[i],
                                (n - i) * sizeof(days[0]));
                        days[i] = (int)v;
                        n++;
                }
        next:
                if (!*p)
                        break;
                p++; /* ',' */
        }
        if (n == 0)
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "%s: no day window given (like "
                               "7d,30d,90d,365d)",
                               k->key);
        memcpy(out, days, n * sizeof(days[0]));
        *n_out = n;
        return HW_OK;
}

/* ------------------------------------------------------------------ */
/* init / release / set                                                */
/* ------------------------------------------------------------------ */

hw_err_t hw_config_init(hw_config_t *c) {
        static const hw_config_t defaults = {
                .windows = {7, 30, 90, 365},
                .n_windows = 4,
                .mega_threshold_usd = INT64_C(100000000),
                .max_message_bytes = 65536,
                .dlq_max_message_bytes = 1000000,
                .batch_max_events = 5000,
                .batch_max_ms = 10,
                .outage_wait_ms = 60000,
                .seen_days = 365,
                .log_level = HW_LOG_INFO,
                .alerts_maxlen = 10000,
                .alerts_relay = 1,
                .alert_webhook_timeout_ms = 5000,
                .alert_webhook_retry_min_ms = 200,
                .alert_webhook_retry_max_ms = 30000,
                .alert_mega_offer = 1,
                .alert_mega_offer_usd = INT64_C(100000000),
                .alert_top_tier_move = 1,
                .alert_raid = 1,
                .alert_raid_count = 4,
                .alert_raid_days = 30,
                .alert_brain_drain = 1,
                .alert_drain_index = -0.30,
                .alert_drain_days = 365,
                .registry_timeout_ms = 5000,
                .registry_cache_max = 1000,
                .registry_auto_register = 1,
        };
        static const struct {
                size_t off;
                const char *value;
        } strings[] = {
                {F(group), "hirewire"},
                {F(topic_hires), "talent.hires"},
                {F(topic_offers), "talent.offers"},
                {F(topic_dlq), "talent.dlq"},
                {F(topic_alerts), "talent.alerts"},
                {F(redis_url), "redis://127.0.0.1:6379"},
                {F(prefix), "hw:"},
                {F(metrics_addr), "127.0.0.1:9464"},
        };

        *c = defaults;
        for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
                char *s = strdup(strings[i].value);
                if (!s) {
                        hw_config_release(c);
                        return HW_ERR_NOMEM;
                }
                *(char **)((char *)c + strings[i].off) = s;
        }
        return HW_OK;
}

void hw_config_release(hw_config_t *c) {
        for (size_t i = 0; i < N_CONF_KEYS; i++) {
                const conf_key_t *k = &conf_keys[i];
                switch (k->kind) {
                case K_NAME:
                case K_TOPIC:
                case K_PREFIX:
                case K_PATH:
                case K_METRICS:
                        free(*str_field(c, k));
                        break;
                case K_REDIS_URL:
                case K_SECRET:
                case K_HTTP_URLS:
                        free_secret(*str_field(c, k));
                        break;
                default:
                        break;
                }
        }
        free((char *)c->kafka.brokers);
        free((char *)c->kafka.bootstrap_file);
        for (size_t i = 0; i < HW_KAFKA_MAX_PROPS; i++)
                free_secret(c->kafka_props[i]);
        for (size_t i = 0; i < c->n_groups && i < HW_CONFIG_MAX_GROUPS; i++)
                free(c->group_names[i]);
        memset(c, 0, sizeof(*c));
}

/* Replaces *field by a copy of value (NULL when value is empty and
 * empty_is_null). On failure *field is unchanged. */
static hw_err_t replace_string(char **field, const char *value, int secret,
                               int empty_is_null, const char *key, char *errstr,
                               size_t size) {
        char *copy = NULL;
        if (!(empty_is_null && !*value)) {
                copy = strdup(value);
                if (!copy)
                        return hw_fail(HW_ERR_NOMEM, errstr, size,
                                       "%s: out of memory", key);
        }
        if (secret)
                free_secret(*field);
        else
                free(*field);
        *field = copy;
        return HW_OK;
}

/*
 * Copies librdkafka's message msg into out with the value replaced by ***
 * where librdkafka quotes it ("Invalid value \"x\" for ...", "value x is
 * outside ..."): the value may be a secret. Returns 1 if the value still
 * shows up in out (the caller then drops the message).
 */
static int redact(const char *msg, const char *value, char *out, size_t size) {
        size_t vlen = strlen(value), w = 0;
        const char *p = msg;

        if (size == 0)
                return 1;
        while (*p && w + 1 < size) {
                if (vlen && (*p == '"' || *p == ' ') &&
                    !strncmp(p + 1, value, vlen) &&
                    (p[1 + vlen] == (*p == '"' ? '"' : ' ') ||
                     (*p == ' ' && p[1 + vlen] == '\0'))) {
                        int n = snprintf(out + w, size - w, "%c***", *p);
                        if (n < 0 || (size_t)n >= size - w)
                                break;
                        w += (size_t)n;
                        p += 1 + vlen;
                        continue;
                }
                out[w++] = *p++;
        }
        out[w] = '\0';
        return vlen > 0 && strstr(out, value) != NULL;
}

/* kafka.<prop> = value: kept as "prop=value" in c->kafka_props[i], which
 * c->kafka.props[i] points to (same index). Setting a property again
 * replaces the earlier entry. */
static hw_err_t set_kafka_prop(hw_config_t *c, const char *key,
                               const char *value, char *errstr, size_t size) {
        const char *prop = key + strlen("kafka.");
        size_t plen = strlen(prop), i;
        char *kv;

        if (plen == 0)
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "%s: no librdkafka property after \"kafka.\"",
                               key);
        for (const char *p = prop; *p; p++)
                if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' &&
                    *p != '-')
                        return hw_fail(HW_ERR_ARG, errstr, size,
                                       "%.*s%s: not a librdkafka property "
                                       "name",
                                       SHOWN(key));

        /* Ask librdkafka now, so a typo is reported with its file and
         * line. plugin.library.paths is left to the real configuration:
         * setting it loads code. */
        if (strcmp(prop, "plugin.library.paths") != 0) {
                rd_kafka_conf_t *scratch = rd_kafka_conf_new();
                char rderr[512];
                rd_kafka_conf_res_t res;
                if (!scratch)
                        return hw_fail(HW_ERR_NOMEM, errstr, size,
                                       "%s: out of memory", key);
                rderr[0] = '\0';
                res = rd_kafka_conf_set(scratch, prop, value, rderr,
                                        sizeof(rderr));
                rd_kafka_conf_destroy(scratch);
                if (res == RD_KAFKA_CONF_UNKNOWN)
                        return hw_fail(HW_ERR_ARG, errstr, size,
                                       "%s: no such librdkafka property", key);
                if (res != RD_KAFKA_CONF_OK) {
                        char shown[512];
                        int leaks = redact(rderr, value, shown, sizeof(shown));
                        hw_wipe(rderr, sizeof(rderr));
                        if (leaks) {
                                hw_wipe(shown, sizeof(shown));
                                return hw_fail(HW_ERR_ARG, errstr, size,
                                               "%s: invalid value "
                                               "(rejected by librdkafka)",
                                               key);
                        }
                        return hw_fail(HW_ERR_ARG, errstr, size, "%s: %s", key,
                                       shown);
                }
        }

        kv = malloc(plen + 1 + strlen(value) + 1);
        if (!kv)
                return hw_fail(HW_ERR_NOMEM, errstr, size, "%s: out of memory",
                               key);
        memcpy(kv, prop, plen);
        kv[plen] = '=';
        strcpy(kv + plen + 1, value);

        for (i = 0; i < c->kafka.n_props; i++) {
                const char *old = c->kafka.props[i];
                if (old && !strncmp(old, prop, plen) && old[plen] == '=') {
                        char *owned = c->kafka_props[i];
                        c->kafka.props[i] = kv;
                        c->kafka_props[i] = kv; /* now owned by c */
                        free_secret(owned);     /* NULL if not ours */
                        return HW_OK;
                }
        }
        i = c->kafka.n_props;
        if (i >= HW_KAFKA_MAX_PROPS) {
                free_secret(kv);
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "%s: more than %d Kafka properties", key,
                               HW_KAFKA_MAX_PROPS);
        }
        {
                char kerr[256];
                if (hw_kafka_opts_add_prop(&c->kafka, kv, kerr, sizeof(kerr))) {
                        free_secret(kv);
                        return hw_fail(HW_ERR_ARG, errstr, size,
                                       "%s: cannot add the property", key);
                }
        }
        free_secret(c->kafka_props[i]); /* a stale entry, if any */
        c->kafka_props[i] = kv;         /* now owned by c */
        return HW_OK;
}

hw_err_t hw_config_set(hw_config_t *c, const char *key, const char *value,
                       char *errstr, size_t size) {
        const conf_key_t *k;
        int64_t v;

        if (!key || !*key)
                return hw_fail(HW_ERR_ARG, errstr, size, "empty key");
        if (!value)
                return hw_fail(HW_ERR_ARG, errstr, size, "%.*s%s: no value",
                               SHOWN(key));
        if (!strncmp(key, "kafka.", 6))
                return set_kafka_prop(c, key, value, errstr, size);
        k = find_key(key);
        if (!k)
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "unknown key \"%.*s%s\"", SHOWN(key));

        switch (k->kind) {
        case K_NAME:
        case K_TOPIC:
        case K_PREFIX:
        case K_PATH:
        case K_METRICS:
        case K_REDIS_URL:
        case K_SECRET:
        case K_HTTP_URLS: {
                int secret = k->kind != K_NAME && k->kind != K_TOPIC &&
                             k->kind != K_PREFIX && k->kind != K_PATH &&
                             k->kind != K_METRICS;
                if (string_problem(k, value, errstr, size))
                        return HW_ERR_ARG;
                /* An empty secret or URL list means "none". */
                return replace_string(str_field(c, k), value, secret,
                                      k->kind == K_SECRET ||
                                              k->kind == K_HTTP_URLS,
                                      key, errstr, size);
        }
        case K_OUTAGE:
                if (strcmp(value, "retry") && strcmp(value, "dlq"))
                        return hw_fail(HW_ERR_ARG, errstr, size,
                                       "%s: \"%.*s%s\" is not one of retry, "
                                       "dlq",
                                       key, SHOWN(value));
                *(int *)((char *)c + k->off) = !strcmp(value, "dlq");
                return HW_OK;
        case K_BROKERS:
        case K_BOOTSTRAP: {
                const char **field = k->kind == K_BROKERS
                                             ? &c->kafka.brokers
                                             : &c->kafka.bootstrap_file;
                char *copy;
                if (string_problem(k, value, errstr, size))
                        return HW_ERR_ARG;
                copy = strdup(value);
                if (!copy)
                        return hw_fail(HW_ERR_NOMEM, errstr, size,
                                       "%s: out of memory", key);
                free((char *)*field);
                *field = copy; /* now owned by c */
                return HW_OK;
        }
        case K_INT:
        case K_SIZE:
        case K_I64: {
                int rc = hw_conf_parse_whole(value, &v);
                if (rc == -1)
                        return hw_fail(HW_ERR_ARG, errstr, size,
                                       "%s: \"%.*s%s\" is not a whole number",
                                       key, SHOWN(value));
                if (rc == -2)
                        return hw_fail(HW_ERR_ARG, errstr, size,
                                       "%s: \"%.*s%s\" is out of range "
                                       "%" PRId64 "..%" PRId64,
                                       key, SHOWN(value), k->min, k->max);
                if (range_problem(k, v, errstr, size))
                        return HW_ERR_ARG;
                if (k->kind == K_INT)
                        *(int *)((char *)c + k->off) = (int)v;
                else if (k->kind == K_SIZE)
                        *(size_t *)((char *)c + k->off) = (size_t)v;
                else
                        *(int64_t *)((char *)c + k->off) = v;
                return HW_OK;
        }
        case K_WINDOWS:
                return parse_windows(k, value, c->windows, &c->n_windows,
                                     errstr, size);
        case K_DOUBLE: {
                char *end;
                double d;
                errno = 0;
                d = strtod(value, &end);
                if (end == value || *end || errno || !isfinite(d))
                        return hw_fail(HW_ERR_ARG, errstr, size,
                                       "%s: \"%.*s%s\" is not a number", key,
                                       SHOWN(value));
                if (d < (double)k->min || d > (double)k->max)
                        return hw_fail(HW_ERR_ARG, errstr, size,
                                       "%s: %g is out of range %" PRId64
                                       "..%" PRId64,
                                       key, d, k->min, k->max);
                *(double *)((char *)c + k->off) = d;
                return HW_OK;
        }
        case K_LEVEL: {
                int level = hw_log_level_parse(value);
                if (level < 0)
                        return hw_fail(HW_ERR_ARG, errstr, size,
                                       "%s: \"%.*s%s\" is not one of debug, "
                                       "info, warn, error",
                                       key, SHOWN(value));
                c->log_level = level;
                return HW_OK;
        }
        }
        return hw_fail(HW_ERR_INTERNAL, errstr, size, "%s: unhandled key", key);
}

/* ------------------------------------------------------------------ */
/* Config file                                                         */
/* ------------------------------------------------------------------ */

/*
 * Removes the quotes of a "..." value in place; inside, \" and \\ stand for
 * " and \ (any other backslash is kept). Returns NULL or what is wrong.
 */
static const char *unquote(char *v) {
        char *r = v + 1, *w = v;
        for (;;) {
                if (!*r)
                        return "unterminated quote";
                if (*r == '\\' && (r[1] == '"' || r[1] == '\\')) {
                        *w++ = r[1];
                        r += 2;
                        continue;
                }
                if (*r == '"')
                        break;
                *w++ = *r++;
        }
        if (r[1] != '\0')
                return "text after the closing quote";
        *w = '\0';
        return NULL;
}

hw_err_t hw_config_load_file(hw_config_t *c, const char *path, char *errstr,
                             size_t size) {
        FILE *fp = fopen(path, "r");
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        unsigned long lineno = 0;
        hw_err_t err = HW_OK;

        if (!fp)
                return hw_fail(HW_ERR_IO, errstr, size,
                               "cannot open config file %s: %s", path,
                               strerror(errno));
        while ((len = getline(&line, &cap, fp)) >= 0) {
                char *s = line, *eq, *key, *value;
                const char *why;
                char serr[512];

                lineno++;
                if (memchr(line, '\0', (size_t)len)) {
                        err = hw_fail(HW_ERR_ARG, errstr, size,
                                      "%s:%lu: NUL byte in line", path, lineno);
                        break;
                }
                if (lineno == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
                        s += 3; /* UTF-8 byte order mark */
                s = hw_conf_trim(s);
                if (!*s || *s == '#')
                        continue;
                eq = strchr(s, '=');
                if (!eq) {
                        err = hw_fail(HW_ERR_ARG, errstr, size,
                                      "%s:%lu: expected \"key = value\"", path,
                                      lineno);
                        break;
                }
                *eq = '\0';
                key = hw_conf_trim(s);
                value = hw_conf_trim(eq + 1);
                if (!*key) {
                        err = hw_fail(HW_ERR_ARG, errstr, size,
                                      "%s:%lu: no key before '='", path,
                                      lineno);
                        break;
                }
                if (*value == '"' && (why = unquote(value)) != NULL) {
                        err = hw_fail(HW_ERR_ARG, errstr, size,
                                      "%s:%lu: %.*s%s: %s", path, lineno,
                                      SHOWN(key), why);
                        break;
                }
                err = hw_config_set(c, key, value, serr, sizeof(serr));
                if (err) {
                        hw_fail(err, errstr, size, "%s:%lu: %s", path, lineno,
                                serr);
                        break;
                }
        }
        if (!err && ferror(fp))
                err = hw_fail(HW_ERR_IO, errstr, size,
                              "%s: read error after line %lu", path, lineno);
        if (line)
                hw_wipe(line, cap); /* it may have held a password */
        free(line);
        fclose(fp);
        return err;
}

hw_err_t hw_config_load_args(hw_config_t *c, int argc, char **argv,
                             const char **path, char *errstr, size_t size) {
        *path = NULL;
        for (int i = 1; i < argc; i++) {
                if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) &&
                    i + 1 < argc)
                        *path = argv[++i];
                else if (!strncmp(argv[i], "--config=", 9))
                        *path = argv[i] + 9;
                else if (!strcmp(argv[i], "--"))
                        break;
        }
        return *path ? hw_config_load_file(c, *path, errstr, size) : HW_OK;
}

int hw_config_common_flag(hw_config_t *c, int opt, const char *arg,
                          char *errstr, size_t size) {
        switch (opt) {
        case 'b':
                return hw_config_set(c, "brokers", arg, errstr, size) ? -1 : 1;
        case HW_OPT_BOOTSTRAP_FILE:
                return hw_config_set(c, "bootstrap.file", arg, errstr, size)
                               ? -1
                               : 1;
        case 'X':
        case 's':
                return hw_config_set_pair(c, opt == 'X' ? "-X" : "--set",
                                          opt == 'X' ? "kafka." : "", arg,
                                          errstr, size)
                               ? -1
                               : 1;
        case 'c':
                return 1;
        default:
                return 0;
        }
}

hw_err_t hw_config_set_pair(hw_config_t *c, const char *flag,
                            const char *key_prefix, const char *pair,
                            char *errstr, size_t size) {
        const char *eq = strchr(pair, '=');
        char key[256];

        if (!eq || eq == pair)
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "%s %.*s%s: expected key=value", flag,
                               SHOWN(eq ? "=..." : pair));
        if (snprintf(key, sizeof(key), "%s%.*s", key_prefix, (int)(eq - pair),
                     pair) >= (int)sizeof(key))
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "%s: key longer than %zu bytes", flag,
                               sizeof(key) - 1);
        return hw_config_set(c, key, eq + 1, errstr, size);
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */
/* ------------------------------------------------------------------ */

const char *hw_config_alerts_prefix(const hw_config_t *c) {
        return c->alerts_prefix ? c->alerts_prefix : c->prefix;
}

hw_registry_conf_t hw_config_registry(const hw_config_t *c) {
        return (hw_registry_conf_t){
                .url = c->registry_url,
                /* Like REDIS_PASSWORD: a secret kept out of config files. */
                .user_info = c->registry_user_info
                                     ? c->registry_user_info
                                     : getenv("SCHEMA_REGISTRY_BASIC_AUTH_USER_"
                                              "INFO"),
                .ca_location = c->registry_ca,
                .cert_location = c->registry_cert,
                .key_location = c->registry_key,
                .key_password = c->registry_key_password,
                .timeout_ms = c->registry_timeout_ms,
                .auto_register = c->registry_auto_register,
        };
}

hw_err_t hw_config_validate(const hw_config_t *c, char *errstr, size_t size) {
        for (size_t i = 0; i < N_CONF_KEYS; i++) {
                const conf_key_t *k = &conf_keys[i];
                const char *v;
                switch (k->kind) {
                case K_NAME:
                case K_TOPIC:
                case K_PREFIX:
                case K_METRICS:
                case K_REDIS_URL:
                        v = *cstr_field(c, k);
                        if (!v && k->kind == K_PREFIX && k->min)
                                break; /* optional */
                        if (!v)
                                return hw_fail(HW_ERR_ARG, errstr, size,
                                               "%s: not set", k->key);
                        if (string_problem(k, v, errstr, size))
                                return HW_ERR_ARG;
                        break;
                case K_PATH:
                case K_SECRET:
                case K_HTTP_URLS:
                        v = *cstr_field(c, k);
                        if (v && string_problem(k, v, errstr, size))
                                return HW_ERR_ARG;
                        break;
                case K_OUTAGE:
                        break;
                case K_BROKERS:
                case K_BOOTSTRAP:
                        v = k->kind == K_BROKERS ? c->kafka.brokers
                                                 : c->kafka.bootstrap_file;
                        if (v && string_problem(k, v, errstr, size))
                                return HW_ERR_ARG;
                        break;
                case K_INT:
                        if (range_problem(
                                    k, *(const int *)((const char *)c + k->off),
                                    errstr, size))
                                return HW_ERR_ARG;
                        break;
                case K_SIZE: {
                        size_t sv = *(const size_t *)((const char *)c + k->off);
                        if (sv > (size_t)k->max)
                                sv = (size_t)k->max + 1;
                        if (range_problem(k, (int64_t)sv, errstr, size))
                                return HW_ERR_ARG;
                        break;
                }
                case K_I64:
                        if (range_problem(k,
                                          *(const int64_t *)((const char *)c +
                                                             k->off),
                                          errstr, size))
                                return HW_ERR_ARG;
                        break;
                case K_WINDOWS:
                        if (c->n_windows == 0)
                                return hw_fail(HW_ERR_ARG, errstr, size,
                                               "%s: at least one day window "
                                               "is needed (like 30d)",
                                               k->key);
                        if (c->n_windows > HW_CONFIG_MAX_WINDOWS)
                                return hw_fail(HW_ERR_ARG, errstr, size,
                                               "%s: more than %d windows",
                                               k->key, HW_CONFIG_MAX_WINDOWS);
                        for (size_t w = 0; w < c->n_windows; w++)
                                if (c->windows[w] < k->min ||
                                    c->windows[w] > k->max ||
                                    (w > 0 &&
                                     c->windows[w] <= c->windows[w - 1]))
                                        return hw_fail(
                                                HW_ERR_ARG, errstr, size,
                                                "%s: days must be unique, "
                                                "ascending and in 1..3650",
                                                k->key);
                        break;
                case K_DOUBLE:
                        break; /* checked when set */
                case K_LEVEL:
                        if (c->log_level < HW_LOG_DEBUG ||
                            c->log_level > HW_LOG_ERROR)
                                return hw_fail(HW_ERR_ARG, errstr, size,
                                               "%s: not one of debug, info, "
                                               "warn, error",
                                               k->key);
                        break;
                }
        }

        /* Output topics must not be input topics: the consumer would read
         * its own dead letters or alerts. */
        {
                static const struct {
                        const char *out_key, *in_key;
                        size_t out, in;
                } pairs[] = {
                        {"topic.dlq", "topic.hires", F(topic_dlq),
                         F(topic_hires)},
                        {"topic.dlq", "topic.offers", F(topic_dlq),
                         F(topic_offers)},
                        {"topic.alerts", "topic.hires", F(topic_alerts),
                         F(topic_hires)},
                        {"topic.alerts", "topic.offers", F(topic_alerts),
                         F(topic_offers)},
                        {"topic.alerts", "topic.dlq", F(topic_alerts),
                         F(topic_dlq)},
                };
                for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
                        const char *a = *(char *const *)((const char *)c +
                                                         pairs[i].out);
                        const char *b =
                                *(char *const *)((const char *)c + pairs[i].in);
                        if (!strcmp(a, b))
                                return hw_fail(HW_ERR_ARG, errstr, size,
                                               "%s: must differ from %s "
                                               "(both \"%s\")",
                                               pairs[i].out_key,
                                               pairs[i].in_key, a);
                }
        }

        if (c->n_groups > HW_CONFIG_MAX_GROUPS)
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "country.groups.file: more than %d groups",
                               HW_CONFIG_MAX_GROUPS);
        if (c->n_countries > HW_CONFIG_MAX_COUNTRIES)
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "country.bases.file: more than %d countries",
                               HW_CONFIG_MAX_COUNTRIES);
        for (size_t i = 0; i < c->kafka.n_props; i++)
                if (!c->kafka.props[i] || !strchr(c->kafka.props[i], '='))
                        return hw_fail(HW_ERR_ARG, errstr, size,
                                       "kafka property #%zu is not key=value",
                                       i + 1);
        return HW_OK;
}

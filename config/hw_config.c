/*
 * hirewire-consumer configuration: the key table and the checks of each
 * key's value, defaults, and one setter per key (driven by the table), with
 * the text helpers the config's parsers share. kafka.* keys are set by
 * hw_config_kafka.c, the config file and command line read by
 * hw_config_load.c, the whole validated by hw_config_validate.c; the
 * country files are read by hw_countries.c, redis:// URLs parsed by
 * hw_redis_url.c.
 *
 * Secrets (redis.password, the password inside redis.url, kafka.* values
 * such as sasl.password) never appear in an error message, and their
 * memory is wiped before it is freed.
 */
#include "hw_config_int.h"
#include "hw_keys.h"

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

/* Frees a string that may hold a secret, wiping it first. Accepts NULL. */
void hw_conf_free_secret(char *s) {
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

const conf_key_t hw_conf_keys[] = {
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

const size_t hw_conf_n_keys = sizeof(hw_conf_keys) / sizeof(hw_conf_keys[0]);

static const conf_key_t *find_key(const char *key) {
        for (size_t i = 0; i < hw_conf_n_keys; i++)
                if (!strcmp(hw_conf_keys[i].key, key))
                        return &hw_conf_keys[i];
        return NULL;
}

static char **str_field(hw_config_t *c, const conf_key_t *k) {
        return (char **)((char *)c + k->off);
}

/* How a key's value is kept: a char * field of its own, wiped when freed
 * if it may hold a password, or something else. */
typedef enum conf_string_e {
        CONF_NOT_STRING,
        CONF_STRING,
        CONF_SECRET_STRING,
} conf_string_t;

static conf_string_t string_kind(const conf_key_t *k) {
        switch (k->kind) {
        case K_NAME:
        case K_TOPIC:
        case K_PREFIX:
        case K_PATH:
        case K_METRICS:
                return CONF_STRING;
        case K_REDIS_URL:
        case K_SECRET:
        case K_HTTP_URLS:
                return CONF_SECRET_STRING;
        default:
                return CONF_NOT_STRING;
        }
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

const char *hw_config_topic_problem(const char *name) {
        return topic_problem(name);
}

/* What is wrong with a one-word value (a name, the key prefix) of at most
 * max bytes (too_long says so), or NULL. */
static const char *word_problem(const char *v, size_t max,
                                const char *too_long) {
        if (!*v)
                return "must not be empty";
        if (strlen(v) > max)
                return too_long;
        if (has_bad_char(v, 1))
                return "must not contain spaces or control characters";
        return NULL;
}

/*
 * Checks the value of a string key. Returns NULL when it is fine, else
 * writes "key: why" into errstr and returns errstr. Secret values are never
 * quoted.
 */
const char *hw_conf_string_problem(const conf_key_t *k, const char *v,
                                   char *errstr, size_t size) {
        const char *why = NULL;
        switch (k->kind) {
        case K_NAME:
                why = word_problem(v, CONF_NAME_MAX, "longer than 255 bytes");
                break;
        case K_TOPIC:
                why = topic_problem(v);
                break;
        case K_PREFIX:
                why = word_problem(v, CONF_PREFIX_MAX, "longer than 64 bytes");
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
const char *hw_conf_range_problem(const conf_key_t *k, int64_t v, char *errstr,
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
                .batch_max_events = 10000,
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
                {F(prefix), HW_KEY_PREFIX_DEFAULT},
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
        for (size_t i = 0; i < hw_conf_n_keys; i++) {
                const conf_key_t *k = &hw_conf_keys[i];
                switch (string_kind(k)) {
                case CONF_STRING:
                        free(*str_field(c, k));
                        break;
                case CONF_SECRET_STRING:
                        hw_conf_free_secret(*str_field(c, k));
                        break;
                case CONF_NOT_STRING:
                        break;
                }
        }
        free((char *)c->kafka.brokers);
        free((char *)c->kafka.bootstrap_file);
        for (size_t i = 0; i < HW_KAFKA_MAX_PROPS; i++)
                hw_conf_free_secret(c->kafka_props[i]);
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
                hw_conf_free_secret(*field);
        else
                free(*field);
        *field = copy;
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
                return hw_conf_set_kafka_prop(c, key, value, errstr, size);
        k = find_key(key);
        if (!k)
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "unknown key \"%.*s%s\"", SHOWN(key));

        if (string_kind(k) != CONF_NOT_STRING) {
                if (hw_conf_string_problem(k, value, errstr, size))
                        return HW_ERR_ARG;
                /* An empty secret or URL list means "none". */
                return replace_string(str_field(c, k), value,
                                      string_kind(k) == CONF_SECRET_STRING,
                                      k->kind == K_SECRET ||
                                              k->kind == K_HTTP_URLS,
                                      key, errstr, size);
        }
        switch (k->kind) {
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
                if (hw_conf_string_problem(k, value, errstr, size))
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
                if (hw_conf_range_problem(k, v, errstr, size))
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
        default:
                break;
        }
        return hw_fail(HW_ERR_INTERNAL, errstr, size, "%s: unhandled key", key);
}

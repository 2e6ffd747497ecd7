/*
 * The config checked once at start-up, after every key is set: every
 * key's value again (defaults included), output topics apart from input
 * topics, the country tables' sizes; and the views the programs read of it
 * (the alerts' prefix, the Schema Registry's settings).
 */
#include "hw_config_int.h"

static char *const *cstr_field(const hw_config_t *c, const conf_key_t *k) {
        return (char *const *)((const char *)c + k->off);
}

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
        for (size_t i = 0; i < hw_conf_n_keys; i++) {
                const conf_key_t *k = &hw_conf_keys[i];
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
                        if (hw_conf_string_problem(k, v, errstr, size))
                                return HW_ERR_ARG;
                        break;
                case K_PATH:
                case K_SECRET:
                case K_HTTP_URLS:
                        v = *cstr_field(c, k);
                        if (v && hw_conf_string_problem(k, v, errstr, size))
                                return HW_ERR_ARG;
                        break;
                case K_OUTAGE:
                        break;
                case K_BROKERS:
                case K_BOOTSTRAP:
                        v = k->kind == K_BROKERS ? c->kafka.brokers
                                                 : c->kafka.bootstrap_file;
                        if (v && hw_conf_string_problem(k, v, errstr, size))
                                return HW_ERR_ARG;
                        break;
                case K_INT:
                        if (hw_conf_range_problem(
                                    k, *(const int *)((const char *)c + k->off),
                                    errstr, size))
                                return HW_ERR_ARG;
                        break;
                case K_SIZE: {
                        size_t sv = *(const size_t *)((const char *)c + k->off);
                        if (sv > (size_t)k->max)
                                sv = (size_t)k->max + 1;
                        if (hw_conf_range_problem(k, (int64_t)sv, errstr, size))
                                return HW_ERR_ARG;
                        break;
                }
                case K_I64:
                        if (hw_conf_range_problem(
                                    k,
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

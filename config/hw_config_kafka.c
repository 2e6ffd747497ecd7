/*
 * kafka.<prop> keys: librdkafka properties, checked by librdkafka when set
 * (its message redacted: the value may be a secret) and kept as
 * "prop=value" for the Kafka client.
 */
#include "hw_config_int.h"

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
hw_err_t hw_conf_set_kafka_prop(hw_config_t *c, const char *key,
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
                        c->kafka_props[i] = kv;     /* now owned by c */
                        hw_conf_free_secret(owned); /* NULL if not ours */
                        return HW_OK;
                }
        }
        i = c->kafka.n_props;
        if (i >= HW_KAFKA_MAX_PROPS) {
                hw_conf_free_secret(kv);
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "%s: more than %d Kafka properties", key,
                               HW_KAFKA_MAX_PROPS);
        }
        {
                char kerr[256];
                if (hw_kafka_opts_add_prop(&c->kafka, kv, kerr, sizeof(kerr))) {
                        hw_conf_free_secret(kv);
                        return hw_fail(HW_ERR_ARG, errstr, size,
                                       "%s: cannot add the property", key);
                }
        }
        hw_conf_free_secret(c->kafka_props[i]); /* a stale entry, if any */
        c->kafka_props[i] = kv;                 /* now owned by c */
        return HW_OK;
}

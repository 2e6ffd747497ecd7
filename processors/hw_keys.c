/*
 * The names of hirewire's Redis keys (hw_keys.h), written piece by piece
 * with memcpy into the caller's buffer.
 */
#include "hw_keys.h"

#include <string.h>

#include "hw_buf.h"

/* What a name is being written into. */
typedef struct put_s {
        char *out;
        size_t size, at;
        int bad; /* a piece did not fit */
} put_t;

/* Appends len bytes of s, keeping room for the NUL. */
static void put(put_t *p, const char *s, size_t len) {
        if (p->bad || len >= p->size - p->at) {
                p->bad = 1;
                return;
        }
        memcpy(p->out + p->at, s, len);
        p->at += len;
}

/* The name's length, NUL-terminated; 0 and "" when it did not fit. */
static size_t put_end(put_t *p) {
        if (p->bad) {
                if (p->size)
                        p->out[0] = '\0';
                return 0;
        }
        p->out[p->at] = '\0';
        return p->at;
}

/* Writes the n pieces one after the other (NULL ones left out). */
static size_t join(char *out, size_t size, const char *const *pieces,
                   size_t n) {
        put_t p = {out, size, 0, 0};
        for (size_t i = 0; i < n; i++)
                if (pieces[i])
                        put(&p, pieces[i], strlen(pieces[i]));
        return put_end(&p);
}

#define JOIN(out, size, ...)                                                   \
        join((out), (size), (const char *const[]){__VA_ARGS__},                \
             sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))

/* v in decimal into t (24 bytes). */
static const char *decimal(char t[24], int64_t v) {
        t[hw_decimal(t, v)] = '\0';
        return t;
}

size_t hw_keys_name(char *out, size_t size, const char *prefix,
                    const char *name) {
        return JOIN(out, size, prefix, name);
}

size_t hw_keys_lab(char *out, size_t size, const char *prefix, const char *slug,
                   hw_keys_lab_t part) {
        static const char *const tails[] = {
                [HW_KEY_LAB] = "",
                [HW_KEY_LAB_ORIGIN] = ":origin",
                [HW_KEY_LAB_NATIONALITY] = ":nationality",
                [HW_KEY_LAB_ALMA_MATER] = ":alma_mater",
                [HW_KEY_LAB_TIER] = ":tier",
                [HW_KEY_LAB_HIRES] = ":hires",
        };
        return JOIN(out, size, prefix, "lab:", slug, tails[part]);
}

size_t hw_keys_org(char *out, size_t size, const char *prefix, const char *slug,
                   hw_keys_org_t part) {
        static const char *const tails[] = {
                [HW_KEY_ORG] = "",
                [HW_KEY_ORG_LOSSES] = ":losses",
                [HW_KEY_ORG_OFFERS] = ":offers",
        };
        return JOIN(out, size, prefix, "org:", slug, tails[part]);
}

size_t hw_keys_window(char *out, size_t size, const char *prefix,
                      const char *family, const char *window) {
        size_t lf = strlen(family);
        put_t p = {out, size, 0, 0};

        put(&p, prefix, strlen(prefix));
        if (lf > 5 && !memcmp(family, "flow:", 5)) {
                put(&p, family, 5);
                put(&p, window, strlen(window));
                put(&p, family + 4, lf - 4);
        } else {
                put(&p, family, lf);
                put(&p, ":", 1);
                put(&p, window, strlen(window));
        }
        return put_end(&p);
}

size_t hw_keys_window_name(char *out, size_t size, int days) {
        char t[24];
        return days ? JOIN(out, size, decimal(t, days), "d")
                    : JOIN(out, size, HW_KEY_WINDOW_ALL);
}

size_t hw_keys_flow_net(char *out, size_t size, const char *prefix,
                        const char *window) {
        return JOIN(out, size, prefix, "flow:", window, ":net");
}

size_t hw_keys_flow_index(char *out, size_t size, const char *prefix,
                          const char *window, const char *group) {
        return JOIN(out, size, prefix, "flow:", window, ":index",
                    group ? ":" : NULL, group);
}

const char *hw_keys_hires_lab(const char *family, size_t *len) {
        size_t n = strlen(family);
        if (n > 10 && !memcmp(family, "lab:", 4) &&
            !memcmp(family + n - 6, ":hires", 6)) {
                *len = n - 10;
                return family + 4;
        }
        return NULL;
}

size_t hw_keys_offset(char *out, size_t size, const char *prefix,
                      const char *group, const char *topic, int32_t partition) {
        char t[24];
        return JOIN(out, size, prefix, HW_KEY_OFFSET_HEAD, group, ":", topic,
                    ":", decimal(t, partition));
}

size_t hw_keys_ends(char *out, size_t size, const char *prefix,
                    const char *group) {
        return JOIN(out, size, prefix, HW_KEY_ENDS_HEAD, group);
}

size_t hw_keys_persons(char *out, size_t size, const char *prefix,
                       unsigned bucket) {
        char t[24];
        return JOIN(out, size, prefix, "persons:", decimal(t, bucket));
}

size_t hw_keys_seen(char *out, size_t size, const char *prefix,
                    const char *ymd) {
        return JOIN(out, size, prefix, "seen:", ymd);
}

size_t hw_keys_raid(char *out, size_t size, const char *prefix,
                    const char *ym) {
        return JOIN(out, size, prefix, HW_KEY_RAID ":", ym);
}

size_t hw_keys_log(char *out, size_t size, const char *prefix,
                   const char *ymd) {
        return JOIN(out, size, prefix, "b:", ymd);
}

int hw_keys_is_log(const char *name) {
        if (strncmp(name, "b:", 2) || strlen(name) != 10)
                return 0;
        for (size_t i = 2; i < 10; i++)
                if (name[i] < '0' || name[i] > '9')
                        return 0;
        return 1;
}

int hw_keys_is_alert(const char *name) {
        return !strcmp(name, HW_KEY_ALERTS) || !strncmp(name, "alerts:", 7) ||
               !strncmp(name, "alert:", 6);
}

size_t hw_keys_replay_prefix(char *out, size_t size, const char *live) {
        return JOIN(out, size, "replay:", live);
}

size_t hw_keys_replay_lock(char *out, size_t size, const char *live) {
        return JOIN(out, size, "replay:lock:", live);
}

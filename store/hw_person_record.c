#include "hw_person_record.h"

#include <string.h>

#include "hw_buf.h"

unsigned hw_person_bucket(const char *id, size_t len) {
        uint32_t h = 2166136261u;
        for (size_t i = 0; i < len; i++)
                h = (h ^ (unsigned char)id[i]) * 16777619u;
        return h % HW_PERSON_BUCKETS;
}

const char *hw_person_pack(hw_arena_t *a, const hw_person_t *p, size_t *len) {
        const char *parts[7];
        char at[24];
        size_t n = 0, lens[7];
        char *out, *o;

        at[hw_decimal(at, p->at)] = '\0';
        parts[0] = p->lab;
        parts[1] = p->origin;
        parts[2] = p->nationality;
        parts[3] = p->alma_mater;
        parts[4] = p->tier;
        parts[5] = at;
        parts[6] = p->event_id;
        for (int i = 0; i < 7; i++)
                n += (lens[i] = strlen(parts[i])) + 22;
        if (!(out = hw_arena_alloc(a, n)))
                return NULL;
        o = out;
        for (int i = 0; i < 7; i++) {
                size_t l = lens[i];
                o += hw_decimal(o, (int64_t)l);
                *o++ = ':';
                memcpy(o, parts[i], l);
                o += l;
        }
        *len = (size_t)(o - out);
        return out;
}

int hw_person_unpack(hw_arena_t *a, const char *text, size_t len,
                     hw_person_t *p) {
        const char *parts[7];
        size_t lens[7], at = 0;

        for (int i = 0; i < 7; i++) {
                size_t l = 0, digits = 0;
                while (at < len && text[at] >= '0' && text[at] <= '9' &&
                       digits < 10) {
                        l = l * 10 + (size_t)(text[at++] - '0');
                        digits++;
                }
                if (!digits || at >= len || text[at++] != ':' || l > len - at)
                        return -1;
                parts[i] = text + at;
                lens[i] = l;
                at += l;
        }
        if (at != len || !lens[0] || !lens[5] || lens[5] > 19)
                return -1;
        p->at = 0;
        for (size_t i = 0; i < lens[5]; i++) {
                if (parts[5][i] < '0' || parts[5][i] > '9')
                        return -1;
                p->at = p->at * 10 + (parts[5][i] - '0');
        }
        {
                /* The strings (all parts but at) in one allocation. */
                const char *strs[6] = {parts[0], parts[1], parts[2],
                                       parts[3], parts[4], parts[6]};
                const size_t slens[6] = {lens[0], lens[1], lens[2],
                                         lens[3], lens[4], lens[6]};
                return hw_person_copy_strings(a, 0, p, strs, slens) ? 0 : -2;
        }
}

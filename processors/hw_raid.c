#include "hw_raid.h"

#include <errno.h>

#include "hw_err.h"
#include <stdlib.h>
#include <string.h>

/* Parses a decimal at *p (before end) into *v: an optional '-' (a day
 * before 1970), then 1 to 18 digits (never near int64's limit). */
static int digits(const char **p, const char *end, int64_t *v) {
        const char *q = *p, *first;
        int neg = q < end && *q == '-';
        int64_t x = 0;
        q += neg;
        first = q;
        while (q < end && *q >= '0' && *q <= '9' && q - first < 18)
                x = x * 10 + (*q++ - '0');
        if (q == first || (q < end && *q >= '0' && *q <= '9'))
                return -1;
        *p = q;
        *v = neg ? -x : x;
        return 0;
}

int hw_raid_decode(const char *v, size_t len, size_t extra, hw_arena_t *arena,
                   hw_raid_hire_t **out, size_t *n) {
        const char *p = v, *end = v + len;
        size_t records = 0, m = 0;

        /* At least one newline a record (an id may hold more). */
        for (const char *q = v, *nl;
             len && (nl = memchr(q, '\n', (size_t)(end - q))); q = nl + 1)
                records++;
        *out = hw_arena_alloc(arena, (records + extra + 1) * sizeof(**out));
        if (!*out) {
                errno = ENOMEM;
                return -1;
        }
        while (p < end) {
                int64_t day, idlen;
                if (digits(&p, end, &day) || p == end || *p++ != ' ' ||
                    digits(&p, end, &idlen) || p == end || *p++ != ':' ||
                    idlen < 0 || idlen >= end - p || p[idlen] != '\n' ||
                    m == records) {
                        errno = EINVAL;
                        return -1;
                }
                (*out)[m++] = (hw_raid_hire_t){day, p, (size_t)idlen};
                p += idlen + 1;
        }
        *n = m;
        return 0;
}

int hw_raid_add(hw_raid_hire_t *list, size_t *n, hw_raid_hire_t h) {
        char last = h.len ? h.id[h.len - 1] : 0;
        for (size_t j = 0; j < *n; j++)
                if (list[j].len == h.len &&
                    (!h.len || list[j].id[h.len - 1] == last) &&
                    !memcmp(list[j].id, h.id, h.len)) {
                        list[j].day = h.day;
                        return 1;
                }
        list[(*n)++] = h;
        return 0;
}

static int by_day_id(const void *a, const void *b) {
        const hw_raid_hire_t *x = a, *y = b;
        size_t n = x->len < y->len ? x->len : y->len;
        int c;
        if (x->day != y->day)
                return x->day < y->day ? -1 : 1;
        if ((c = memcmp(x->id, y->id, n)))
                return c;
        return (x->len > y->len) - (x->len < y->len);
}

/* A hire's id in a few bits: its length and its last bytes (ids differ
 * at the end: a counter, a hash), for a bitmap of the ids added. */
#define SIG_BITS 4096

static uint32_t id_sig(const hw_raid_hire_t *h) {
        uint64_t tail = 0;
        size_t take = h->len < 8 ? h->len : 8;
        memcpy(&tail, h->id + h->len - take, take);
        tail ^= (uint64_t)h->len << 56;
        return (uint32_t)((tail * UINT64_C(0x9e3779b97f4a7c15)) >> 52);
}

static int same_id(const hw_raid_hire_t *a, const hw_raid_hire_t *b) {
        return a->len == b->len && !memcmp(a->id, b->id, a->len);
}

int hw_raid_add_all(hw_raid_hire_t *list, size_t *n, const hw_raid_hire_t *adds,
                    size_t k) {
        uint64_t bits[SIG_BITS / 64];
        size_t *at, had = *n;
        int moved = 0;

        if (k <= 8) { /* a scan per hire costs less than the bitmap */
                for (size_t a = 0; a < k; a++)
                        moved |= hw_raid_add(list, n, adds[a]);
                return moved;
        }
        /* at[a]: 1 + where the list holds adds[a]'s id, 0: nowhere. */
        if (!(at = calloc(k, sizeof(*at))))
                return -1;
        memset(bits, 0, sizeof(bits));
        for (size_t a = 0; a < k; a++) {
                uint32_t g = id_sig(&adds[a]);
                bits[g / 64] |= UINT64_C(1) << (g % 64);
        }
        for (size_t j = 0; j < had; j++) {
                uint32_t g = id_sig(&list[j]);
                if (!(bits[g / 64] & (UINT64_C(1) << (g % 64))))
                        continue;
                for (size_t a = 0; a < k; a++)
                        if (!at[a] && same_id(&list[j], &adds[a]))
                                at[a] = j + 1; /* the first, as a scan */
        }
        for (size_t a = 0; a < k; a++) {
                size_t j = at[a];
                /* An id added twice: the second finds the first. */
                for (size_t b = 0; !j && b < a; b++)
                        if (same_id(&adds[b], &adds[a]))
                                j = at[b];
                if (j) {
                        list[j - 1].day = adds[a].day;
                        moved = 1;
                } else {
                        list[*n] = adds[a];
                        at[a] = ++*n;
                }
        }
        free(at);
        return moved;
}

size_t hw_raid_settle(hw_raid_hire_t *list, size_t n, size_t sorted,
                      int64_t oldest) {
        size_t m = 0, in_order = 0;
        HW_ASSERT(sorted <= n);
        for (size_t i = 0; i < n; i++)
                if (list[i].day > oldest) {
                        in_order += i < sorted;
                        list[m++] = list[i];
                }
        if (m - in_order > 8) {
                /* The new ones sorted alone, then merged from the back
                 * into the sorted ones. */
                size_t k = m - in_order, i = in_order, j = k, to = m;
                hw_raid_hire_t *t = malloc(k * sizeof(*t));
                if (!t) {
                        qsort(list, m, sizeof(*list), by_day_id);
                        return m;
                }
                memcpy(t, list + in_order, k * sizeof(*t));
                qsort(t, k, sizeof(*t), by_day_id);
                while (j > 0) {
                        if (i > 0 && by_day_id(&list[i - 1], &t[j - 1]) > 0)
                                list[--to] = list[--i];
                        else
                                list[--to] = t[--j];
                }
                free(t);
                return m;
        }
        /* A few after the sorted ones: each inserted where it goes. */
        for (size_t i = in_order; i < m; i++) {
                hw_raid_hire_t h = list[i];
                size_t lo = 0, hi = i;
                while (lo < hi) {
                        size_t mid = lo + (hi - lo) / 2;
                        if (by_day_id(&list[mid], &h) <= 0)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                memmove(&list[lo + 1], &list[lo], (i - lo) * sizeof(*list));
                list[lo] = h;
        }
        return m;
}

int hw_raid_encode(const hw_raid_hire_t *list, size_t n, hw_buf_t *out) {
        /* "<day> <length>:" of the last record: records of one day and
         * one id length (most of a list) repeat it. */
        char head[48];
        size_t head_len = 0;

        for (size_t i = 0; i < n; i++) {
                char *p;
                /* Two numbers of at most 20 bytes, three separators. */
                if (hw_buf_reserve(out, 43 + list[i].len))
                        return -1;
                p = out->data + out->len;
                if (!i || list[i].day != list[i - 1].day ||
                    list[i].len != list[i - 1].len) {
                        head_len = hw_decimal(head, list[i].day);
                        head[head_len++] = ' ';
                        head_len += hw_decimal(head + head_len,
                                               (int64_t)list[i].len);
                        head[head_len++] = ':';
                }
                memcpy(p, head, head_len);
                p += head_len;
                memcpy(p, list[i].id, list[i].len);
                p += list[i].len;
                *p++ = '\n';
                out->len = (size_t)(p - out->data);
        }
        return 0;
}

/* Hires in list[0..n) (sorted) with day <= x. */
static size_t upto(const hw_raid_hire_t *list, size_t n, int64_t x) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t m = lo + (hi - lo) / 2;
                if (list[m].day <= x)
                        lo = m + 1;
                else
                        hi = m;
        }
        return lo;
}

int hw_raid_judge(const hw_raid_hire_t *list, size_t n, int64_t lo,
                  int64_t oldest, int64_t days, int64_t count,
                  int (*fn)(void *ctx, const hw_raid_cross_t *x), void *ctx) {
        int64_t last = INT64_MIN;

        if ((int64_t)n < count)
                return 0;
        for (size_t k = 0; k < n; k++) {
                int64_t D = list[k].day, now_c, before;
                hw_raid_cross_t x;
                int rc;
                if (D == last || D < lo || D - days <= oldest)
                        continue;
                last = D;
                x.first = upto(list, n, D - days);
                now_c = (int64_t)(upto(list, n, D) - x.first);
                before = (int64_t)(upto(list, n, D - 1) -
                                   upto(list, n, D - days - 1));
                if (now_c < count || before >= count)
                        continue;
                x.day = D;
                x.hires = now_c;
                if ((rc = fn(ctx, &x)))
                        return rc;
        }
        return 0;
}

int hw_raid_days_decode(const char *v, size_t len, int64_t *out, size_t cap) {
        const char *p = v, *end = v + len;
        size_t m = 0;

        while (p < end) {
                int64_t day;
                if (m == cap || digits(&p, end, &day) ||
                    (p < end && *p++ != ',') || (p == end && p[-1] == ','))
                        return -1;
                out[m++] = day;
        }
        return (int)m;
}

int hw_raid_near(const int64_t *days, size_t n, int64_t day, int64_t window) {
        for (size_t i = 0; i < n; i++)
                if (days[i] > day - window && days[i] < day + window)
                        return 1;
        return 0;
}

int hw_raid_days_encode(const int64_t *days, size_t n, hw_buf_t *out) {
        for (size_t i = 0; i < n; i++) {
                char num[24];
                size_t k = 0;
                if (i)
                        num[k++] = ',';
                k += hw_decimal(num + k, days[i]);
                if (hw_buf_append(out, num, k))
                        return -1;
        }
        return 0;
}

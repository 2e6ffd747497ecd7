#include "generate.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"

/* The synthetic events end on 2025-10-01T00:00:00Z and cover span_days
 * before it, whatever their number. */
#define GEN_END_MS INT64_C(1759276800000)
#define GEN_DAY_MS INT64_C(86400000)

typedef struct gen_org_s {
        const char *org;
        const char *lab; /* NULL: the org itself is the lab */
        const char *country;
        unsigned weight; /* how often it hires */
        unsigned pay;    /* pay multiplier in % */
} gen_org_t;

/* The organisations of SPEC §6 and the labs they compete with. */
static const gen_org_t named_orgs[] = {
        {"Meta", "Meta Superintelligence Labs", "US", 60, 300},
        {"Meta", "FAIR", "US", 12, 120},
        {"OpenAI", NULL, "US", 40, 200},
        {"Google", "Google DeepMind", "GB", 30, 170},
        {"Google", "Google DeepMind", "US", 25, 170},
        {"Anthropic", NULL, "US", 30, 180},
        {"Apple", "Apple Foundation Models", "US", 10, 130},
        {"Microsoft", "Microsoft AI", "US", 35, 150},
        {"xAI", NULL, "US", 15, 160},
        {"Safe Superintelligence", NULL, "IL", 5, 200},
        {"Thinking Machines Lab", NULL, "US", 8, 200},
        {"Amazon", "Amazon AGI", "US", 12, 120},
        {"NVIDIA", "NVIDIA Research", "US", 12, 130},
        {"Mistral AI", NULL, "FR", 10, 90},
        {"DeepSeek", NULL, "CN", 10, 60},
        {"Alibaba", "Qwen", "CN", 8, 60},
        {"ByteDance", "Seed", "CN", 10, 80},
        {"Naver", "Naver Cloud AI", "KR", 5, 50},
        {"Samsung", "Samsung AI Center", "KR", 5, 55},
        {"LG", "LG AI Research", "KR", 3, 50},
        {"Sakana AI", NULL, "JP", 3, 60},
        {"Cohere", NULL, "CA", 6, 80},
        {"Aleph Alpha", NULL, "DE", 2, 60},
        {"Stanford University", NULL, "US", 4, 20},
        {"MIT", NULL, "US", 4, 20},
        {"Tsinghua University", NULL, "CN", 4, 15},
        {"KAIST", NULL, "KR", 2, 15},
        {"University of Toronto", NULL, "CA", 3, 20},
        {"ETH Zurich", NULL, "CH", 3, 25},
        {"University of Oxford", NULL, "GB", 3, 20},
};
#define N_NAMED (sizeof(named_orgs) / sizeof(named_orgs[0]))

/* Long tail: startups named from two word lists, each in one country. */
#define N_TAIL 240
static const char *const tail_a[] = {
        "Aleph", "Nova",   "Vector", "Quanta", "Lumen",  "Orbit", "Cinder",
        "Helix", "Prism",  "Tensor", "Atlas",  "Kite",   "Ember", "Nimbus",
        "Sable", "Zephyr", "Arc",    "Delta",  "Fathom", "Glyph"};
static const char *const tail_b[] = {"AI",       "Labs",     "Intelligence",
                                     "Research", "Systems",  "Minds",
                                     "Dynamics", "Robotics", "Compute",
                                     "Foundry",  "Works",    "Models"};
static const char *const tail_countries[] = {
        "US", "US", "US", "GB", "CA", "FR", "DE", "CH", "IL", "IN",
        "CN", "CN", "JP", "KR", "SG", "AU", "NL", "SE", "FI", "ES",
        "IT", "PL", "BR", "AE", "TW", "IE", "DK", "AT", "NZ", "BE"};

/* Nationalities with weights (sum 1000) and where they studied. */
static const struct {
        const char *code;
        unsigned weight;
} nationalities[] = {
        {"CN", 260}, {"US", 220}, {"IN", 100}, {"KR", 50}, {"GB", 45},
        {"CA", 40},  {"FR", 35},  {"DE", 35},  {"IL", 25}, {"RU", 20},
        {"JP", 15},  {"IR", 15},  {"TW", 15},  {"PL", 10}, {"IT", 10},
        {"BR", 10},  {"VN", 10},  {"TR", 10},  {"SG", 5},  {"AU", 5},
        {"ES", 5},   {"NL", 5},   {"UA", 5},   {NULL, 50},
};

static const struct {
        const char *country;
        const char *school;
} schools[] = {
        {"CN", "Tsinghua University"},
        {"CN", "Peking University"},
        {"CN", "Zhejiang University"},
        {"CN", "Shanghai Jiao Tong University"},
        {"CN", "University of Science and Technology of China"},
        {"US", "Stanford University"},
        {"US", "Massachusetts Institute of Technology"},
        {"US", "Carnegie Mellon University"},
        {"US", "University of California, Berkeley"},
        {"US", "Princeton University"},
        {"IN", "Indian Institute of Technology Bombay"},
        {"IN", "Indian Institute of Technology Delhi"},
        {"KR", "Seoul National University"},
        {"KR", "KAIST"},
        {"GB", "University of Cambridge"},
        {"GB", "University of Oxford"},
        {"CA", "University of Toronto"},
        {"CA", "Université de Montréal"},
        {"FR", "École Normale Supérieure"},
        {"DE", "Technical University of Munich"},
        {"IL", "Technion"},
        {"JP", "University of Tokyo"},
        {"CH", "ETH Zurich"},
};
#define N_SCHOOLS (sizeof(schools) / sizeof(schools[0]))

static const char *const first_names[] = {
        "Wei",    "Jing",  "Hao",      "Yuxin",   "Minh",   "Priya", "Arjun",
        "Ananya", "James", "Emily",    "Michael", "Sarah",  "David", "Laura",
        "Daniel", "Sofia", "Lucas",    "Chloé",   "Jonas",  "Lena",  "Noam",
        "Yael",   "Ji-ho", "Seo-yeon", "Haruto",  "Yui",    "Olga",  "Dmitri",
        "Reza",   "Sara",  "Mateo",    "Giulia",  "Tomasz", "Ayşe",  "Linh",
        "Kai",    "Zoe",   "Omar"};
static const char *const last_names[] = {
        "Wang",   "Li",      "Zhang",  "Chen",     "Liu",     "Nguyen",
        "Sharma", "Patel",   "Gupta",  "Smith",    "Johnson", "Brown",
        "Miller", "Garcia",  "Müller", "Schmidt",  "Dubois",  "Martin",
        "Cohen",  "Levi",    "Kim",    "Park",     "Lee",     "Sato",
        "Tanaka", "Ivanova", "Petrov", "Hosseini", "Rossi",   "Kowalski",
        "Yılmaz", "Tran",    "Okafor", "Silva",    "Novak",   "Berg"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

typedef struct gen_person_s {
        uint32_t org; /* index into the org table */
        uint16_t first, last;
        int16_t nationality; /* -1 = unknown */
        int16_t school;      /* -1 = unknown */
        uint8_t tier;
} gen_person_t;

typedef struct gen_offer_s {
        uint32_t person;
        uint32_t org;
        int64_t value;
        int64_t sign_on; /* -1 = none */
} gen_offer_t;

struct hw_gen_s {
        uint64_t s[4]; /* xoshiro256** state */
        uint64_t seed, count, made;
        int64_t start_ms;
        gen_org_t orgs[N_NAMED + N_TAIL];
        char tail_names[N_TAIL][48];
        unsigned total_weight;
        gen_person_t *people;
        size_t n_people, cap_people;
        gen_offer_t *offers; /* open (EXTENDED) offers */
        size_t n_offers, cap_offers;
        int64_t pending_hire; /* person to hire next (accepted offer) */
        uint32_t pending_org;
        char buf[128];
};

static uint64_t splitmix64(uint64_t *x) {
        uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
        z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
        return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
        return (x << k) | (x >> (64 - k));
}

static uint64_t next_u64(hw_gen_t *g) {
        uint64_t *s = g->s;
        uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
}

/* Uniform in [0, n). */
static uint64_t below(hw_gen_t *g, uint64_t n) {
        return n ? next_u64(g) % n : 0;
}

/* Uniform in [0, 1). */
static double unit(hw_gen_t *g) {
        return (double)(next_u64(g) >> 11) * (1.0 / 9007199254740992.0);
}

/* Log-uniform between lo and hi, rounded to thousands. */
static int64_t money(hw_gen_t *g, double lo, double hi) {
        double v = exp(log(lo) + unit(g) * (log(hi) - log(lo)));
        return (int64_t)(v / 1000.0) * 1000;
}

static uint32_t pick_org(hw_gen_t *g) {
        uint64_t r = below(g, g->total_weight);
        for (uint32_t i = 0; i < N_NAMED + N_TAIL; i++) {
                if (r < g->orgs[i].weight)
                        return i;
                r -= g->orgs[i].weight;
        }
        return 0;
}

static int same_place(const gen_org_t *a, const gen_org_t *b) {
        return !strcmp(a->org, b->org) &&
               ((!a->lab && !b->lab) ||
                (a->lab && b->lab && !strcmp(a->lab, b->lab)));
}

/* A destination other than the person's current (org, lab). Most moves
 * stay in the country: a foreign draw is kept only some of the time. */
static uint32_t pick_destination(hw_gen_t *g, uint32_t from) {
        for (int tries = 0;; tries++) {
                uint32_t to = pick_org(g);
                if (same_place(&g->orgs[from], &g->orgs[to]))
                        continue;
                if (tries < 8 &&
                    strcmp(g->orgs[from].country, g->orgs[to].country) &&
                    below(g, 100) < 70)
                        continue;
                return to;
        }
}

static int new_person(hw_gen_t *g, uint32_t *out) {
        gen_person_t *p;
        uint64_t r;
        size_t i;

        if (hw_grow((void **)&g->people, &g->cap_people, g->n_people + 1,
                    sizeof(*g->people)))
                return -1;
        p = &g->people[g->n_people];
        p->org = pick_org(g);
        p->first = (uint16_t)below(g, N_OF(first_names));
        p->last = (uint16_t)below(g, N_OF(last_names));
        r = below(g, 1000);
        p->nationality = -1;
        for (i = 0; i < N_OF(nationalities); i++) {
                if (r < nationalities[i].weight) {
                        p->nationality =
                                nationalities[i].code ? (int16_t)i : -1;
                        break;
                }
                r -= nationalities[i].weight;
        }
        /* Most studied in their own country when it has a listed school. */
        p->school = -1;
        if (below(g, 10) < 8) {
                const char *nat = p->nationality >= 0
                                          ? nationalities[p->nationality].code
                                          : "US";
                size_t match[N_SCHOOLS], n = 0;
                for (i = 0; i < N_SCHOOLS; i++)
                        if (!strcmp(schools[i].country, nat))
                                match[n++] = i;
                p->school =
                        (int16_t)(n && below(g, 10) < 7 ? match[below(g, n)]
                                                        : below(g, N_SCHOOLS));
        }
        r = below(g, 100);
        p->tier = r < 3    ? HW_TIER_S
                  : r < 18 ? HW_TIER_A
                  : r < 55 ? HW_TIER_B
                           : HW_TIER_UNRATED;
        *out = (uint32_t)g->n_people++;
        return 0;
}

hw_gen_t *hw_gen_new(uint64_t seed, uint64_t count, int span_days) {
        hw_gen_t *g = calloc(1, sizeof(*g));
        uint64_t x = seed;

        if (!g)
                return NULL;
        for (int i = 0; i < 4; i++)
                g->s[i] = splitmix64(&x);
        g->seed = seed;
        g->count = count;
        g->start_ms = GEN_END_MS - (int64_t)span_days * GEN_DAY_MS;
        g->pending_hire = -1;
        memcpy(g->orgs, named_orgs, sizeof(named_orgs));
        for (size_t i = 0; i < N_TAIL; i++) {
                gen_org_t *o = &g->orgs[N_NAMED + i];
                snprintf(g->tail_names[i], sizeof(g->tail_names[i]), "%s %s",
                         tail_a[i % N_OF(tail_a)],
                         tail_b[(i / N_OF(tail_a) + i) % N_OF(tail_b)]);
                o->org = g->tail_names[i];
                o->lab = NULL;
                o->country = tail_countries[(i * 7) % N_OF(tail_countries)];
                o->weight = 1;
                o->pay = 40 + (unsigned)(i % 5) * 10;
        }
        for (size_t i = 0; i < N_NAMED + N_TAIL; i++)
                g->total_weight += g->orgs[i].weight;
        return g;
}

void hw_gen_destroy(hw_gen_t *g) {
        if (!g)
                return;
        free(g->people);
        free(g->offers);
        free(g);
}

static int set(hw_event_t *ev, const char *field, const char *value) {
        const hw_field_t *f = hw_event_field(ev->type, field);
        if (!value) {
                *hw_event_str(ev, f) = NULL;
                return 0;
        }
        return hw_event_set_str(ev, f, value, strlen(value));
}

/* Fields every event has. */
static int fill_common(hw_gen_t *g, hw_event_t *ev, uint32_t person) {
        const gen_person_t *p = &g->people[person];
        int64_t step = (GEN_END_MS - g->start_ms) / (int64_t)g->count;
        int rc = 0;

        ev->occurred_at = g->start_ms + step * (int64_t)g->made +
                          (int64_t)below(g, (uint64_t)(step > 1 ? step : 1));
        snprintf(g->buf, sizeof(g->buf), "gen-%" PRIu64 "-%08" PRIu64, g->seed,
                 g->made);
        rc |= set(ev, "event_id", g->buf);
        snprintf(g->buf, sizeof(g->buf), "gp-%" PRIu64 "-%06u", g->seed,
                 person);
        rc |= set(ev, "person_id", g->buf);
        snprintf(g->buf, sizeof(g->buf), "%s %s", first_names[p->first],
                 last_names[p->last]);
        rc |= set(ev, "person_name", g->buf);
        ev->tier = (hw_tier_t)p->tier;
        if (below(g, 2)) {
                snprintf(g->buf, sizeof(g->buf),
                         "https://news.example.com/talent/%" PRIu64
                         "/%08" PRIu64,
                         g->seed, g->made);
                rc |= set(ev, "source_url", g->buf);
        }
        return rc;
}

/* Yearly pay for a tier at an org: senior packages $500k-$1.5M, top talent
 * above $10M. */
static int64_t yearly_pay(hw_gen_t *g, uint8_t tier, const gen_org_t *o) {
        static const double lo[] = {8e6, 1.2e6, 5e5, 2.5e5};
        static const double hi[] = {5e7, 4e6, 1.5e6, 9e5};
        double mult = o->pay / 100.0;
        return money(g, lo[tier] * mult, hi[tier] * mult);
}

static int make_hire(hw_gen_t *g, hw_event_t *ev, uint32_t person,
                     uint32_t to) {
        gen_person_t *p = &g->people[person];
        const gen_org_t *from = &g->orgs[p->org], *dest = &g->orgs[to];
        int rc;

        hw_event_reset(ev, HW_EVENT_HIRE);
        rc = fill_common(g, ev, person);
        rc |= set(ev, "from_org", from->org);
        rc |= set(ev, "from_lab", from->lab);
        rc |= set(ev, "to_org", dest->org);
        rc |= set(ev, "to_lab", dest->lab);
        rc |= set(ev, "from_country", from->country);
        rc |= set(ev, "to_country", dest->country);
        rc |= set(ev, "nationality",
                  p->nationality >= 0 ? nationalities[p->nationality].code
                                      : NULL);
        rc |= set(ev, "alma_mater",
                  p->school >= 0 ? schools[p->school].school : NULL);
        if (below(g, 10) < 4) {
                ev->compensation_usd.present = 1;
                ev->compensation_usd.value = yearly_pay(g, p->tier, dest);
        }
        p->org = to;
        return rc ? -1 : 1;
}

static int make_offer(hw_gen_t *g, hw_event_t *ev, const gen_offer_t *o,
                      hw_offer_status_t status) {
        const gen_person_t *p = &g->people[o->person];
        const gen_org_t *cur = &g->orgs[p->org], *by = &g->orgs[o->org];
        int rc;

        hw_event_reset(ev, HW_EVENT_OFFER);
        rc = fill_common(g, ev, o->person);
        rc |= set(ev, "offering_org", by->org);
        rc |= set(ev, "offering_lab", by->lab);
        rc |= set(ev, "current_org", cur->org);
        rc |= set(ev, "from_country", cur->country);
        rc |= set(ev, "to_country", by->country);
        ev->status = status;
        ev->total_value_usd = o->value;
        if (o->sign_on >= 0) {
                ev->sign_on_bonus_usd.present = 1;
                ev->sign_on_bonus_usd.value = o->sign_on;
        }
        return rc ? -1 : 1;
}

/* Picks someone to move: a newcomer, or a person who joined earlier. */
static int pick_mover(hw_gen_t *g, uint32_t *person) {
        if (g->n_people < 50 || below(g, 100) < 35)
                return new_person(g, person);
        *person = (uint32_t)below(g, g->n_people);
        return 0;
}

int hw_gen_next(hw_gen_t *g, hw_event_t *ev) {
        uint32_t person;
        int rc;

        if (g->made >= g->count)
                return 0;

        if (g->pending_hire >= 0) {
                /* The hire that follows an accepted offer. */
                person = (uint32_t)g->pending_hire;
                g->pending_hire = -1;
                rc = same_place(&g->orgs[g->people[person].org],
                                &g->orgs[g->pending_org])
                             ? make_hire(g, ev, person,
                                         pick_destination(g, g->pending_org))
                             : make_hire(g, ev, person, g->pending_org);
        } else if (below(g, 100) < 25) {
                /* Offers: open a new one, or settle an open one. */
                if (g->n_offers > 0 && (g->n_offers > 64 || below(g, 2))) {
                        size_t i = (size_t)below(g, g->n_offers);
                        gen_offer_t o = g->offers[i];
                        uint64_t r = below(g, 100);
                        hw_offer_status_t st = r < 55   ? HW_OFFER_ACCEPTED
                                               : r < 90 ? HW_OFFER_DECLINED
                                                        : HW_OFFER_WITHDRAWN;
                        g->offers[i] = g->offers[--g->n_offers];
                        rc = make_offer(g, ev, &o, st);
                        if (st == HW_OFFER_ACCEPTED &&
                            !same_place(&g->orgs[g->people[o.person].org],
                                        &g->orgs[o.org])) {
                                g->pending_hire = o.person;
                                g->pending_org = o.org;
                        }
                } else {
                        gen_offer_t o;
                        if (pick_mover(g, &person))
                                return -1;
                        o.person = person;
                        o.org = pick_destination(g, g->people[person].org);
                        /* Total package over four years; rare mega offers
                         * for tier S at the richest labs. */
                        o.value = yearly_pay(g, g->people[person].tier,
                                             &g->orgs[o.org]) *
                                  4;
                        if (g->people[person].tier == HW_TIER_S &&
                            g->orgs[o.org].pay >= 200 && below(g, 3) == 0)
                                o.value = money(g, 1e8, 3e8);
                        o.sign_on = below(g, 10) < 3 ? o.value / 4 : -1;
                        if (hw_grow((void **)&g->offers, &g->cap_offers,
                                    g->n_offers + 1, sizeof(*g->offers)))
                                return -1;
                        g->offers[g->n_offers++] = o;
                        rc = make_offer(g, ev, &o, HW_OFFER_EXTENDED);
                }
        } else {
                if (pick_mover(g, &person))
                        return -1;
                rc = make_hire(g, ev, person,
                               pick_destination(g, g->people[person].org));
        }
        if (rc == 1)
                g->made++;
        return rc;
}

/*
 * The limiter's table, its Redis twin and the RateLimit header fields:
 * eviction, hash collisions, all-or-nothing charges, shadow limits, reuse
 * of a block, replies built from RESP bytes, and the Lua script against
 * the C table on a private redis-server, with and without the nonce it
 * records first.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dg_limit.h"
#include "dg_ratelimit_headers.h"
#include "dg_ratelimit_lua.h"
#include "unit.h"


/* 2026-11-24 10:00:00 +07:00 */
#define NOW  1795489200000000LL
#define SEC  1000000LL

#define REDIS_PORT  26391


static void *
table(uint32_t capacity)
{
    void    *mem;
    size_t   size;

    size = dg_limit_table_size(capacity);
    CU_ASSERT_FATAL(size > 0);

    mem = aligned_alloc(8, (size + 7) & ~(size_t) 7);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
    CU_ASSERT_EQUAL_FATAL(dg_limit_table_init(mem, size, capacity), 0);

    return mem;
}


static dg_limit_request_t
req(const char *key, const dg_gcra_limit_t *l, int shadow)
{
    dg_limit_request_t  r;

    r.key = key;
    r.key_len = strlen(key);
    r.limit = l;
    r.shadow = shadow;

    return r;
}


/* Charges one limit alone; 1 if allowed. */
static int
one(void *mem, const char *key, const dg_gcra_limit_t *l, int64_t now)
{
    dg_limit_request_t  r;
    dg_limit_outcome_t  out;

    r = req(key, l, 0);
    CU_ASSERT_EQUAL_FATAL(dg_limit_charge(mem, &r, 1, now, &out), 0);

    return out.allowed;
}


static void
sizes_and_reuse(void)
{
    void              *mem;
    size_t             size, i;
    unsigned char     *p;
    dg_limit_stats_t   st;
    dg_gcra_limit_t    l;
    char               key[32];

    CU_ASSERT_EQUAL(dg_limit_table_size(0), 0);
    CU_ASSERT_EQUAL(dg_limit_table_size(DG_LIMIT_MAX_CAPACITY + 1), 0);
    CU_ASSERT(dg_limit_table_size(8) < dg_limit_table_size(9));
    CU_ASSERT_EQUAL(dg_limit_table_capacity(dg_limit_table_size(100)), 100);
    CU_ASSERT_EQUAL(dg_limit_table_capacity(dg_limit_table_size(100) - 1),
                    99);
    CU_ASSERT_EQUAL(dg_limit_table_capacity(16), 0);
    CU_ASSERT_EQUAL(dg_limit_table_capacity((size_t) 1 << 40),
                    DG_LIMIT_MAX_CAPACITY);

    size = dg_limit_table_size(64);
    mem = aligned_alloc(8, size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mem);

    /* garbage and zeros are not a table */
    for (i = 0; i < size; i++) {
        ((unsigned char *) mem)[i] = (unsigned char) (i * 131 + 7);
    }

    CU_ASSERT(!dg_limit_table_valid(mem, size));
    memset(mem, 0, size);
    CU_ASSERT(!dg_limit_table_valid(mem, size));

    CU_ASSERT_EQUAL(dg_limit_table_init(mem, size - 1, 64), -1);
    CU_ASSERT_EQUAL(dg_limit_table_init((char *) mem + 4, size - 4, 8), -1);
    CU_ASSERT_EQUAL(dg_limit_table_init(mem, size, 0), -1);

    /* a full table keeps its state across a "reload" */
    CU_ASSERT_EQUAL_FATAL(dg_limit_table_init(mem, size, 64), 0);
    CU_ASSERT(dg_limit_table_valid(mem, size));
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 1, 86400000, 0), 0);

    for (i = 0; i < 64; i++) {
        snprintf(key, sizeof(key), "citizen:%012zu", i);
        CU_ASSERT(one(mem, key, &l, NOW));
    }

    CU_ASSERT(dg_limit_table_valid(mem, size));
    CU_ASSERT(!one(mem, "citizen:000000000007", &l, NOW + SEC));
    dg_limit_table_stats(mem, &st);
    CU_ASSERT_EQUAL(st.capacity, 64);
    CU_ASSERT_EQUAL(st.count, 64);
    CU_ASSERT_EQUAL(st.evictions, 0);

    /* another capacity means another size: not reusable */
    CU_ASSERT(!dg_limit_table_valid(mem, dg_limit_table_size(32)));
    CU_ASSERT(!dg_limit_table_valid(mem, dg_limit_table_size(128)));

    /* entries scribbled over: not reusable */
    p = (unsigned char *) mem + size / 2;

    for (i = 0; i < 256; i++) {
        p[i] ^= 0x5a;
    }

    CU_ASSERT(!dg_limit_table_valid(mem, size));

    /* and a charge refuses what is not a table */
    memset(mem, 0, size);
    CU_ASSERT_EQUAL(dg_limit_charge(mem, NULL, 1, NOW, NULL), -1);

    free(mem);
}


static void
eviction(void)
{
    void              *mem;
    dg_limit_stats_t   st;
    dg_gcra_limit_t    day, second;

    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&day, 1, 86400000, 0), 0);
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&second, 1, 1000, 0), 0);

    /* capacity 4, 5 keys: the least recently used goes */
    mem = table(4);
    CU_ASSERT(one(mem, "c:1", &day, NOW));
    CU_ASSERT(one(mem, "c:2", &day, NOW));
    CU_ASSERT(one(mem, "c:3", &day, NOW));
    CU_ASSERT(one(mem, "c:4", &day, NOW));
    CU_ASSERT(!one(mem, "c:1", &day, NOW + 1));     /* used again */
    CU_ASSERT(one(mem, "c:5", &day, NOW + 2));      /* evicts c:2 */

    dg_limit_table_stats(mem, &st);
    CU_ASSERT_EQUAL(st.count, 4);
    CU_ASSERT_EQUAL(st.evictions, 1);
    CU_ASSERT_EQUAL(st.evictions_live, 1);

    CU_ASSERT(one(mem, "c:2", &day, NOW + 3));      /* fresh: evicts c:3 */
    CU_ASSERT(!one(mem, "c:1", &day, NOW + 4));     /* kept its state */
    CU_ASSERT(!one(mem, "c:4", &day, NOW + 5));
    CU_ASSERT(!one(mem, "c:5", &day, NOW + 6));
    CU_ASSERT(one(mem, "c:3", &day, NOW + 7));      /* fresh again */
    CU_ASSERT(dg_limit_table_valid(mem, dg_limit_table_size(4)));
    free(mem);

    /* a key whose TAT is past goes before an older one holding state */
    mem = table(4);
    CU_ASSERT(one(mem, "c:old", &day, NOW));
    CU_ASSERT(one(mem, "s:past", &second, NOW));
    CU_ASSERT(one(mem, "c:a", &day, NOW));
    CU_ASSERT(one(mem, "c:b", &day, NOW));
    CU_ASSERT(one(mem, "c:new", &day, NOW + 2 * SEC));

    dg_limit_table_stats(mem, &st);
    CU_ASSERT_EQUAL(st.evictions, 1);
    CU_ASSERT_EQUAL(st.evictions_live, 0);
    CU_ASSERT(!one(mem, "c:old", &day, NOW + 3 * SEC));
    CU_ASSERT(dg_limit_table_valid(mem, dg_limit_table_size(4)));
    free(mem);
}


static int
cmp_u64(const void *a, const void *b)
{
    uint64_t  x = *(const uint64_t *) a, y = *(const uint64_t *) b;

    return x < y ? -1 : x > y;
}


static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;

    return *s;
}


static void
hash_collision(void)
{
    void             *mem;
    char              a[32], b[32];
    size_t            i, n;
    uint64_t         *h, *v, seed;
    dg_gcra_limit_t   day;

    /*
     * Two keys with the same 32-bit hash under this table's seed, by the
     * birthday bound: 2^19 random keys give about 32 colliding pairs.
     * (Sequential ones give fewer: FNV-1a carries small differences only
     * upwards, which is no reason to rely on it.)
     */
    mem = table(1024);
    n = (size_t) 1 << 19;
    h = malloc(n * sizeof(uint64_t));
    v = malloc(n * sizeof(uint64_t));
    CU_ASSERT_FATAL(h != NULL && v != NULL);
    seed = 0x9e3779b97f4a7c15ULL;

    for (i = 0; i < n; i++) {
        v[i] = rnd(&seed);
        snprintf(a, sizeof(a), "citizen:%016llx", (unsigned long long) v[i]);
        h[i] = (uint64_t) dg_limit_hash(mem, a, strlen(a)) << 32 | i;
    }

    qsort(h, n, sizeof(uint64_t), cmp_u64);

    for (i = 1; i < n && h[i] >> 32 != h[i - 1] >> 32; i++) {
        /* void */
    }

    CU_ASSERT_FATAL(i < n);
    snprintf(a, sizeof(a), "citizen:%016llx",
             (unsigned long long) v[h[i - 1] & 0xffffffff]);
    snprintf(b, sizeof(b), "citizen:%016llx",
             (unsigned long long) v[h[i] & 0xffffffff]);
    free(h);
    free(v);

    CU_ASSERT_EQUAL_FATAL(dg_limit_hash(mem, a, strlen(a)),
                          dg_limit_hash(mem, b, strlen(b)));
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&day, 1, 86400000, 0), 0);

    /* same hash, same bucket: told apart by the full key */
    CU_ASSERT(one(mem, a, &day, NOW));
    CU_ASSERT(one(mem, b, &day, NOW));
    CU_ASSERT(!one(mem, a, &day, NOW + 1));
    CU_ASSERT(!one(mem, b, &day, NOW + 1));
    CU_ASSERT(dg_limit_table_valid(mem, dg_limit_table_size(1024)));
    free(mem);
}


static void
all_or_nothing(void)
{
    int                 i;
    void               *mem;
    dg_gcra_limit_t     client, citizen, sector;
    dg_limit_outcome_t  out;
    dg_limit_request_t  r[3];

    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&client, 10, 1000, 9), 0);
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&citizen, 1, 86400000, 0), 0);
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&sector, 1, 60000, 0), 0);
    mem = table(16);

    r[0] = req("client:portal", &client, 0);
    r[1] = req("citizen:031185001234", &citizen, 0);
    r[2] = req("sector:BTXH", &sector, 0);

    CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 2, NOW, &out), 0);
    CU_ASSERT(out.allowed);
    CU_ASSERT_EQUAL(out.refused, -1);
    CU_ASSERT_EQUAL(out.header, 1);             /* 0 remaining */

    /* the citizen refuses: the client limit is not charged */
    CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 2, NOW, &out), 0);
    CU_ASSERT(!out.allowed);
    CU_ASSERT_EQUAL(out.refused, 1);
    CU_ASSERT_EQUAL(out.header, 1);
    CU_ASSERT_EQUAL(out.retry_after_us, 86400 * SEC);
    CU_ASSERT(out.results[0].allowed);

    for (i = 0; i < 9; i++) {
        CU_ASSERT(one(mem, "client:portal", &client, NOW));
    }

    CU_ASSERT(!one(mem, "client:portal", &client, NOW));

    /* two refuse: the longest wait is the request's */
    CU_ASSERT(one(mem, "sector:BTXH", &sector, NOW));
    r[0] = req("sector:BTXH", &sector, 0);
    CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 2, NOW + SEC, &out), 0);
    CU_ASSERT(!out.allowed);
    CU_ASSERT_EQUAL(out.refused, 1);
    CU_ASSERT_EQUAL(out.retry_after_us, 86400 * SEC - SEC);
    CU_ASSERT_EQUAL(out.results[0].retry_after_us, 59 * SEC);

    /* bad requests change nothing */
    r[0] = req("client:portal", &client, 0);
    r[2] = req("client:portal", &citizen, 0);
    CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 0, NOW, &out), -1);
    CU_ASSERT_EQUAL(dg_limit_charge(mem, r, DG_LIMIT_MAX_LIMITS + 1, NOW,
                                    &out), -1);
    CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 3, NOW, &out), -1);  /* twice */
    CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 1, -1, &out), -1);
    r[2].key_len = 0;
    CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 3, NOW, &out), -1);
    r[2].key_len = DG_LIMIT_KEY_MAX + 1;
    CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 3, NOW, &out), -1);
    CU_ASSERT(one(mem, "client:portal", &client, NOW + SEC));
    free(mem);

    /* more limits than the table holds */
    mem = table(1);
    r[0] = req("client:portal", &client, 0);
    r[1] = req("citizen:031185001234", &citizen, 0);
    CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 2, NOW, &out), -1);
    free(mem);
}


static void
shadow(void)
{
    int                 i;
    void               *mem;
    dg_gcra_limit_t     loose, strict;
    dg_limit_outcome_t  out;
    dg_limit_request_t  r[2];

    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&loose, 100, 1000, 99), 0);
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&strict, 2, 1000, 1), 0);
    mem = table(16);

    r[0] = req("client:portal", &loose, 0);
    r[1] = req("citizen:031185001234", &strict, 1);

    /* 5 at once: all served; the shadow limit reports 3 refusals */
    for (i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 2, NOW, &out), 0);
        CU_ASSERT(out.allowed);
        CU_ASSERT_EQUAL(out.refused, -1);
        CU_ASSERT_EQUAL(out.header, 0);         /* shadow not advertised */
        CU_ASSERT_EQUAL(out.results[1].allowed, i < 2);
    }

    CU_ASSERT_EQUAL(out.results[1].retry_after_us, 500000);

    /*
     * Its TAT moved only for the 2 it allowed, as if enforced: one more
     * is allowed half a second later (5 charged would refuse it).
     */
    CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 2, NOW + 500000, &out), 0);
    CU_ASSERT(out.results[1].allowed);
    CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 2, NOW + 500000, &out), 0);
    CU_ASSERT(!out.results[1].allowed);
    CU_ASSERT(out.allowed);

    /* all shadow: always allowed, nothing to advertise */
    r[0].shadow = 1;
    CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 2, NOW + 500000, &out), 0);
    CU_ASSERT(out.allowed);
    CU_ASSERT_EQUAL(out.header, -1);
    free(mem);
}


static void
clock_back(void)
{
    void             *mem;
    dg_gcra_limit_t   l;

    /*
     * 10 a second; the clock goes back 10 s: refused, and the TAT brought
     * back to now + T is stored, so the key serves again after T instead
     * of after 10 s.
     */
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 10, 1000, 0), 0);
    mem = table(4);
    CU_ASSERT(one(mem, "c:1", &l, NOW));
    CU_ASSERT(!one(mem, "c:1", &l, NOW - 10 * SEC));
    CU_ASSERT(!one(mem, "c:1", &l, NOW - 10 * SEC + 99999));
    CU_ASSERT(one(mem, "c:1", &l, NOW - 10 * SEC + 100000));
    CU_ASSERT(!one(mem, "c:1", &l, NOW - 10 * SEC + 100000));
    free(mem);
}


static void
headers(void)
{
    int                 i;
    char                pol[DG_RATELIMIT_HEADER_MAX];
    char                rl[DG_RATELIMIT_HEADER_MAX];
    void               *mem;
    dg_gcra_limit_t     citizen, half, odd, day, burst;
    dg_limit_outcome_t  out;
    dg_limit_request_t  r[2];

    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&citizen, 30, 60000, 29), 0);
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&half, 10, 500, 0), 0);
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&odd, 3, 1500, 0), 0);
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&day, 1, 86400000, 0), 0);
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&burst, 1000, 1000, 2000), 0);
    mem = table(16);

    r[0] = req("citizen:031185001234", &citizen, 0);

    for (i = 0; i < 18; i++) {
        CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 1, NOW, &out), 0);
    }

    CU_ASSERT_EQUAL(dg_ratelimit_headers(r, &out, pol, sizeof(pol), rl,
                                         sizeof(rl)), 0);
    CU_ASSERT_STRING_EQUAL(pol, "\"citizen\";q=30;w=60");
    CU_ASSERT_STRING_EQUAL(rl, "\"citizen\";r=12;t=36");

    /* refused: r=0 and t the Retry-After */
    for (i = 0; i < 12; i++) {
        CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 1, NOW, &out), 0);
    }

    CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 1, NOW + 500000, &out), 0);
    CU_ASSERT(!out.allowed);
    CU_ASSERT_EQUAL(dg_gcra_retry_after_s(out.retry_after_us), 2);
    CU_ASSERT_EQUAL(dg_ratelimit_headers(r, &out, pol, sizeof(pol), rl,
                                         sizeof(rl)), 0);
    CU_ASSERT_STRING_EQUAL(rl, "\"citizen\";r=0;t=2");

    /* the most restrictive of two; periods not in whole seconds */
    r[0] = req("ip:192.0.2.7", &half, 0);
    r[1] = req("sector:HT", &odd, 0);
    CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 2, NOW, &out), 0);
    CU_ASSERT_EQUAL(out.header, 1);         /* a tie: the longer reset */
    CU_ASSERT_EQUAL(dg_ratelimit_headers(r, &out, pol, sizeof(pol), rl,
                                         sizeof(rl)), 0);
    CU_ASSERT_STRING_EQUAL(pol, "\"sector\";q=4;w=2");
    CU_ASSERT_STRING_EQUAL(rl, "\"sector\";r=0;t=1");

    out.header = 0;
    CU_ASSERT_EQUAL(dg_ratelimit_headers(r, &out, pol, sizeof(pol), rl,
                                         sizeof(rl)), 0);
    CU_ASSERT_STRING_EQUAL(pol, "\"ip\";q=20;w=1");
    CU_ASSERT_STRING_EQUAL(rl, "\"ip\";r=0;t=1");

    /* a burst above the rate: r says no more than q */
    r[0] = req("client:demo-portal", &burst, 0);
    CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 1, NOW, &out), 0);
    CU_ASSERT_EQUAL(dg_ratelimit_headers(r, &out, pol, sizeof(pol), rl,
                                         sizeof(rl)), 0);
    CU_ASSERT_STRING_EQUAL(pol, "\"client\";q=1000;w=1");
    CU_ASSERT_STRING_EQUAL(rl, "\"client\";r=1000;t=1");

    /* a name is escaped; the value never shows */
    r[0] = req("a\"b\\c:secret", &day, 0);
    CU_ASSERT_EQUAL(dg_limit_charge(mem, r, 1, NOW, &out), 0);
    CU_ASSERT_EQUAL(dg_ratelimit_headers(r, &out, pol, sizeof(pol), rl,
                                         sizeof(rl)), 0);
    CU_ASSERT_STRING_EQUAL(pol, "\"a\\\"b\\\\c\";q=1;w=86400");
    CU_ASSERT_STRING_EQUAL(rl, "\"a\\\"b\\\\c\";r=0;t=86400");

    /* errors: small buffers, no name, a name not printable, no limit */
    CU_ASSERT_EQUAL(dg_ratelimit_headers(r, &out, pol, 10, rl,
                                         sizeof(rl)), -1);
    CU_ASSERT_EQUAL(dg_ratelimit_headers(r, &out, pol, sizeof(pol), rl,
                                         10), -1);
    r[0] = req(":031185001234", &day, 0);
    CU_ASSERT_EQUAL(dg_ratelimit_headers(r, &out, pol, sizeof(pol), rl,
                                         sizeof(rl)), -1);
    r[0] = req("031185001234", &day, 0);
    CU_ASSERT_EQUAL(dg_ratelimit_headers(r, &out, pol, sizeof(pol), rl,
                                         sizeof(rl)), -1);
    r[0] = req("c\tx:1", &day, 0);
    CU_ASSERT_EQUAL(dg_ratelimit_headers(r, &out, pol, sizeof(pol), rl,
                                         sizeof(rl)), -1);
    out.header = -1;
    CU_ASSERT_EQUAL(dg_ratelimit_headers(r, &out, pol, sizeof(pol), rl,
                                         sizeof(rl)), -1);
    free(mem);
}


static redisReply *
resp(const char *bytes)
{
    void         *reply;
    redisReader  *rd;

    rd = redisReaderCreate();
    CU_ASSERT_EQUAL(redisReaderFeed(rd, bytes, strlen(bytes)), REDIS_OK);
    reply = NULL;
    CU_ASSERT_EQUAL(redisReaderGetReply(rd, &reply), REDIS_OK);
    redisReaderFree(rd);
    CU_ASSERT_PTR_NOT_NULL_FATAL(reply);

    return reply;
}


static int
parse(const char *bytes, const dg_limit_request_t *r, size_t n,
    dg_limit_outcome_t *out)
{
    int          rc;
    redisReply  *reply;

    reply = resp(bytes);
    rc = dg_limit_redis_reply(reply, r, n, 0, out);
    freeReplyObject(reply);

    return rc;
}


static int
parse_nonce(const char *bytes, const dg_limit_request_t *r, size_t n,
    dg_limit_outcome_t *out)
{
    int          rc;
    redisReply  *reply;

    reply = resp(bytes);
    rc = dg_limit_redis_reply(reply, r, n, 1, out);
    freeReplyObject(reply);

    return rc;
}


static void
redis_replies(void)
{
    dg_gcra_limit_t     l;
    dg_limit_outcome_t  out;
    dg_limit_request_t  r[2];

    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 10, 1000, 3), 0);
    r[0] = req("client:portal", &l, 0);
    r[1] = req("citizen:031185001234", &l, 0);

    /* the second refuses */
    CU_ASSERT_EQUAL(parse("*9\r\n:0\r\n"
                          ":1\r\n:0\r\n:3\r\n:5000\r\n"
                          ":0\r\n:2000000\r\n:0\r\n:7000000\r\n",
                          r, 2, &out), 0);
    CU_ASSERT(!out.allowed);
    CU_ASSERT_EQUAL(out.refused, 1);
    CU_ASSERT_EQUAL(out.header, 1);
    CU_ASSERT_EQUAL(out.retry_after_us, 2000000);
    CU_ASSERT(out.results[0].allowed);
    CU_ASSERT_EQUAL(out.results[0].remaining, 3);
    CU_ASSERT_EQUAL(out.results[0].reset_us, 5000);
    CU_ASSERT_EQUAL(out.results[1].reset_us, 7000000);

    /* both allow: the fewer remaining is advertised */
    CU_ASSERT_EQUAL(parse("*9\r\n:1\r\n"
                          ":1\r\n:0\r\n:3\r\n:5000\r\n"
                          ":1\r\n:0\r\n:1\r\n:7000000\r\n",
                          r, 2, &out), 0);
    CU_ASSERT(out.allowed);
    CU_ASSERT_EQUAL(out.header, 1);

    /* a shadow refusal is charged */
    r[1].shadow = 1;
    CU_ASSERT_EQUAL(parse("*9\r\n:1\r\n"
                          ":1\r\n:0\r\n:3\r\n:5000\r\n"
                          ":0\r\n:2000000\r\n:0\r\n:7000000\r\n",
                          r, 2, &out), 0);
    CU_ASSERT(out.allowed);
    CU_ASSERT_EQUAL(out.header, 0);
    CU_ASSERT(!out.results[1].allowed);

    /* malformed */
    CU_ASSERT_EQUAL(parse("-ERR dg_limit: bad KEYS/ARGV\r\n", r, 2, &out),
                    -1);
    CU_ASSERT_EQUAL(parse("-NOSCRIPT No matching script.\r\n", r, 2, &out),
                    -1);
    CU_ASSERT_EQUAL(parse(":1\r\n", r, 2, &out), -1);
    CU_ASSERT_EQUAL(parse("*5\r\n:1\r\n:1\r\n:0\r\n:3\r\n:5000\r\n",
                          r, 2, &out), -1);
    CU_ASSERT_EQUAL(parse("*5\r\n:1\r\n:1\r\n:0\r\n$1\r\n3\r\n:5000\r\n",
                          r, 1, &out), -1);
    CU_ASSERT_EQUAL(parse("*5\r\n:1\r\n:2\r\n:0\r\n:3\r\n:5000\r\n",
                          r, 1, &out), -1);
    CU_ASSERT_EQUAL(parse("*5\r\n:1\r\n:1\r\n:-1\r\n:3\r\n:5000\r\n",
                          r, 1, &out), -1);
    CU_ASSERT_EQUAL(parse("*5\r\n:2\r\n:1\r\n:0\r\n:3\r\n:5000\r\n",
                          r, 1, &out), -1);
    /* shapes gcra never gives: allowed with a wait, refused without */
    CU_ASSERT_EQUAL(parse("*5\r\n:1\r\n:1\r\n:9\r\n:3\r\n:5000\r\n",
                          r, 1, &out), -1);
    CU_ASSERT_EQUAL(parse("*5\r\n:0\r\n:0\r\n:0\r\n:0\r\n:5000\r\n",
                          r, 1, &out), -1);
    /* "charged" though the enforced limit refused, and the reverse */
    CU_ASSERT_EQUAL(parse("*5\r\n:1\r\n:0\r\n:9\r\n:0\r\n:5000\r\n",
                          r, 1, &out), -1);
    CU_ASSERT_EQUAL(parse("*5\r\n:0\r\n:1\r\n:0\r\n:3\r\n:5000\r\n",
                          r, 1, &out), -1);
    CU_ASSERT_EQUAL(dg_limit_redis_reply(NULL, r, 1, 0, &out), -1);

    /* {-1}: a replay, only when the command carried a nonce */
    CU_ASSERT_EQUAL(parse("*1\r\n:-1\r\n", r, 2, &out), -1);
    CU_ASSERT_EQUAL(parse_nonce("*1\r\n:-1\r\n", r, 2, &out),
                    DG_LIMIT_REDIS_REPLAYED);
    CU_ASSERT_EQUAL(parse_nonce("*1\r\n:-1\r\n", r, 0, &out),
                    DG_LIMIT_REDIS_REPLAYED);
    CU_ASSERT_EQUAL(parse_nonce("*1\r\n:-2\r\n", r, 0, &out), -1);
    CU_ASSERT_EQUAL(parse_nonce("*2\r\n:-1\r\n:0\r\n", r, 0, &out), -1);

    /* a nonce alone: charged, no limit to report */
    CU_ASSERT_EQUAL(parse_nonce("*1\r\n:1\r\n", r, 0, &out), 0);
    CU_ASSERT(out.allowed);
    CU_ASSERT_EQUAL(out.header, -1);
    CU_ASSERT_EQUAL(parse("*1\r\n:1\r\n", r, 0, &out), -1);
    CU_ASSERT_EQUAL(parse_nonce("*1\r\n:0\r\n", r, 0, &out), -1);

    /* with a nonce, the usual reply */
    CU_ASSERT_EQUAL(parse_nonce("*9\r\n:1\r\n"
                                ":1\r\n:0\r\n:3\r\n:5000\r\n"
                                ":0\r\n:2000000\r\n:0\r\n:7000000\r\n",
                                r, 2, &out), 0);
    CU_ASSERT(out.allowed);
}


static void
redis_command(void)
{
    dg_gcra_limit_t       a, b;
    dg_limit_nonce_t      nonce;
    dg_limit_request_t    r[2];
    dg_limit_redis_cmd_t  cmd;
    const char           *sha = "0123456789012345678901234567890123456789";
    static const char    *want[] = {
        "EVALSHA", "0123456789012345678901234567890123456789", "2",
        "{dg:rl}:client:portal", "{dg:rl}:citizen:031185001234",
        "1795489200000000", "0",
        "7", "1000000", "2000000", "0",
        "1", "86400000000", "0", "1"
    };
    static const char    *with_nonce[] = {
        "EVALSHA", "0123456789012345678901234567890123456789", "3",
        "{dg:rl}:client:portal", "{dg:rl}:citizen:031185001234",
        "{dg:rl}n:portal:abc",
        "1795489200000000", "601",
        "7", "1000000", "2000000", "0",
        "1", "86400000000", "0", "1"
    };
    static const char    *nonce_only[] = {
        "EVALSHA", "0123456789012345678901234567890123456789", "1",
        "{dg:rl}n:portal:abc", "1795489200000000", "601"
    };
    int                   i;

    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&a, 7, 1000, 2), 0);
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&b, 1, 86400000, 0), 0);
    r[0] = req("client:portal", &a, 0);
    r[1] = req("citizen:031185001234", &b, 1);

    CU_ASSERT_EQUAL_FATAL(dg_limit_redis_command(&cmd, sha, "{dg:rl}:", r, 2,
                                                 NULL, NOW), 0);
    CU_ASSERT_EQUAL_FATAL(cmd.argc, 15);

    for (i = 0; i < cmd.argc; i++) {
        CU_ASSERT_EQUAL(cmd.argvlen[i], strlen(want[i]));
        CU_ASSERT_EQUAL(memcmp(cmd.argv[i], want[i], cmd.argvlen[i]), 0);
    }

    nonce.key = "{dg:rl}n:portal:abc";
    nonce.len = strlen(nonce.key);
    nonce.ttl = 601;

    CU_ASSERT_EQUAL_FATAL(dg_limit_redis_command(&cmd, sha, "{dg:rl}:", r, 2,
                                                 &nonce, NOW), 0);
    CU_ASSERT_EQUAL_FATAL(cmd.argc, 16);

    for (i = 0; i < cmd.argc; i++) {
        CU_ASSERT_EQUAL(cmd.argvlen[i], strlen(with_nonce[i]));
        CU_ASSERT_EQUAL(memcmp(cmd.argv[i], with_nonce[i], cmd.argvlen[i]),
                        0);
    }

    CU_ASSERT_EQUAL_FATAL(dg_limit_redis_command(&cmd, sha, "{dg:rl}:", r, 0,
                                                 &nonce, NOW), 0);
    CU_ASSERT_EQUAL_FATAL(cmd.argc, 6);

    for (i = 0; i < cmd.argc; i++) {
        CU_ASSERT_EQUAL(cmd.argvlen[i], strlen(nonce_only[i]));
        CU_ASSERT_EQUAL(memcmp(cmd.argv[i], nonce_only[i], cmd.argvlen[i]),
                        0);
    }

    CU_ASSERT_EQUAL(dg_limit_redis_command(&cmd, sha, "{dg:rl}:", r, 0,
                                           NULL, NOW), -1);
    nonce.ttl = 0;
    CU_ASSERT_EQUAL(dg_limit_redis_command(&cmd, sha, "{dg:rl}:", r, 0,
                                           &nonce, NOW), -1);
    CU_ASSERT_EQUAL(dg_limit_redis_command(&cmd, sha, "{dg:rl}:", r, 2, NULL,
                                           -1), -1);
    CU_ASSERT_EQUAL(dg_limit_redis_command(&cmd, sha,
                        "0123456789012345678901234567890123", r, 2, NULL,
                        NOW), -1);
    r[1].key_len = DG_LIMIT_KEY_MAX + 1;
    CU_ASSERT_EQUAL(dg_limit_redis_command(&cmd, sha, "", r, 2, NULL, NOW),
                    -1);
}


/* A private redis-server; 0 when it cannot be started. */
static pid_t
redis_start(redisContext **c)
{
    int              fd, i, status;
    char             want[64];
    pid_t            pid;
    redisReply      *reply;
    struct timeval   tv = { 1, 0 };
    struct timespec  nap = { 0, 50000000 };
    char             port[16];

    snprintf(port, sizeof(port), "%d", REDIS_PORT);

    pid = fork();
    if (pid < 0) {
        return 0;
    }

    if (pid == 0) {
        /* gone with the test, even if it crashes */
        prctl(PR_SET_PDEATHSIG, SIGKILL);

        fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }

        execlp("redis-server", "redis-server", "--port", port,
               "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--daemonize", "no", (char *) NULL);
        _exit(127);
    }

    /* ours, not some other server on the port: INFO names its pid */
    snprintf(want, sizeof(want), "process_id:%d\r\n", (int) pid);

    for (i = 0; i < 60; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            return 0;
        }

        *c = redisConnectWithTimeout("127.0.0.1", REDIS_PORT, tv);

        if (*c != NULL && (*c)->err == 0) {
            reply = redisCommand(*c, "INFO server");

            if (reply != NULL && reply->type == REDIS_REPLY_STRING
                && strstr(reply->str, want) != NULL)
            {
                freeReplyObject(reply);
                return pid;
            }

            if (reply != NULL) {
                freeReplyObject(reply);
            }
        }

        if (*c != NULL) {
            redisFree(*c);
            *c = NULL;
        }

        nanosleep(&nap, NULL);
    }

    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);

    return 0;
}


/* The two outcomes of one request agree. */
static int
same(const dg_limit_outcome_t *a, const dg_limit_outcome_t *b, size_t n)
{
    size_t                   i;
    const dg_gcra_result_t  *x, *y;

    if (a->allowed != b->allowed || a->refused != b->refused
        || a->retry_after_us != b->retry_after_us || a->header != b->header)
    {
        return 0;
    }

    for (i = 0; i < n; i++) {
        x = &a->results[i];
        y = &b->results[i];

        if (x->allowed != y->allowed || x->retry_after_us != y->retry_after_us
            || x->remaining != y->remaining || x->reset_us != y->reset_us)
        {
            return 0;
        }
    }

    return 1;
}


/*
 * The same random sequence of requests through the C table and through
 * the script; returns how many were charged, or -1 at the first
 * disagreement.  The periods are long enough (T >= 1.4 s) that no Redis
 * key can expire in the real time this takes while its TAT is still ahead
 * of the simulated clock.
 */
static int
redis_sequence(redisContext *c, const char *sha)
{
    int                   i, j, step, charged, rc;
    char                  keys[DG_LIMIT_MAX_LIMITS][32];
    char                  prefix[32];
    void                 *mem;
    size_t                n, k;
    int64_t               now;
    uint64_t              seed;
    redisReply           *got;
    dg_gcra_limit_t       l[4];
    dg_limit_outcome_t    a, b;
    dg_limit_request_t    r[DG_LIMIT_MAX_LIMITS];
    dg_limit_redis_cmd_t  cmd;
    static const char    *names[] = { "client", "citizen", "sector", "ip" };

    if (dg_gcra_limit_init(&l[0], 7, 10000, 2) != 0
        || dg_gcra_limit_init(&l[1], 3, 60000, 0) != 0
        || dg_gcra_limit_init(&l[2], 1, 86400000, 5) != 0
        || dg_gcra_limit_init(&l[3], 2, 3000, 4) != 0)
    {
        return -1;
    }

    mem = table(256);
    snprintf(prefix, sizeof(prefix), "dgtest:%d:", (int) getpid());
    seed = 0x9e3779b97f4a7c15ULL;
    now = NOW;
    charged = 0;

    for (step = 0; step < 3000; step++) {
        switch (rnd(&seed) % 8) {
        case 0:
            break;                                  /* the same instant */
        case 1:
            now += (int64_t) (rnd(&seed) % (120 * SEC));
            break;
        case 2:
            now -= (int64_t) (rnd(&seed) % (30 * SEC));   /* clock back */
            break;
        default:
            now += (int64_t) (rnd(&seed) % (2 * SEC));
        }

        /* 1 to 4 distinct limits, 3 values each, now and then shadow */
        n = 1 + rnd(&seed) % 4;
        k = rnd(&seed) % 4;

        for (i = 0; i < (int) n; i++) {
            j = (int) ((k + i) % 4);
            snprintf(keys[i], sizeof(keys[i]), "%s:%d", names[j],
                     (int) (rnd(&seed) % 3));
            r[i] = req(keys[i], &l[j], rnd(&seed) % 10 == 0);
        }

        if (dg_limit_charge(mem, r, n, now, &a) != 0
            || dg_limit_redis_command(&cmd, sha, prefix, r, n, NULL, now)
               != 0)
        {
            break;
        }

        got = redisCommandArgv(c, cmd.argc, cmd.argv, cmd.argvlen);
        rc = dg_limit_redis_reply(got, r, n, 0, &b);

        if (got != NULL) {
            freeReplyObject(got);
        }

        if (rc != 0 || !same(&a, &b, n)) {
            fprintf(stderr, "\n    step %d: C and Lua disagree ", step);
            break;
        }

        charged += a.allowed;
    }

    free(mem);

    return step == 3000 ? charged : -1;
}


/* One script call and its interpretation; the reply is kept in *got
 * (freed by the caller) when got is not NULL. */
static int
redis_call(redisContext *c, const char *sha, const char *prefix,
    const dg_limit_request_t *r, size_t n, const dg_limit_nonce_t *nonce,
    int64_t now, dg_limit_outcome_t *out)
{
    int                   rc;
    redisReply           *got;
    dg_limit_redis_cmd_t  cmd;

    if (dg_limit_redis_command(&cmd, sha, prefix, r, n, nonce, now) != 0) {
        return -2;
    }

    got = redisCommandArgv(c, cmd.argc, cmd.argv, cmd.argvlen);
    rc = dg_limit_redis_reply(got, r, n, nonce != NULL, out);

    if (got != NULL) {
        freeReplyObject(got);
    }

    return rc;
}


/* An integer reply of a command on key ("TTL", "EXISTS"), -100 if none. */
static long long
redis_int(redisContext *c, const char *command, const char *key)
{
    long long    v;
    redisReply  *reply;

    reply = redisCommand(c, "%s %s", command, key);
    v = (reply && reply->type == REDIS_REPLY_INTEGER) ? reply->integer : -100;

    if (reply) {
        freeReplyObject(reply);
    }

    return v;
}


/* The stored TAT of a key, "" when none; buf of 64. */
static const char *
redis_get(redisContext *c, const char *key, char *buf)
{
    redisReply  *reply;

    buf[0] = '\0';
    reply = redisCommand(c, "GET %s", key);

    if (reply && reply->type == REDIS_REPLY_STRING && reply->len < 64) {
        memcpy(buf, reply->str, reply->len + 1);
    }

    if (reply) {
        freeReplyObject(reply);
    }

    return buf;
}


/*
 * The nonce a call records first: fresh, the limits charged as the C
 * table charges them, the nonce kept for its TTL; replayed, {-1} and no
 * TAT changed (the table, charged once, still agrees afterwards); alone,
 * with no limit; taken back when the charge fails.  0, or the number of
 * the first check that failed.
 */
static int
redis_nonces(redisContext *c, const char *sha)
{
    int                 failed;
    char                prefix[32], keys[2][64], tat[2][64], now_tat[64];
    char                nk[3][64];
    void               *mem;
    long long           ttl;
    dg_gcra_limit_t     l[2];
    dg_limit_nonce_t    nonce[3];
    dg_limit_outcome_t  a, b;
    dg_limit_request_t  r[2], bad;
    int                 i;

    if (dg_gcra_limit_init(&l[0], 7, 10000, 2) != 0
        || dg_gcra_limit_init(&l[1], 3, 60000, 0) != 0)
    {
        return 100;
    }

    snprintf(prefix, sizeof(prefix), "dgtest:%d:", (int) getpid());
    r[0] = req("client:portal", &l[0], 0);
    r[1] = req("citizen:031185001234", &l[1], 0);
    snprintf(keys[0], sizeof(keys[0]), "%sclient:portal", prefix);
    snprintf(keys[1], sizeof(keys[1]), "%scitizen:031185001234", prefix);

    for (i = 0; i < 3; i++) {
        snprintf(nk[i], sizeof(nk[i]), "%sn:portal:nonce-%d", prefix, i);
        nonce[i].key = nk[i];
        nonce[i].len = strlen(nk[i]);
        nonce[i].ttl = 601;
    }

    mem = table(64);
    failed = 0;

    /* 1: fresh, charged as the table charges, the nonce kept 601 s */
    if (dg_limit_charge(mem, r, 2, NOW, &a) != 0
        || redis_call(c, sha, prefix, r, 2, &nonce[0], NOW, &b) != 0
        || !same(&a, &b, 2) || !b.allowed)
    {
        failed = 1;
        goto done;
    }

    ttl = redis_int(c, "TTL", nk[0]);
    if (ttl < 590 || ttl > 601) {
        failed = 2;
        goto done;
    }

    /* 3: replayed, with the limits or alone: nothing charged */
    redis_get(c, keys[0], tat[0]);
    redis_get(c, keys[1], tat[1]);

    if (tat[0][0] == '\0' || tat[1][0] == '\0'
        || redis_call(c, sha, prefix, r, 2, &nonce[0], NOW + SEC, &b)
           != DG_LIMIT_REDIS_REPLAYED
        || redis_call(c, sha, prefix, r, 0, &nonce[0], NOW + SEC, &b)
           != DG_LIMIT_REDIS_REPLAYED
        || strcmp(redis_get(c, keys[0], now_tat), tat[0]) != 0
        || strcmp(redis_get(c, keys[1], now_tat), tat[1]) != 0)
    {
        failed = 3;
        goto done;
    }

    /* 4: a nonce alone, then its replay */
    if (redis_call(c, sha, prefix, r, 0, &nonce[1], NOW + SEC, &b) != 0
        || !b.allowed || b.header != -1
        || redis_int(c, "TTL", nk[1]) < 590
        || redis_call(c, sha, prefix, r, 0, &nonce[1], NOW + SEC, &b)
           != DG_LIMIT_REDIS_REPLAYED)
    {
        failed = 4;
        goto done;
    }

    /* 5: the table and the script still agree: the replays charged
     * nothing (the citizen's limit, 3 a minute and no burst, refuses) */
    if (dg_limit_charge(mem, r, 2, NOW + 2 * SEC, &a) != 0
        || redis_call(c, sha, prefix, r, 2, NULL, NOW + 2 * SEC, &b) != 0
        || !same(&a, &b, 2) || b.allowed)
    {
        failed = 5;
        goto done;
    }

    /* 6: the charge fails (a key of another type): the nonce is taken
     * back, so that the error reply recorded nothing */
    snprintf(now_tat, sizeof(now_tat), "%slist:x", prefix);
    freeReplyObject(redisCommand(c, "RPUSH %s x", now_tat));
    bad = req("list:x", &l[0], 0);

    if (redis_call(c, sha, prefix, &bad, 1, &nonce[2], NOW, &b) != -1
        || redis_int(c, "EXISTS", nk[2]) != 0)
    {
        failed = 6;
    }

done:

    free(mem);

    return failed;
}


/* Runs fn against a private redis-server with the script loaded: what
 * it returned, -1 if the script did not load, or -2 (skipped) when no
 * server could be started.  No fatal assertion until it is gone. */
static int
with_redis(int (*fn)(redisContext *c, const char *sha))
{
    int            rc, status;
    pid_t          pid;
    redisReply    *sha;
    redisContext  *c;

    c = NULL;
    pid = redis_start(&c);

    if (pid == 0) {
        fprintf(stderr, "\n    (no redis-server on 127.0.0.1:%d: skipped) ",
                REDIS_PORT);
        return -2;
    }

    rc = -1;
    sha = redisCommand(c, "SCRIPT LOAD %s", dg_limit_redis_lua);

    if (sha != NULL && sha->type == REDIS_REPLY_STRING && sha->len == 40) {
        rc = fn(c, sha->str);
    }

    if (sha != NULL) {
        freeReplyObject(sha);
    }

    redisFree(c);
    kill(pid, SIGTERM);

    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        /* void */
    }

    return rc;
}


static void
redis_matches_table(void)
{
    int  charged;

    charged = with_redis(redis_sequence);

    /* the same, and both outcomes well represented */
    if (charged != -2) {
        CU_ASSERT(charged > 300 && charged < 2700);
    }
}


static void
redis_nonce_first(void)
{
    int  failed;

    failed = with_redis(redis_nonces);

    if (failed != -2) {
        CU_ASSERT_EQUAL(failed, 0);
    }
}


/* Long values are digested, not cut: a shared prefix shares no key. */
static void
long_keys(void)
{
    char           a[200], b[200];
    unsigned char  ka[DG_LIMIT_KEY_MAX], kb[DG_LIMIT_KEY_MAX];
    size_t         la, lb;

    la = dg_limit_key(ka, "client", 6, "demo", 4);
    CU_ASSERT_EQUAL(la, 11);
    CU_ASSERT(memcmp(ka, "client:demo", 11) == 0);

    /* the longest value kept as it is */
    memset(a, 'x', sizeof(a));
    la = dg_limit_key(ka, "client", 6, a, DG_LIMIT_KEY_MAX - 7);
    CU_ASSERT_EQUAL(la, DG_LIMIT_KEY_MAX);
    CU_ASSERT_EQUAL(ka[7], 'x');

    /* two values alike but for their last byte, past the limit */
    memset(b, 'x', sizeof(b));
    b[sizeof(b) - 1] = 'y';
    la = dg_limit_key(ka, "client", 6, a, sizeof(a));
    lb = dg_limit_key(kb, "client", 6, b, sizeof(b));
    CU_ASSERT_EQUAL(la, 6 + 2 + 32);
    CU_ASSERT_EQUAL(lb, la);
    CU_ASSERT(memcmp(ka, "client:#", 8) == 0);
    CU_ASSERT(memcmp(ka, kb, la) != 0);

    /* the same value, the same key; the longest name fits */
    memset(a, 'n', DG_LIMIT_NAME_MAX);
    la = dg_limit_key(ka, a, DG_LIMIT_NAME_MAX, b, sizeof(b));
    lb = dg_limit_key(kb, a, DG_LIMIT_NAME_MAX, b, sizeof(b));
    CU_ASSERT_EQUAL(la, DG_LIMIT_NAME_MAX + 2 + 32);
    CU_ASSERT(la <= DG_LIMIT_KEY_MAX);
    CU_ASSERT(la == lb && memcmp(ka, kb, la) == 0);
}


static CU_TestInfo  tests[] = {
    { "table size, init and reuse", sizes_and_reuse },
    { "long values are digested, not cut", long_keys },
    { "a full table evicts the least recently used", eviction },
    { "keys with the same hash are told apart", hash_collision },
    { "several limits: all or nothing", all_or_nothing },
    { "shadow limits report but never refuse", shadow },
    { "a clock going back heals the key", clock_back },
    { "RateLimit header fields", headers },
    { "Redis replies", redis_replies },
    { "Redis command", redis_command },
    { "the Lua script decides as the table", redis_matches_table },
    { "the script records the nonce first, a replay charges nothing",
      redis_nonce_first },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(limit, tests)

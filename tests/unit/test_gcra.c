/*
 * GCRA arithmetic: exact counts at steady rates, bursts, exact waits,
 * a clock going back, the extreme rates and windows.
 */

#include <stdint.h>

#include "dg_gcra.h"
#include "unit.h"


/* 2026-11-24 10:00:00 +07:00 */
#define NOW  1795489200000000LL
#define SEC  1000000LL


/* One request; the TAT is stored as the table stores it. */
static int
hit(const dg_gcra_limit_t *l, dg_gcra_tat_t *tat, int64_t now,
    dg_gcra_result_t *r)
{
    dg_gcra_result_t  res;

    if (r == NULL) {
        r = &res;
    }

    CU_ASSERT_EQUAL_FATAL(dg_gcra_check(l, tat, now, r), 0);
    *tat = r->tat;

    return r->allowed;
}


/*
 * Requests as fast as allowed over [start, start + span): each refusal
 * waits exactly its retry_after_us, checking that 1 us less is refused.
 */
static int64_t
saturate(const dg_gcra_limit_t *l, dg_gcra_tat_t *tat, int64_t start,
    int64_t span)
{
    int64_t           now, n;
    dg_gcra_tat_t     probe;
    dg_gcra_result_t  r;

    n = 0;

    for (now = start; now < start + span; /* void */) {
        if (hit(l, tat, now, &r)) {
            n++;
            continue;
        }

        CU_ASSERT_FATAL(r.retry_after_us > 0);

        probe = *tat;
        CU_ASSERT_FATAL(!hit(l, &probe, now + r.retry_after_us - 1, NULL));
        probe = *tat;
        CU_ASSERT_FATAL(hit(l, &probe, now + r.retry_after_us, NULL));

        now += r.retry_after_us;
    }

    return n;
}


static void
limits(void)
{
    int64_t          day_us;
    dg_gcra_limit_t  l;

    CU_ASSERT_EQUAL(dg_gcra_limit_init(&l, 30, 60000, 0), 0);
    CU_ASSERT_EQUAL(l.t, 60000000);
    CU_ASSERT_EQUAL(l.tau, 0);
    CU_ASSERT_EQUAL(dg_gcra_limit_init(&l, 500, 1000, 20), 0);
    CU_ASSERT_EQUAL(l.tau, 20 * 1000000LL);

    CU_ASSERT_EQUAL(dg_gcra_limit_init(&l, 0, 1000, 0), -1);
    CU_ASSERT_EQUAL(dg_gcra_limit_init(&l, DG_GCRA_MAX_RATE + 1, 1000, 0),
                    -1);
    CU_ASSERT_EQUAL(dg_gcra_limit_init(&l, DG_GCRA_MAX_RATE, 1000, 0), 0);
    CU_ASSERT_EQUAL(dg_gcra_limit_init(&l, 1, 0, 0), -1);
    CU_ASSERT_EQUAL(dg_gcra_limit_init(&l, 1, DG_GCRA_MAX_PERIOD_MS + 1, 0),
                    -1);
    CU_ASSERT_EQUAL(dg_gcra_limit_init(&l, 1, 1000, -1), -1);

    /* the largest bursts: (burst + 1) * period_us <= 2^52 */
    day_us = 86400 * SEC;
    CU_ASSERT_EQUAL(dg_gcra_limit_init(&l, 1, 86400000,
                                       DG_GCRA_MAX_WINDOW / day_us - 1), 0);
    CU_ASSERT_EQUAL(dg_gcra_limit_init(&l, 1, 86400000,
                                       DG_GCRA_MAX_WINDOW / day_us), -1);
    CU_ASSERT_EQUAL(dg_gcra_limit_init(&l, 1, DG_GCRA_MAX_PERIOD_MS, 141),
                    0);
    CU_ASSERT_EQUAL(dg_gcra_limit_init(&l, 1, DG_GCRA_MAX_PERIOD_MS, 142),
                    -1);
}


static void
steady_rate(void)
{
    int64_t          now, n;
    dg_gcra_tat_t    tat = { 0, 0 };
    dg_gcra_limit_t  l;

    /* 30 a minute, a request every 100 ms: one every 2 s exactly */
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 30, 60000, 0), 0);
    n = 0;

    for (now = NOW; now < NOW + 60 * SEC; now += 100000) {
        if (hit(&l, &tat, now, NULL)) {
            CU_ASSERT_EQUAL((now - NOW) % (2 * SEC), 0);
            n++;
        }
    }

    CU_ASSERT_EQUAL(n, 30);
    CU_ASSERT(hit(&l, &tat, NOW + 60 * SEC, NULL));    /* the 31st */

    /* 500 a second, a request every microsecond */
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 500, 1000, 0), 0);
    tat.us = 0;
    n = 0;

    for (now = NOW; now < NOW + SEC; now++) {
        n += hit(&l, &tat, now, NULL);
    }

    CU_ASSERT_EQUAL(n, 500);
}


static void
burst(void)
{
    int               i;
    dg_gcra_tat_t     tat = { 0, 0 };
    dg_gcra_limit_t   l;
    dg_gcra_result_t  r;

    /* 30 a minute with a burst of 29: 30 at once, the 31st refused */
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 30, 60000, 29), 0);

    for (i = 0; i < 30; i++) {
        CU_ASSERT_FATAL(hit(&l, &tat, NOW, &r));
        CU_ASSERT_EQUAL(r.remaining, 29 - i);
        CU_ASSERT_EQUAL(r.reset_us, (i + 1) * 2 * SEC);

        if (i == 17) {
            /* the RateLimit example: r=12, full again in 36 s */
            CU_ASSERT_EQUAL(r.remaining, 12);
            CU_ASSERT_EQUAL(r.reset_us, 36 * SEC);
        }
    }

    CU_ASSERT(!hit(&l, &tat, NOW, &r));
    CU_ASSERT_EQUAL(r.remaining, 0);
    CU_ASSERT_EQUAL(r.retry_after_us, 2 * SEC);
    CU_ASSERT_EQUAL(r.reset_us, 60 * SEC);

    /* one more every 2 s, and all 30 after a minute's rest */
    CU_ASSERT(hit(&l, &tat, NOW + 2 * SEC, NULL));
    CU_ASSERT(!hit(&l, &tat, NOW + 2 * SEC, NULL));

    for (i = 0; i < 30; i++) {
        CU_ASSERT(hit(&l, &tat, NOW + 64 * SEC, NULL));
    }

    CU_ASSERT(!hit(&l, &tat, NOW + 64 * SEC, NULL));
}


static void
exact_interval(void)
{
    int              i;
    dg_gcra_tat_t    tat = { 0, 0 };
    dg_gcra_limit_t  l;

    /*
     * 7 a second: T = 142857.142... us, kept exact.  7 at once, then at
     * exactly 1 s all 7 again, and 1 us before 2 s only 6: T rounded up
     * (to the microsecond or nanosecond) would give 6 at 1 s.
     */
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 7, 1000, 6), 0);

    for (i = 0; i < 7; i++) {
        CU_ASSERT(hit(&l, &tat, NOW, NULL));
    }

    CU_ASSERT(!hit(&l, &tat, NOW, NULL));

    for (i = 0; i < 7; i++) {
        CU_ASSERT(hit(&l, &tat, NOW + SEC, NULL));
    }

    CU_ASSERT(!hit(&l, &tat, NOW + SEC, NULL));

    for (i = 0; i < 6; i++) {
        CU_ASSERT(hit(&l, &tat, NOW + 2 * SEC - 1, NULL));
    }

    CU_ASSERT(!hit(&l, &tat, NOW + 2 * SEC - 1, NULL));

    /*
     * Saturated for a long time: burst + 1 at the start, then one each
     * ceil(k T): burst + 1 + floor((span - 1) * rate / period) in all.
     */
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 7, 1000, 1), 0);
    tat.us = 0;
    CU_ASSERT_EQUAL(saturate(&l, &tat, NOW, 1000 * SEC), 2 + 6999);

    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 700000, 1000, 1), 0);
    tat.us = 0;
    CU_ASSERT_EQUAL(saturate(&l, &tat, NOW, SEC), 2 + 699999);

    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 3, 60000, 4), 0);
    tat.us = 0;
    CU_ASSERT_EQUAL(saturate(&l, &tat, NOW, 3600 * SEC), 5 + 179);
}


static void
retry_after(void)
{
    dg_gcra_tat_t     tat = { 0, 0 };
    dg_gcra_limit_t   l;
    dg_gcra_result_t  r;

    /* 3 a second: the wait is exact to the microsecond, rounded up */
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 3, 1000, 0), 0);
    CU_ASSERT(hit(&l, &tat, NOW, NULL));
    CU_ASSERT(!hit(&l, &tat, NOW + 1000, &r));
    CU_ASSERT_EQUAL(r.retry_after_us, 333334 - 1000);
    CU_ASSERT(!hit(&l, &tat, NOW + 333333, NULL));
    CU_ASSERT(hit(&l, &tat, NOW + 333334, NULL));

    CU_ASSERT_EQUAL(dg_gcra_retry_after_s(0), 1);
    CU_ASSERT_EQUAL(dg_gcra_retry_after_s(1), 1);
    CU_ASSERT_EQUAL(dg_gcra_retry_after_s(SEC), 1);
    CU_ASSERT_EQUAL(dg_gcra_retry_after_s(SEC + 1), 2);
    CU_ASSERT_EQUAL(dg_gcra_retry_after_s(2500000), 3);
    CU_ASSERT_EQUAL(dg_gcra_retry_after_s(86400 * SEC), 86400);
}


static void
clock_back(void)
{
    int               i;
    int64_t           now, n;
    dg_gcra_tat_t     tat = { 0, 0 }, saved;
    dg_gcra_limit_t   l;
    dg_gcra_result_t  r;

    /*
     * 10 a second with a burst of 4.  Going back only drains the bucket
     * further: 3 at once, then 0.1 s earlier 1 more (the fourth), then
     * refused until the TAT, which stays (it is within tau + T).
     */
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 10, 1000, 4), 0);

    for (i = 0; i < 3; i++) {
        CU_ASSERT(hit(&l, &tat, NOW, NULL));
    }

    CU_ASSERT(hit(&l, &tat, NOW - 100000, NULL));
    saved = tat;
    CU_ASSERT(!hit(&l, &tat, NOW - 100000, &r));
    CU_ASSERT_EQUAL(r.retry_after_us, 100000);
    CU_ASSERT_EQUAL(tat.us, saved.us);
    CU_ASSERT(hit(&l, &tat, NOW, NULL));
    CU_ASSERT(!hit(&l, &tat, NOW, NULL));           /* 5: burst + 1 */

    /* 10 a second, saturated over [0, 1 s) */
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 10, 1000, 0), 0);
    tat.us = 0;

    for (i = 0; i < 10; i++) {
        CU_ASSERT(hit(&l, &tat, NOW + i * 100000, NULL));
    }

    /*
     * Back by half a second: the TAT is beyond now + tau + T and taken as
     * now + T, the state of a bucket just emptied.  Refused for T, then
     * one every T: never more than 10 in a second of the new clock.
     */
    CU_ASSERT(!hit(&l, &tat, NOW + 500000, &r));
    CU_ASSERT_EQUAL(r.retry_after_us, 100000);
    CU_ASSERT_EQUAL(tat.us, NOW + 600000);

    n = 0;

    for (now = NOW + 500000; now < NOW + 1500000; now += 1000) {
        if (hit(&l, &tat, now, NULL)) {
            CU_ASSERT(now >= NOW + 600000);
            n++;
        }
    }

    CU_ASSERT_EQUAL(n, 9);

    /* a garbage TAT far ahead: the same, without overflow */
    tat.us = INT64_MAX;
    tat.frac = UINT32_MAX;
    CU_ASSERT(!hit(&l, &tat, NOW, &r));
    CU_ASSERT_EQUAL(r.retry_after_us, 100000);
    CU_ASSERT_EQUAL(r.reset_us, 100000);
    CU_ASSERT_EQUAL(tat.us, NOW + 100000);

    /* one in the past (or negative) is a fresh key */
    tat.us = -5;
    tat.frac = 0;
    CU_ASSERT(hit(&l, &tat, NOW, &r));
    CU_ASSERT_EQUAL(r.reset_us, 100000);

    /* now itself out of bounds */
    CU_ASSERT_EQUAL(dg_gcra_check(&l, &tat, -1, &r), -1);
    CU_ASSERT_EQUAL(dg_gcra_check(&l, &tat, DG_GCRA_MAX_TIME_US + 1, &r),
                    -1);
}


static void
extreme_rates(void)
{
    int               i;
    int64_t           now, n, max_burst;
    dg_gcra_tat_t     tat = { 0, 0 };
    dg_gcra_limit_t   l;
    dg_gcra_result_t  r;

    /* 1e6 a second, no burst: exactly one each microsecond */
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 1000000, 1000, 0), 0);
    n = 0;

    for (now = NOW; now < NOW + SEC; now++) {
        n += hit(&l, &tat, now, NULL);
        n += hit(&l, &tat, now, NULL);
    }

    CU_ASSERT_EQUAL(n, 1000000);

    /* 1e9 a second (T = 1 ns) with a burst of 999: 1000 a microsecond */
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 1000000000, 1000, 999), 0);
    tat.us = 0;
    n = 0;

    for (now = NOW; now < NOW + 10; now++) {
        for (i = 0; i < 1500; i++) {
            n += hit(&l, &tat, now, NULL);
        }
    }

    CU_ASSERT_EQUAL(n, 10000);

    /* 1 a day: the next one exactly a day later */
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 1, 86400000, 0), 0);
    tat.us = 0;
    CU_ASSERT(hit(&l, &tat, NOW, NULL));
    CU_ASSERT(!hit(&l, &tat, NOW + 1, &r));
    CU_ASSERT_EQUAL(r.retry_after_us, 86400 * SEC - 1);
    CU_ASSERT(!hit(&l, &tat, NOW + 86400 * SEC - 1, NULL));
    CU_ASSERT(hit(&l, &tat, NOW + 86400 * SEC, NULL));

    /* 1 a year with the largest burst, at the end of the time range */
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 1, DG_GCRA_MAX_PERIOD_MS,
                                             141), 0);
    tat.us = 0;
    now = DG_GCRA_MAX_TIME_US - 100 * l.t;

    for (i = 0; i < 142; i++) {
        CU_ASSERT(hit(&l, &tat, now, &r));
    }

    CU_ASSERT_EQUAL(r.reset_us, 142 * l.t);
    CU_ASSERT(!hit(&l, &tat, now, &r));
    CU_ASSERT_EQUAL(r.retry_after_us, l.t);
    CU_ASSERT_EQUAL(saturate(&l, &tat, now, 50 * l.t), 49);

    /* a day with the largest burst, saturated for a year */
    max_burst = DG_GCRA_MAX_WINDOW / (86400 * SEC) - 1;
    CU_ASSERT_EQUAL_FATAL(dg_gcra_limit_init(&l, 1, 86400000, max_burst),
                          0);
    tat.us = 0;
    CU_ASSERT_EQUAL(saturate(&l, &tat, NOW, 365 * 86400 * SEC),
                    max_burst + 1 + 364);
}


static CU_TestInfo  tests[] = {
    { "limits and their bounds", limits },
    { "steady rate: exactly N a period", steady_rate },
    { "burst, remaining and reset", burst },
    { "the emission interval is exact", exact_interval },
    { "retry after: exact, and at least 1 s", retry_after },
    { "a clock going back grants nothing more", clock_back },
    { "very large and very small rates", extreme_rates },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(gcra, tests)

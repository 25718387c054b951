/*
 * GCRA, the generic cell rate algorithm: one theoretical arrival time
 * (TAT) per key, exact, without window edges.  Pure arithmetic on
 * integers; time is passed in, nothing is mutated.
 *
 * A limit is rate requests per period with a burst of extra requests
 * allowed at once.  The emission interval T = period / rate is kept exact:
 * time inside a limit is counted in ticks of 1/rate us, so T is exactly
 * period_us ticks and the tolerance tau = burst * T; a TAT is whole
 * microseconds plus a fraction of frac/rate us.  No rounding anywhere, so
 * 7 a second is 7 a second, not 6 (T rounded up) nor 8 (rounded down), at
 * any rate up to 1e9 a period.
 *
 * A request at now is allowed when TAT - now <= tau; the new TAT is then
 * max(TAT, now) + T.  A refused request changes nothing, except a TAT
 * found beyond now + tau + T, which no sequence of allowed requests can
 * leave (the clock went back, or the limit was made stricter across a
 * reload): it is taken as now + tau + T, the state of a bucket emptied
 * just now, so it is refused, retried after T, and never grants more
 * than the limit in real time; the caller stores that TAT even for a
 * refused request so the key heals instead of staying locked until the
 * clock catches up.
 *
 * Bounds, so that no product overflows here nor loses precision in the
 * Redis Lua twin (doubles, exact below 2^53; see dg_ratelimit_lua.h):
 * 1 <= rate <= 1e9, 1 ms <= period <= 365 days,
 * (burst + 1) * period_us <= 2^52 (a day's period allows a burst of
 * 52,000, a year's 141), 0 <= now_us <= 2^52 (until year 2112).  Above
 * 1e6 a second, requests at the same microsecond need a burst: without
 * one GCRA allows one request an instant.
 */

#ifndef DG_GCRA_H
#define DG_GCRA_H

#include <stdint.h>

#define DG_GCRA_MAX_RATE       1000000000LL
#define DG_GCRA_MAX_PERIOD_MS  (365LL * 86400 * 1000)
#define DG_GCRA_MAX_WINDOW     (1LL << 52)       /* (burst + 1) * period_us */
#define DG_GCRA_MAX_TIME_US    (1LL << 52)


typedef struct {
    int64_t  rate;              /* requests a period */
    int64_t  period_ms;
    int64_t  burst;
    int64_t  t;                 /* T: period_us ticks of 1/rate us */
    int64_t  tau;               /* burst * T, ticks */
} dg_gcra_limit_t;

/* us + frac/rate microseconds; {0, 0} for a key never seen */
typedef struct {
    int64_t   us;
    uint32_t  frac;
} dg_gcra_tat_t;

typedef struct {
    int            allowed;
    dg_gcra_tat_t  tat;             /* to store: the TAT after this request
                                       when allowed, else the current one
                                       (brought back if beyond tau + T) */
    int64_t        retry_after_us;  /* refused: the exact wait until it
                                       would be allowed; 0 when allowed */
    int64_t        remaining;       /* requests still allowed right now,
                                       this one charged; 0 when refused */
    int64_t        reset_us;        /* until the bucket is full again,
                                       this one charged when allowed */
} dg_gcra_result_t;


/* 0, or -1 when a value is out of the bounds above. */
int dg_gcra_limit_init(dg_gcra_limit_t *l, int64_t rate, int64_t period_ms,
    int64_t burst);

/* 0, or -1 when now_us is out of bounds; l from dg_gcra_limit_init(). */
int dg_gcra_check(const dg_gcra_limit_t *l, const dg_gcra_tat_t *tat,
    int64_t now_us, dg_gcra_result_t *r);

/* Retry-After in whole seconds, rounded up, at least 1. */
int64_t dg_gcra_retry_after_s(int64_t retry_after_us);

#endif /* DG_GCRA_H */

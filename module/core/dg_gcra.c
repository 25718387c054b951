/*
 * GCRA arithmetic (see dg_gcra.h).  dg_limit_redis_lua in
 * dg_ratelimit_lua.c is the same maths in Lua, line for line; the unit
 * test "limit" runs both on the same requests and compares every result.
 */

#include "dg_gcra.h"


static int64_t
dg_gcra_ceil_div(int64_t a, int64_t b)
{
    return a / b + (a % b != 0);
}


int
dg_gcra_limit_init(dg_gcra_limit_t *l, int64_t rate, int64_t period_ms,
    int64_t burst)
{
    int64_t  period_us;

    if (rate < 1 || rate > DG_GCRA_MAX_RATE
        || period_ms < 1 || period_ms > DG_GCRA_MAX_PERIOD_MS
        || burst < 0)
    {
        return -1;
    }

    period_us = period_ms * 1000;

    if (burst > DG_GCRA_MAX_WINDOW / period_us - 1) {
        return -1;
    }

    l->rate = rate;
    l->period_ms = period_ms;
    l->burst = burst;
    l->t = period_us;
    l->tau = burst * period_us;

    return 0;
}


int
dg_gcra_check(const dg_gcra_limit_t *l, const dg_gcra_tat_t *tat,
    int64_t now_us, dg_gcra_result_t *r)
{
    int64_t  d, w, ahead;

    if (now_us < 0 || now_us > DG_GCRA_MAX_TIME_US) {
        return -1;
    }

    /* d = TAT - now in ticks: 0 for a past TAT, at most tau + T */

    w = l->t + l->tau;
    d = 0;

    if (tat->us >= now_us) {
        ahead = tat->us - now_us;
        d = ahead > w / l->rate ? w + 1 : ahead * l->rate + tat->frac;

        if (d > w) {
            d = w;
        }
    }

    r->allowed = d <= l->tau;

    if (r->allowed) {
        r->retry_after_us = 0;
        r->remaining = (l->tau - d) / l->t;
        d += l->t;

    } else {
        r->retry_after_us = dg_gcra_ceil_div(d - l->tau, l->rate);
        r->remaining = 0;
    }

    r->reset_us = dg_gcra_ceil_div(d, l->rate);
    r->tat.us = now_us + d / l->rate;
    r->tat.frac = (uint32_t) (d % l->rate);

    return 0;
}


int64_t
dg_gcra_retry_after_s(int64_t retry_after_us)
{
    return retry_after_us <= 1000000 ? 1
                                     : dg_gcra_ceil_div(retry_after_us,
                                                        1000000);
}

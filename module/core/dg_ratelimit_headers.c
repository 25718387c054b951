/*
 * RateLimit header fields (see dg_ratelimit_headers.h).
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dg_ratelimit_headers.h"


int
dg_ratelimit_headers(const dg_limit_request_t *reqs,
    const dg_limit_outcome_t *out, char *policy, size_t policy_size,
    char *ratelimit, size_t ratelimit_size)
{
    int                        len;
    char                       name[2 * DG_LIMIT_KEY_MAX + 1], *p;
    int64_t                    q, w, r, t;
    const char                *key, *colon, *c;
    const dg_gcra_limit_t     *l;
    const dg_gcra_result_t    *res;
    const dg_limit_request_t  *req;

    if (out->header < 0) {
        return -1;
    }

    req = &reqs[out->header];
    res = &out->results[out->header];
    l = req->limit;

    key = req->key;
    colon = memchr(key, ':', req->key_len);

    if (colon == NULL || colon == key) {
        return -1;
    }

    /* an sf-string: printable ASCII, '"' and '\' escaped */

    p = name;

    for (c = key; c < colon; c++) {
        if (*c < 0x20 || *c > 0x7e) {
            return -1;
        }

        if (*c == '"' || *c == '\\') {
            *p++ = '\\';
        }

        *p++ = *c;
    }

    *p = '\0';

    /* the rate over whole seconds, rounded down: rate * w / period */

    w = (l->period_ms + 999) / 1000;
    q = l->rate + l->rate * (w * 1000 - l->period_ms) / l->period_ms;

    if (out->allowed) {
        /* a burst may allow more right now than q: r above q would say
         * the window holds more than its quota */
        r = res->remaining < q ? res->remaining : q;
        t = (res->reset_us + 999999) / 1000000;

    } else {
        r = 0;
        t = dg_gcra_retry_after_s(out->retry_after_us);
    }

    len = snprintf(policy, policy_size, "\"%s\";q=%" PRId64 ";w=%" PRId64,
                   name, q, w);
    if (len < 0 || (size_t) len >= policy_size) {
        return -1;
    }

    len = snprintf(ratelimit, ratelimit_size,
                   "\"%s\";r=%" PRId64 ";t=%" PRId64, name, r, t);
    if (len < 0 || (size_t) len >= ratelimit_size) {
        return -1;
    }

    return 0;
}

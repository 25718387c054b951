/*
 * The RateLimit-Policy and RateLimit response fields, as
 * draft-ietf-httpapi-ratelimit-headers-08 (October 2024) defines them:
 * Structured Field Lists of one Item each, the policy name a String.
 * The syntax is unchanged up to -11, the latest.
 *
 *   RateLimit-Policy: "citizen";q=30;w=60
 *   RateLimit: "citizen";r=12;t=40
 *
 * They describe the most restrictive enforced limit of the request
 * (dg_limit_outcome_t's header): shadow limits are not advertised.
 *
 *   q, w  the limit's rate over its period in whole seconds (rounded up):
 *         10 per 500 ms is q=20;w=1, never more than the limit allows.
 *   r     requests still allowed right now, at most q (a burst may allow
 *         more); 0 when refused.
 *   t     seconds, rounded up, until the bucket is full again (the
 *         quota's reset); when refused, the Retry-After value, as -08
 *         asks both to name the same moment (-11 asks that Retry-After
 *         be no earlier than t: also true).
 *
 * The name is the key's part before the first ':'; the value after it
 * (a personal ID) is never shown.
 */

#ifndef DG_RATELIMIT_HEADERS_H
#define DG_RATELIMIT_HEADERS_H

#include <stddef.h>

#include "dg_limit.h"

/* Enough for either field value, NUL included. */
#define DG_RATELIMIT_HEADER_MAX  (2 * DG_LIMIT_KEY_MAX + 64)


/*
 * Writes both values, NUL-terminated, for out->header (which must not be
 * -1).  0, or -1 when a buffer is too small or the name is empty or not
 * printable ASCII.
 */
int dg_ratelimit_headers(const dg_limit_request_t *reqs,
    const dg_limit_outcome_t *out, char *policy, size_t policy_size,
    char *ratelimit, size_t ratelimit_size);

#endif /* DG_RATELIMIT_HEADERS_H */

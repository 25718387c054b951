/*
 * The rate limiter in cluster mode: the same all-or-nothing GCRA charge
 * as dg_limit_charge(), done atomically in Redis by one Lua script, which
 * may first record the request's nonce, so that a signed request costs
 * one round trip for both.
 *
 * dg_limit_redis_lua contract (dg_limit_redis_command() builds it):
 *
 *   KEYS[i]   i <= n: the limit keys, a prefix and the dg_limit key,
 *             "dg:rl:" .. "citizen:031185001234"; in a Redis Cluster the
 *             prefix needs a hash tag ("{dg:rl}:") so that all keys share
 *             a slot (the nonce key's too).
 *   KEYS[n+1] the nonce key, present when ARGV[2] is not "0".
 *   ARGV[1]   now, microseconds since the epoch.
 *   ARGV[2]   the nonce's TTL in seconds, "0": no nonce.  n may be 0 with
 *             a nonce (a call that only records it).
 *   ARGV[3 + 4(i-1) ..]  for KEYS[i]: rate, T and tau (the fields of its
 *             dg_gcra_limit_t, ticks of 1/rate us) and shadow, "1" or "0".
 *
 *   The nonce first: SET key 1 NX EX ttl.  When the key was there the
 *             request is a replay: the reply is {-1} and nothing else is
 *             read or written.  An error after it (a limit key of another
 *             type) deletes it again: an error reply records nothing.
 *
 *   Stored:   "<us>:<frac>", the TAT as in dg_gcra_tat_t, expiring (PX)
 *             when the TAT passes: a key past its TAT is the same as no
 *             key.  Written as dg_limit_charge() writes the table, less
 *             the writes of an unchanged value: a charged request stores
 *             the keys that allowed it, and a TAT brought back from beyond
 *             now + tau + T is stored in any case.
 *
 *   Reply:    {-1} for a replayed nonce, else an array of 1 + 4n
 *             integers: 1 if the request was charged (every non-shadow
 *             limit allowed it), else 0; then for each key, allowed (1/0),
 *             retry_after_us, remaining, reset_us, as in dg_gcra_result_t.
 *
 * Redis Lua numbers are doubles: every value stays below 2^53, where they
 * are exact integers (the bounds in dg_gcra.h see to it), and divisions go
 * through math.fmod, which is exact, so the script decides exactly as the
 * C does; the "limit" unit test runs both and compares.  Each gateway
 * node passes its own clock: a skew between nodes shifts what one sees of
 * the others' charges by as much, so keep their clocks in sync (NTP).
 */

#ifndef DG_RATELIMIT_LUA_H
#define DG_RATELIMIT_LUA_H

#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>

#include "dg_limit.h"

#define DG_LIMIT_REDIS_PREFIX_MAX  32
#define DG_LIMIT_REDIS_ARGC        (3 + DG_LIMIT_MAX_LIMITS * 5 + 3)
#define DG_LIMIT_REDIS_INT         24      /* an int64 in decimal, NUL */


extern const char  dg_limit_redis_lua[];

/* "EVALSHA sha1 n KEYS... ARGV...": argv points into buf. */
typedef struct {
    int          argc;
    const char  *argv[DG_LIMIT_REDIS_ARGC];
    size_t       argvlen[DG_LIMIT_REDIS_ARGC];
    char         buf[DG_LIMIT_MAX_LIMITS
                     * (DG_LIMIT_REDIS_PREFIX_MAX + DG_LIMIT_KEY_MAX
                        + 3 * DG_LIMIT_REDIS_INT)
                     + 3 * DG_LIMIT_REDIS_INT];
} dg_limit_redis_cmd_t;

/* The nonce a script call records first (a key borrowed by the command,
 * prefix included, and its TTL in seconds, at least 1). */
typedef struct {
    const char  *key;
    size_t       len;
    int64_t      ttl;
} dg_limit_nonce_t;

/* dg_limit_redis_reply(): the nonce was there, nothing charged */
#define DG_LIMIT_REDIS_REPLAYED  1


/*
 * Fills cmd for the script named by sha1 (40 hex digits), with the nonce
 * to record first or NULL.  0, or -1 when the prefix is longer than
 * DG_LIMIT_REDIS_PREFIX_MAX, n is above DG_LIMIT_MAX_LIMITS or 0 without
 * a nonce, a key is empty or too long, the nonce's TTL is below 1, or
 * now_us is out of bounds.
 */
int dg_limit_redis_command(dg_limit_redis_cmd_t *cmd, const char *sha1,
    const char *prefix, const dg_limit_request_t *reqs, size_t n,
    const dg_limit_nonce_t *nonce, int64_t now_us);

/*
 * Interprets the script's reply to a command of n limits that carried a
 * nonce or not into out, as dg_limit_charge() would have filled it
 * (results' tat is not reported: left zero).  0; DG_LIMIT_REDIS_REPLAYED
 * (out untouched) when the nonce was there; -1 on an error reply, a
 * malformed one, or one whose charged flag disagrees with the verdict of
 * its own results.
 */
int dg_limit_redis_reply(const redisReply *reply,
    const dg_limit_request_t *reqs, size_t n, int nonce,
    dg_limit_outcome_t *out);

#endif /* DG_RATELIMIT_LUA_H */

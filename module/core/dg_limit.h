/*
 * The rate limiter's keyed table: GCRA state (dg_gcra.h) for up to
 * capacity keys in one caller-provided memory block, meant to be nginx
 * shared memory used by every worker.  The block holds no pointer, only
 * indices, so it means the same at any address; nothing is allocated;
 * the caller holds a lock around every call.
 *
 * A key is "<limit name>:<value>" ("citizen:031185001234"), 1 to
 * DG_LIMIT_KEY_MAX bytes (dg_limit_key()); its policy name (before the
 * first ':') is what the RateLimit headers show, never the value.  Keys
 * hash (32-bit FNV-1a, seeded per table so colliding keys cannot be
 * prepared in advance, then the murmur3 finaliser) into a power-of-two
 * bucket array with chains of indices, full keys compared; a doubly
 * linked LRU list of indices orders them by last use.
 *
 * A full table makes room by evicting, among the DG_LIMIT_EVICT_SCAN
 * least recently used entries, the first whose TAT is past (it holds no
 * state: the key would start fresh anyway), else the least recently used
 * one, whose key then starts fresh: it may get up to a burst more than
 * its limit.  The header counts both kinds of eviction; live evictions
 * mean the zone is too small.  The keys of the request being charged are
 * never evicted to make room for each other.
 *
 * On reload, dg_limit_table_valid() tells whether the old block can be
 * kept with its state: same layout version and size, and a consistent
 * structure (a worker that died in the middle of an update may have left
 * one that is not).
 */

#ifndef DG_LIMIT_H
#define DG_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "dg_gcra.h"

#define DG_LIMIT_KEY_MAX        96
#define DG_LIMIT_NAME_MAX       62       /* leaves room for ":#" and a
                                            digest of the value */
#define DG_LIMIT_MAX_LIMITS     8        /* limits on one request */
#define DG_LIMIT_MAX_CAPACITY   (1U << 22)
#define DG_LIMIT_EVICT_SCAN     8


typedef struct {
    const void             *key;
    size_t                  key_len;
    const dg_gcra_limit_t  *limit;
    int                     shadow;     /* computed, reported, never
                                           refuses */
} dg_limit_request_t;

typedef struct {
    int               allowed;          /* the request may proceed */
    int               refused;          /* index of the refusing limit
                                           with the longest wait, or -1 */
    int64_t           retry_after_us;   /* when the whole request would be
                                           allowed; 0 when allowed */
    int               header;           /* the most restrictive enforced
                                           limit, for the RateLimit
                                           headers, or -1 if all shadow */
    dg_gcra_result_t  results[DG_LIMIT_MAX_LIMITS];
} dg_limit_outcome_t;

typedef struct {
    uint32_t  capacity;
    uint32_t  count;                    /* entries in use */
    uint64_t  evictions;                /* entries dropped to make room */
    uint64_t  evictions_live;           /* of which had a future TAT */
} dg_limit_stats_t;


/* Bytes for capacity keys; 0 when capacity is not 1..2^22. */
size_t dg_limit_table_size(uint32_t capacity);

/* The most keys a table of size bytes holds (0: none, too small). */
uint32_t dg_limit_table_capacity(size_t size);

/*
 * Lays out an empty table of capacity keys in size bytes (at least
 * dg_limit_table_size(capacity)); mem 8-byte aligned.  0, or -1 (also
 * when getrandom(2) cannot seed the hash).
 */
int dg_limit_table_init(void *mem, size_t size, uint32_t capacity);

/* Whether mem holds a consistent table laid out in exactly size bytes. */
int dg_limit_table_valid(const void *mem, size_t size);

void dg_limit_table_stats(const void *mem, dg_limit_stats_t *st);

/* Writes the key of a limit's value into key (DG_LIMIT_KEY_MAX bytes) and
 * returns its length: "<name>:<value>", or "<name>:#<32 hex digits>" (the
 * first half of the value's SHA-256) when that would be longer, so that
 * two long values never share a key by a common prefix.  name_len must be
 * 1 to DG_LIMIT_NAME_MAX. */
size_t dg_limit_key(unsigned char *key, const char *name, size_t name_len,
    const char *value, size_t value_len);

/* The table's hash of a key, seed included. */
uint32_t dg_limit_hash(const void *mem, const void *key, size_t len);

/*
 * Charges one request against n limits, all or nothing.  If every limit
 * that is not shadow allows it, the new TAT of every limit is stored,
 * shadow ones included: a shadow limit that would refuse keeps its TAT,
 * as under enforcement a refused request consumes nothing, so shadow mode
 * measures what enforcing would do.  Otherwise nothing is consumed (only
 * a TAT brought back from beyond tau + T is stored, see dg_gcra.h), and
 * out->refused names the refusing limit with the longest wait: once it
 * has passed, all of them allow.
 *
 * out->results[i] are the limits' own results.  In a refused request the
 * remaining and reset of the limits that allowed count this request as
 * charged, though it is not: the headers show the refusing limit then.
 *
 * 0, or -1 (nothing changed) when n is 0, above DG_LIMIT_MAX_LIMITS or
 * the capacity, a key is empty, too long or given twice, now is out of
 * bounds, or mem is not a table.
 */
int dg_limit_charge(void *mem, const dg_limit_request_t *reqs, size_t n,
    int64_t now_us, dg_limit_outcome_t *out);

/*
 * The request's verdict (allowed, refused, retry_after_us, header) from
 * out->results, as dg_limit_charge() gives it; the Redis reply parser
 * uses it too, so both modes report alike.  The header limit is the
 * refusing one, else the enforced one with the fewest requests remaining
 * (on a tie the longer reset).
 */
void dg_limit_verdict(const dg_limit_request_t *reqs, size_t n,
    dg_limit_outcome_t *out);

#endif /* DG_LIMIT_H */

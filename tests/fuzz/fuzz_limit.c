/*
 * The limiter's table (dg_limit.h) as a state machine: the fuzzer's bytes
 * are a run of charges of one to four keys at a clock that never goes
 * back, on a table small enough to evict, sometimes moved to another
 * address (as a reused shared memory block would be).
 *
 * After every step the table is valid and holds at most its capacity;
 * a charge is refused (-1) exactly when a key is given twice or there
 * are more keys than the table holds; the
 * verdict agrees with dg_limit_verdict (the Redis path's); and a key
 * limited to once per window is refused inside its window, unless the
 * table evicted an entry holding state since (dg_limit.h: it may then
 * start fresh), and allowed, alone, once its window has passed.
 */

#include <string.h>

#include "dg_limit.h"
#include "fuzz.h"


#define SEC      1000000LL
#define NOW      (1795489200LL * SEC)
#define WINDOW   (10 * SEC)
#define NKEYS    8

/* the limits, by the first letter of a key */
enum { ONCE, BURST, DAY, SHADOW, NLIMITS };

static const char  names[NLIMITS] = { 'o', 'b', 'd', 's' };


typedef struct {
    int64_t   allowed_at;      /* last allowed charge, -1: none */
    uint64_t  live;            /* evictions_live then */
} fuzz_once_t;


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                  dup, inside, rc, once[4], op;
    void                *mem, *moved;
    char                 keys[4][8];
    size_t               bytes, i, j, n, k;
    int64_t              now;
    uint32_t             capacity;
    uint64_t             evictions;
    fuzz_in_t            in;
    fuzz_once_t          model[NKEYS];
    dg_gcra_limit_t      limits[NLIMITS];
    dg_limit_stats_t     st;
    dg_limit_request_t   reqs[4];
    dg_limit_outcome_t   out, verdict;

    if (size == 0 || size > 4096) {
        return 0;
    }

    in.p = data;
    in.n = size;

    FUZZ_ASSERT(dg_gcra_limit_init(&limits[ONCE], 1, WINDOW / 1000, 0) == 0);
    FUZZ_ASSERT(dg_gcra_limit_init(&limits[BURST], 5, 1000, 3) == 0);
    FUZZ_ASSERT(dg_gcra_limit_init(&limits[DAY], 1, 86400000, 2) == 0);
    FUZZ_ASSERT(dg_gcra_limit_init(&limits[SHADOW], 1, WINDOW / 1000, 0)
                == 0);

    /* room for every key, or a table that has to evict */
    k = fuzz_u8(&in);
    capacity = (k & 0x80) ? 64 : 1 + k % 16;
    bytes = (dg_limit_table_size(capacity) + 7) & ~(size_t) 7;

    mem = aligned_alloc(8, bytes);
    FUZZ_ASSERT(mem != NULL);
    FUZZ_ASSERT(dg_limit_table_init(mem, dg_limit_table_size(capacity),
                                    capacity) == 0);

    for (i = 0; i < NKEYS; i++) {
        model[i].allowed_at = -1;
    }

    now = NOW;
    evictions = 0;

    while (in.n > 0) {
        op = fuzz_u8(&in);
        n = 1 + op % 4;
        now += (int64_t) ((op >> 2) & 0x0f) * (int64_t) fuzz_u8(&in) * 40000;

        dup = 0;

        for (i = 0; i < n; i++) {
            k = fuzz_u8(&in);
            snprintf(keys[i], sizeof(keys[i]), "%c:%zu",
                     names[k % NLIMITS], (k / NLIMITS) % NKEYS);

            reqs[i].key = keys[i];
            reqs[i].key_len = strlen(keys[i]);
            reqs[i].limit = &limits[k % NLIMITS];
            reqs[i].shadow = k % NLIMITS == SHADOW;

            once[i] = k % NLIMITS == ONCE ? (int) ((k / NLIMITS) % NKEYS)
                                          : -1;

            for (j = 0; j < i; j++) {
                dup |= strcmp(keys[i], keys[j]) == 0;
            }
        }

        rc = dg_limit_charge(mem, reqs, n, now, &out);
        FUZZ_ASSERT(rc == ((dup || n > capacity) ? -1 : 0));

        FUZZ_ASSERT(dg_limit_table_valid(mem, dg_limit_table_size(capacity)));
        dg_limit_table_stats(mem, &st);
        FUZZ_ASSERT(st.capacity == capacity && st.count <= capacity);
        FUZZ_ASSERT(st.evictions >= evictions
                    && st.evictions_live <= st.evictions);
        evictions = st.evictions;

        if (rc != 0) {
            continue;
        }

        memcpy(verdict.results, out.results, sizeof(out.results));
        dg_limit_verdict(reqs, n, &verdict);
        FUZZ_ASSERT(verdict.allowed == out.allowed
                    && verdict.refused == out.refused
                    && verdict.retry_after_us == out.retry_after_us
                    && verdict.header == out.header);

        if (out.allowed) {
            FUZZ_ASSERT(out.refused == -1 && out.retry_after_us == 0);

        } else {
            FUZZ_ASSERT(out.refused >= 0 && (size_t) out.refused < n);
            FUZZ_ASSERT(!reqs[out.refused].shadow);
            FUZZ_ASSERT(!out.results[out.refused].allowed);
            FUZZ_ASSERT(out.retry_after_us > 0);
        }

        for (i = 0; i < n; i++) {
            FUZZ_ASSERT(out.allowed || reqs[i].shadow
                        || out.results[i].allowed
                        || out.results[i].retry_after_us > 0);

            if (once[i] < 0) {
                continue;
            }

            inside = model[once[i]].allowed_at >= 0
                     && now - model[once[i]].allowed_at < WINDOW;

            /* refused inside the window while the key kept its state */
            if (inside && model[once[i]].live == st.evictions_live) {
                FUZZ_ASSERT(!out.allowed);
            }

            /* alone, past the window or never seen, it passes */
            if (n == 1 && !inside) {
                FUZZ_ASSERT(out.allowed);
            }
        }

        if (out.allowed) {
            for (i = 0; i < n; i++) {
                if (once[i] >= 0) {
                    model[once[i]].allowed_at = now;
                    model[once[i]].live = st.evictions_live;
                }
            }
        }

        /* the block means the same at another address */
        if (op & 0x80) {
            moved = aligned_alloc(8, bytes);
            FUZZ_ASSERT(moved != NULL);
            memcpy(moved, mem, bytes);
            free(mem);
            mem = moved;
            FUZZ_ASSERT(dg_limit_table_valid(mem,
                                             dg_limit_table_size(capacity)));
        }
    }

    free(mem);

    return 0;
}

/*
 * The rate limiter's keyed table (see dg_limit.h).
 *
 * Layout: the header, the bucket array (nbuckets chain heads), then the
 * entries.  Entries [0, count) are in use: a table only grows until full,
 * then reuses evicted entries in place, so there is no free list.
 */

#include <string.h>
#include <sys/random.h>

#include "dg_limit.h"
#include "dg_sha256.h"


#define DG_LIMIT_MAGIC    0x6d6c6764U       /* "dglm" */
#define DG_LIMIT_VERSION  1
#define DG_LIMIT_NONE     UINT32_MAX

#define dg_limit_align8(n)  (((n) + 7) & ~(size_t) 7)


typedef struct {
    uint32_t  magic;
    uint32_t  version;
    uint32_t  capacity;
    uint32_t  nbuckets;
    uint32_t  count;
    uint32_t  seed;
    uint32_t  head;                 /* most recently used */
    uint32_t  tail;                 /* least recently used */
    uint64_t  size;
    uint64_t  evictions;
    uint64_t  evictions_live;
} dg_limit_table_t;

typedef struct {
    int64_t        tat_us;
    uint32_t       tat_frac;
    uint32_t       hash;
    uint32_t       next;            /* in the bucket's chain */
    uint32_t       newer;           /* LRU neighbours */
    uint32_t       older;
    uint16_t       len;
    unsigned char  key[DG_LIMIT_KEY_MAX];
} dg_limit_entry_t;


static uint32_t
dg_limit_nbuckets(uint32_t capacity)
{
    uint32_t  n;

    for (n = 1; n < capacity; n <<= 1) {
        /* void */
    }

    return n;
}


static size_t
dg_limit_entries_off(uint32_t nbuckets)
{
    return dg_limit_align8(sizeof(dg_limit_table_t)
                           + (size_t) nbuckets * sizeof(uint32_t));
}


static uint32_t *
dg_limit_buckets(const dg_limit_table_t *t)
{
    return (uint32_t *) ((unsigned char *) t + sizeof(dg_limit_table_t));
}


static dg_limit_entry_t *
dg_limit_entries(const dg_limit_table_t *t)
{
    return (dg_limit_entry_t *) ((unsigned char *) t
                                 + dg_limit_entries_off(t->nbuckets));
}


size_t
dg_limit_table_size(uint32_t capacity)
{
    if (capacity == 0 || capacity > DG_LIMIT_MAX_CAPACITY) {
        return 0;
    }

    return dg_limit_entries_off(dg_limit_nbuckets(capacity))
           + (size_t) capacity * sizeof(dg_limit_entry_t);
}


uint32_t
dg_limit_table_capacity(size_t size)
{
    uint32_t  lo, hi, mid;

    lo = 0;
    hi = DG_LIMIT_MAX_CAPACITY;

    while (lo < hi) {
        mid = lo + (hi - lo + 1) / 2;

        if (dg_limit_table_size(mid) <= size) {
            lo = mid;

        } else {
            hi = mid - 1;
        }
    }

    return lo;
}


int
dg_limit_table_init(void *mem, size_t size, uint32_t capacity)
{
    size_t             need;
    uint32_t           seed;
    dg_limit_table_t  *t;

    need = dg_limit_table_size(capacity);

    if (need == 0 || size < need || (uintptr_t) mem % 8 != 0) {
        return -1;
    }

    if (getrandom(&seed, sizeof(seed), 0) != (ssize_t) sizeof(seed)) {
        return -1;
    }

    t = mem;
    t->magic = DG_LIMIT_MAGIC;
    t->version = DG_LIMIT_VERSION;
    t->capacity = capacity;
    t->nbuckets = dg_limit_nbuckets(capacity);
    t->count = 0;
    t->seed = seed;
    t->head = DG_LIMIT_NONE;
    t->tail = DG_LIMIT_NONE;
    t->size = size;
    t->evictions = 0;
    t->evictions_live = 0;

    memset(dg_limit_buckets(t), 0xff, t->nbuckets * sizeof(uint32_t));

    return 0;
}


int
dg_limit_table_valid(const void *mem, size_t size)
{
    uint32_t                 i, idx, prev, steps, *buckets;
    const dg_limit_entry_t  *e, *entries;
    const dg_limit_table_t  *t;

    t = mem;

    if ((uintptr_t) mem % 8 != 0 || size < sizeof(dg_limit_table_t)
        || t->magic != DG_LIMIT_MAGIC || t->version != DG_LIMIT_VERSION
        || t->size != size
        || dg_limit_table_size(t->capacity) == 0
        || dg_limit_table_size(t->capacity) > size
        || t->nbuckets != dg_limit_nbuckets(t->capacity)
        || t->count > t->capacity)
    {
        return 0;
    }

    buckets = dg_limit_buckets(t);
    entries = dg_limit_entries(t);

    /* the LRU list: every entry in use once, links both ways */

    prev = DG_LIMIT_NONE;
    steps = 0;

    for (idx = t->head; idx != DG_LIMIT_NONE; idx = e->older) {
        if (idx >= t->count || steps++ == t->count) {
            return 0;
        }

        e = &entries[idx];

        if (e->newer != prev || e->len == 0 || e->len > DG_LIMIT_KEY_MAX
            || e->hash != dg_limit_hash(t, e->key, e->len))
        {
            return 0;
        }

        prev = idx;
    }

    if (steps != t->count || t->tail != prev) {
        return 0;
    }

    /* the chains: no cycle, each entry in its own bucket */

    steps = 0;

    for (i = 0; i < t->nbuckets; i++) {
        for (idx = buckets[i]; idx != DG_LIMIT_NONE; idx = e->next) {
            if (idx >= t->count || steps++ == t->count) {
                return 0;
            }

            e = &entries[idx];

            if ((e->hash & (t->nbuckets - 1)) != i) {
                return 0;
            }
        }
    }

    return steps == t->count;
}


void
dg_limit_table_stats(const void *mem, dg_limit_stats_t *st)
{
    const dg_limit_table_t  *t = mem;

    st->capacity = t->capacity;
    st->count = t->count;
    st->evictions = t->evictions;
    st->evictions_live = t->evictions_live;
}


uint32_t
dg_limit_hash(const void *mem, const void *key, size_t len)
{
    size_t                   i;
    uint32_t                 h;
    const unsigned char     *p;
    const dg_limit_table_t  *t;

    t = mem;
    p = key;
    h = 2166136261U ^ t->seed;

    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619U;
    }

    /* FNV's low bits, which pick the bucket, are poorly mixed */

    h ^= h >> 16;
    h *= 0x85ebca6bU;
    h ^= h >> 13;
    h *= 0xc2b2ae35U;
    h ^= h >> 16;

    return h;
}


static uint32_t
dg_limit_find(dg_limit_table_t *t, uint32_t hash, const void *key,
    size_t len)
{
    uint32_t           idx;
    dg_limit_entry_t  *e, *entries;

    entries = dg_limit_entries(t);

    for (idx = dg_limit_buckets(t)[hash & (t->nbuckets - 1)];
         idx != DG_LIMIT_NONE;
         idx = e->next)
    {
        e = &entries[idx];

        if (e->hash == hash && e->len == len
            && memcmp(e->key, key, len) == 0)
        {
            return idx;
        }
    }

    return DG_LIMIT_NONE;
}


static void
dg_limit_lru_unlink(dg_limit_table_t *t, uint32_t idx)
{
    dg_limit_entry_t  *e, *entries;

    entries = dg_limit_entries(t);
    e = &entries[idx];

    if (e->newer == DG_LIMIT_NONE) {
        t->head = e->older;

    } else {
        entries[e->newer].older = e->older;
    }

    if (e->older == DG_LIMIT_NONE) {
        t->tail = e->newer;

    } else {
        entries[e->older].newer = e->newer;
    }
}


static void
dg_limit_lru_push(dg_limit_table_t *t, uint32_t idx)
{
    dg_limit_entry_t  *e, *entries;

    entries = dg_limit_entries(t);
    e = &entries[idx];

    e->newer = DG_LIMIT_NONE;
    e->older = t->head;

    if (t->head == DG_LIMIT_NONE) {
        t->tail = idx;

    } else {
        entries[t->head].newer = idx;
    }

    t->head = idx;
}


static int
dg_limit_expired(const dg_limit_entry_t *e, int64_t now_us)
{
    return e->tat_us < now_us || (e->tat_us == now_us && e->tat_frac == 0);
}


/* Among the least recently used entries not pinned, a past one first. */
static uint32_t
dg_limit_victim(dg_limit_table_t *t, const uint32_t *pinned, size_t n,
    int64_t now_us)
{
    size_t             i, scanned;
    uint32_t           idx, lru;
    dg_limit_entry_t  *e, *entries;

    entries = dg_limit_entries(t);
    lru = DG_LIMIT_NONE;
    scanned = 0;

    for (idx = t->tail;
         idx != DG_LIMIT_NONE && scanned < DG_LIMIT_EVICT_SCAN;
         idx = e->newer)
    {
        e = &entries[idx];

        for (i = 0; i < n && pinned[i] != idx; i++) {
            /* void */
        }

        if (i < n) {
            continue;
        }

        if (dg_limit_expired(e, now_us)) {
            return idx;
        }

        if (lru == DG_LIMIT_NONE) {
            lru = idx;
        }

        scanned++;
    }

    return lru;
}


/*
 * A new entry for a key, evicting one when full; the caller made sure
 * fewer entries are pinned than the capacity, so there is a victim.
 */
static uint32_t
dg_limit_insert(dg_limit_table_t *t, uint32_t hash, const void *key,
    size_t len, const uint32_t *pinned, size_t n, int64_t now_us)
{
    uint32_t          *p, *buckets, idx;
    dg_limit_entry_t  *e, *entries;

    buckets = dg_limit_buckets(t);
    entries = dg_limit_entries(t);

    if (t->count < t->capacity) {
        idx = t->count++;
        e = &entries[idx];

    } else {
        idx = dg_limit_victim(t, pinned, n, now_us);
        e = &entries[idx];

        t->evictions++;

        if (!dg_limit_expired(e, now_us)) {
            t->evictions_live++;
        }

        for (p = &buckets[e->hash & (t->nbuckets - 1)];
             *p != idx;
             p = &entries[*p].next)
        {
            /* void */
        }

        *p = e->next;
        dg_limit_lru_unlink(t, idx);
    }

    e->hash = hash;
    e->len = (uint16_t) len;
    memcpy(e->key, key, len);

    e->next = buckets[hash & (t->nbuckets - 1)];
    buckets[hash & (t->nbuckets - 1)] = idx;
    dg_limit_lru_push(t, idx);

    return idx;
}


int
dg_limit_charge(void *mem, const dg_limit_request_t *reqs, size_t n,
    int64_t now_us, dg_limit_outcome_t *out)
{
    size_t                   i, j;
    uint32_t                 idx[DG_LIMIT_MAX_LIMITS];
    uint32_t                 hash[DG_LIMIT_MAX_LIMITS];
    dg_gcra_tat_t            tat;
    dg_limit_entry_t        *e, *entries;
    dg_limit_table_t        *t;
    const dg_gcra_result_t  *r;

    t = mem;

    if (t->magic != DG_LIMIT_MAGIC || n == 0 || n > DG_LIMIT_MAX_LIMITS
        || n > t->capacity)
    {
        return -1;
    }

    entries = dg_limit_entries(t);

    /* everything is checked before anything changes */

    for (i = 0; i < n; i++) {
        if (reqs[i].key_len == 0 || reqs[i].key_len > DG_LIMIT_KEY_MAX) {
            return -1;
        }

        for (j = 0; j < i; j++) {
            if (reqs[j].key_len == reqs[i].key_len
                && memcmp(reqs[j].key, reqs[i].key, reqs[i].key_len) == 0)
            {
                return -1;
            }
        }

        hash[i] = dg_limit_hash(t, reqs[i].key, reqs[i].key_len);
        idx[i] = dg_limit_find(t, hash[i], reqs[i].key, reqs[i].key_len);

        tat.us = 0;
        tat.frac = 0;

        if (idx[i] != DG_LIMIT_NONE) {
            tat.us = entries[idx[i]].tat_us;
            tat.frac = entries[idx[i]].tat_frac;
        }

        if (dg_gcra_check(reqs[i].limit, &tat, now_us, &out->results[i])
            != 0)
        {
            return -1;
        }
    }

    dg_limit_verdict(reqs, n, out);

    /*
     * An allowed request stores every TAT; a refused one only those of
     * the refusing limits: the same value, or one brought back.  A key
     * not in the table always allows, so it is added only when charged.
     */

    for (i = 0; i < n; i++) {
        r = &out->results[i];

        if (idx[i] != DG_LIMIT_NONE) {
            if (idx[i] != t->head) {
                dg_limit_lru_unlink(t, idx[i]);
                dg_limit_lru_push(t, idx[i]);
            }

        } else if (out->allowed) {
            idx[i] = dg_limit_insert(t, hash[i], reqs[i].key,
                                     reqs[i].key_len, idx, n, now_us);
        }

        if (out->allowed || !r->allowed) {
            e = &entries[idx[i]];
            e->tat_us = r->tat.us;
            e->tat_frac = r->tat.frac;
        }
    }

    return 0;
}


void
dg_limit_verdict(const dg_limit_request_t *reqs, size_t n,
    dg_limit_outcome_t *out)
{
    size_t                   i;
    const dg_gcra_result_t  *r, *h;

    out->allowed = 1;
    out->refused = -1;
    out->retry_after_us = 0;
    out->header = -1;

    for (i = 0; i < n; i++) {
        if (reqs[i].shadow) {
            continue;
        }

        r = &out->results[i];

        if (!r->allowed) {
            if (out->allowed || r->retry_after_us > out->retry_after_us) {
                out->refused = (int) i;
                out->retry_after_us = r->retry_after_us;
            }

            out->allowed = 0;
            continue;
        }

        if (out->header != -1) {
            h = &out->results[out->header];

            if (r->remaining > h->remaining
                || (r->remaining == h->remaining
                    && r->reset_us <= h->reset_us))
            {
                continue;
            }
        }

        out->header = (int) i;
    }

    if (!out->allowed) {
        out->header = out->refused;
    }
}


size_t
dg_limit_key(unsigned char *key, const char *name, size_t name_len,
    const char *value, size_t value_len)
{
    char  hex[65];

    memcpy(key, name, name_len);
    key[name_len] = ':';

    if (name_len + 1 + value_len <= DG_LIMIT_KEY_MAX) {
        memcpy(key + name_len + 1, value, value_len);
        return name_len + 1 + value_len;
    }

    if (dg_sha256_hex(value, value_len, hex) != 0) {
        /* no digest: one key for every such value (tighter, never open) */
        memset(hex, '0', 32);
    }

    key[name_len + 1] = '#';
    memcpy(key + name_len + 2, hex, 32);

    return name_len + 2 + 32;
}

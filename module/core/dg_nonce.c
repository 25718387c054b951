/*
 * The node's nonce store (see dg_nonce.h).
 *
 * Layout: the header, the bucket array (nbuckets chain heads), then the
 * ring of entries: [head, head + count) modulo capacity are in use, the
 * oldest first.
 */

#include <string.h>
#include <sys/random.h>

#include "dg_nonce.h"


#define DG_NONCE_MAGIC    0x6e6f6764U       /* "dgon" */
#define DG_NONCE_VERSION  1
#define DG_NONCE_NONE     UINT32_MAX

/* expired entries dropped by one call, unless it needs the room: the
 * work of a call stays small after a quiet hour */
#define DG_NONCE_PURGE    64

#define dg_nonce_align8(n)  (((n) + 7) & ~(size_t) 7)


typedef struct {
    uint32_t  magic;
    uint32_t  version;
    uint32_t  capacity;
    uint32_t  nbuckets;
    uint32_t  shift;                /* 64 - log2(nbuckets) */
    uint32_t  head;                 /* the oldest entry */
    uint32_t  count;
    uint32_t  reserved;
    uint64_t  mul;                  /* the hash's secret: odd */
    uint64_t  mask;
    uint64_t  size;
} dg_nonce_table_t;

typedef struct {
    int64_t        expires;
    uint32_t       next;            /* in the bucket's chain */
    uint32_t       bucket;
    unsigned char  key[DG_NONCE_KEY_LEN];
} dg_nonce_entry_t;


static uint32_t
dg_nonce_nbuckets(uint32_t capacity)
{
    uint32_t  n;

    for (n = 1; n < capacity; n <<= 1) {
        /* void */
    }

    return n;
}


static size_t
dg_nonce_entries_off(uint32_t nbuckets)
{
    return dg_nonce_align8(sizeof(dg_nonce_table_t)
                           + (size_t) nbuckets * sizeof(uint32_t));
}


static uint32_t *
dg_nonce_buckets(const dg_nonce_table_t *t)
{
    return (uint32_t *) ((unsigned char *) t + sizeof(dg_nonce_table_t));
}


static dg_nonce_entry_t *
dg_nonce_entries(const dg_nonce_table_t *t)
{
    return (dg_nonce_entry_t *) ((unsigned char *) t
                                 + dg_nonce_entries_off(t->nbuckets));
}


/* Multiply-shift over the key's first 8 bytes (a digest: uniform), with
 * the table's secret: keys cannot be chosen to meet in one bucket. */
static uint32_t
dg_nonce_bucket(const dg_nonce_table_t *t, const unsigned char *key)
{
    uint64_t  k;

    if (t->nbuckets == 1) {
        return 0;
    }

    memcpy(&k, key, sizeof(k));

    return (uint32_t) (((k ^ t->mask) * t->mul) >> t->shift);
}


size_t
dg_nonce_table_size(uint32_t capacity)
{
    if (capacity == 0 || capacity > DG_NONCE_MAX_CAPACITY) {
        return 0;
    }

    return dg_nonce_entries_off(dg_nonce_nbuckets(capacity))
           + (size_t) capacity * sizeof(dg_nonce_entry_t);
}


uint32_t
dg_nonce_table_capacity(size_t size)
{
    uint32_t  lo, hi, mid;

    lo = 0;
    hi = DG_NONCE_MAX_CAPACITY;

    while (lo < hi) {
        mid = lo + (hi - lo + 1) / 2;

        if (dg_nonce_table_size(mid) <= size) {
            lo = mid;

        } else {
            hi = mid - 1;
        }
    }

    return lo;
}


int
dg_nonce_table_init(void *mem, size_t size, uint32_t capacity)
{
    size_t             need;
    uint32_t           n;
    uint64_t           seed[2];
    dg_nonce_table_t  *t;

    need = dg_nonce_table_size(capacity);

    if (need == 0 || size < need || (uintptr_t) mem % 8 != 0) {
        return -1;
    }

    if (getrandom(seed, sizeof(seed), 0) != (ssize_t) sizeof(seed)) {
        return -1;
    }

    t = mem;
    memset(t, 0, sizeof(dg_nonce_table_t));

    t->magic = DG_NONCE_MAGIC;
    t->version = DG_NONCE_VERSION;
    t->capacity = capacity;
    t->nbuckets = dg_nonce_nbuckets(capacity);
    t->shift = 64;

    for (n = t->nbuckets; n > 1; n >>= 1) {
        t->shift--;
    }

    t->mul = seed[0] | 1;
    t->mask = seed[1];
    t->size = size;

    memset(dg_nonce_buckets(t), 0xff, t->nbuckets * sizeof(uint32_t));

    return 0;
}


/* Whether entry idx is in use: inside [head, head + count) of the ring. */
static int
dg_nonce_live(const dg_nonce_table_t *t, uint32_t idx)
{
    return idx < t->capacity
           && (idx + t->capacity - t->head) % t->capacity < t->count;
}


int
dg_nonce_table_valid(const void *mem, size_t size)
{
    uint32_t                 i, idx, steps, *buckets;
    const dg_nonce_entry_t  *e, *entries;
    const dg_nonce_table_t  *t;

    t = mem;

    if ((uintptr_t) mem % 8 != 0 || size < sizeof(dg_nonce_table_t)
        || t->magic != DG_NONCE_MAGIC || t->version != DG_NONCE_VERSION
        || t->size != size
        || dg_nonce_table_size(t->capacity) == 0
        || dg_nonce_table_size(t->capacity) > size
        || t->nbuckets != dg_nonce_nbuckets(t->capacity)
        || (t->mul & 1) == 0
        || t->head >= t->capacity || t->count > t->capacity)
    {
        return 0;
    }

    buckets = dg_nonce_buckets(t);
    entries = dg_nonce_entries(t);

    /* every entry in use once in the chains, each in its own bucket */

    steps = 0;

    for (i = 0; i < t->nbuckets; i++) {
        for (idx = buckets[i]; idx != DG_NONCE_NONE; idx = e->next) {
            if (!dg_nonce_live(t, idx) || steps++ == t->count) {
                return 0;
            }

            e = &entries[idx];

            if (e->bucket != i || dg_nonce_bucket(t, e->key) != i) {
                return 0;
            }
        }
    }

    return steps == t->count;
}


static void
dg_nonce_unlink(dg_nonce_table_t *t, uint32_t idx)
{
    uint32_t          *p;
    dg_nonce_entry_t  *entries;

    entries = dg_nonce_entries(t);

    for (p = &dg_nonce_buckets(t)[entries[idx].bucket];
         *p != idx;
         p = &entries[*p].next)
    {
        /* void */
    }

    *p = entries[idx].next;
}


dg_nonce_e
dg_nonce_record(void *mem, const unsigned char *key, int64_t now,
    int64_t expires)
{
    uint32_t           b, idx, purged, *buckets;
    dg_nonce_entry_t  *e, *entries;
    dg_nonce_table_t  *t;

    t = mem;

    if (t->magic != DG_NONCE_MAGIC || key == NULL) {
        return DG_NONCE_ERROR;
    }

    buckets = dg_nonce_buckets(t);
    entries = dg_nonce_entries(t);

    /* the oldest first, while their windows are over */

    for (purged = 0;
         t->count > 0 && entries[t->head].expires < now
         && (purged < DG_NONCE_PURGE || t->count == t->capacity);
         purged++)
    {
        dg_nonce_unlink(t, t->head);
        t->head = (t->head + 1) % t->capacity;
        t->count--;
    }

    b = dg_nonce_bucket(t, key);

    for (idx = buckets[b]; idx != DG_NONCE_NONE; idx = e->next) {
        e = &entries[idx];

        if (memcmp(e->key, key, DG_NONCE_KEY_LEN) != 0) {
            continue;
        }

        if (e->expires >= now) {
            return DG_NONCE_SEEN;
        }

        /* its window is over (not yet dropped, behind a later one): a new
         * window starts */
        e->expires = expires;

        return DG_NONCE_RECORDED;
    }

    if (t->count == t->capacity) {
        return DG_NONCE_FULL;
    }

    idx = (t->head + t->count) % t->capacity;
    e = &entries[idx];

    e->expires = expires;
    e->bucket = b;
    memcpy(e->key, key, DG_NONCE_KEY_LEN);
    e->next = buckets[b];
    buckets[b] = idx;

    t->count++;

    return DG_NONCE_RECORDED;
}


void
dg_nonce_table_stats(const void *mem, dg_limit_stats_t *st)
{
    const dg_nonce_table_t  *t = mem;

    memset(st, 0, sizeof(dg_limit_stats_t));
    st->capacity = t->capacity;
    st->count = t->count;
}

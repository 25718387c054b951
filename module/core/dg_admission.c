/*
 * Admission to the PostgreSQL queue (see dg_admission.h): a chained hash
 * table of sectors whose bucket array doubles when there are more sectors
 * than buckets; entries are allocated one by one, so handles survive it.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dg_admission.h"


#define DG_ADMISSION_BUCKETS  16


struct dg_admission_sector_s {
    dg_admission_sector_t  *next;
    uint32_t                hash;
    size_t                  waiting;
    size_t                  len;
    char                    name[];
};


struct dg_admission_s {
    dg_admission_sector_t  **buckets;
    size_t                   nbuckets;      /* a power of two */
    size_t                   nsectors;
    size_t                   waiting;
    size_t                   queue_size;
    size_t                   share;
};


static uint32_t
dg_admission_hash(const char *s, size_t len)
{
    size_t    i;
    uint32_t  h;

    h = 2166136261U;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char) s[i];
        h *= 16777619U;
    }

    return h;
}


dg_admission_t *
dg_admission_create(size_t queue_size, unsigned share)
{
    dg_admission_t  *a;

    if (queue_size == 0 || share == 0 || share > 100) {
        return NULL;
    }

    a = calloc(1, sizeof(dg_admission_t));
    if (a == NULL) {
        return NULL;
    }

    a->buckets = calloc(DG_ADMISSION_BUCKETS, sizeof(dg_admission_sector_t *));
    if (a->buckets == NULL) {
        free(a);
        return NULL;
    }

    a->nbuckets = DG_ADMISSION_BUCKETS;
    a->queue_size = queue_size;
    a->share = queue_size / 100 * share + queue_size % 100 * share / 100;

    if (a->share == 0) {
        a->share = 1;
    }

    return a;
}


void
dg_admission_free(dg_admission_t *a)
{
    size_t                  i;
    dg_admission_sector_t  *s, *next;

    if (a == NULL) {
        return;
    }

    for (i = 0; i < a->nbuckets; i++) {
        for (s = a->buckets[i]; s; s = next) {
            next = s->next;
            free(s);
        }
    }

    free(a->buckets);
    free(a);
}


static dg_admission_sector_t *
dg_admission_find(const dg_admission_t *a, const char *sector, size_t len,
    uint32_t hash)
{
    dg_admission_sector_t  *s;

    for (s = a->buckets[hash & (a->nbuckets - 1)]; s; s = s->next) {
        if (s->hash == hash && s->len == len
            && memcmp(s->name, sector, len) == 0)
        {
            return s;
        }
    }

    return NULL;
}


/* Twice the buckets; on failure the table stays as it was, only slower. */
static void
dg_admission_grow(dg_admission_t *a)
{
    size_t                   i, n;
    dg_admission_sector_t   *s, *next, **buckets;

    n = a->nbuckets * 2;

    buckets = calloc(n, sizeof(dg_admission_sector_t *));
    if (buckets == NULL) {
        return;
    }

    for (i = 0; i < a->nbuckets; i++) {
        for (s = a->buckets[i]; s; s = next) {
            next = s->next;
            s->next = buckets[s->hash & (n - 1)];
            buckets[s->hash & (n - 1)] = s;
        }
    }

    free(a->buckets);
    a->buckets = buckets;
    a->nbuckets = n;
}


dg_admission_e
dg_admission_enter(dg_admission_t *a, const char *sector, size_t len,
    dg_admission_sector_t **place)
{
    uint32_t                hash;
    dg_admission_sector_t  *s;

    if (a->waiting >= a->queue_size) {
        return DG_ADMISSION_FULL;
    }

    hash = dg_admission_hash(sector, len);
    s = dg_admission_find(a, sector, len, hash);

    if (s == NULL) {
        s = malloc(sizeof(dg_admission_sector_t) + len);
        if (s == NULL) {
            return DG_ADMISSION_ERROR;
        }

        s->hash = hash;
        s->waiting = 0;
        s->len = len;
        memcpy(s->name, sector, len);

        s->next = a->buckets[hash & (a->nbuckets - 1)];
        a->buckets[hash & (a->nbuckets - 1)] = s;

        if (++a->nsectors > a->nbuckets) {
            dg_admission_grow(a);
        }
    }

    if (s->waiting >= a->share) {
        return DG_ADMISSION_SHARE;
    }

    s->waiting++;
    a->waiting++;
    *place = s;

    return DG_ADMISSION_OK;
}


void
dg_admission_leave(dg_admission_t *a, dg_admission_sector_t *place)
{
    place->waiting--;
    a->waiting--;
}


void
dg_admission_reenter(dg_admission_t *a, dg_admission_sector_t *place)
{
    place->waiting++;
    a->waiting++;
}


size_t
dg_admission_waiting(const dg_admission_t *a)
{
    return a->waiting;
}

/*
 * The procedure catalog: an array kept sorted by procedure code on every
 * add, so lookups on a const catalog are a plain binary search.
 */

#include <stdlib.h>
#include <string.h>

#include "dg_catalog.h"


typedef struct {
    char        *procedure;     /* one allocation: procedure NUL sector NUL */
    const char  *sector;
    size_t       len;
} dg_catalog_entry_t;


struct dg_catalog_s {
    dg_catalog_entry_t  *entries;
    size_t               n;
    size_t               cap;
};


dg_catalog_t *
dg_catalog_create(void)
{
    return calloc(1, sizeof(dg_catalog_t));
}


void
dg_catalog_free(dg_catalog_t *cat)
{
    size_t  i;

    if (cat == NULL) {
        return;
    }

    for (i = 0; i < cat->n; i++) {
        free(cat->entries[i].procedure);
    }

    free(cat->entries);
    free(cat);
}


/* The first entry not less than code, and whether it equals code. */
static size_t
dg_catalog_find(const dg_catalog_t *cat, const char *code, size_t len,
    int *found)
{
    int                        rc;
    size_t                     lo, hi, mid;
    const dg_catalog_entry_t  *e;

    lo = 0;
    hi = cat->n;
    *found = 0;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        e = &cat->entries[mid];

        rc = memcmp(e->procedure, code, e->len < len ? e->len : len);
        if (rc == 0) {
            rc = (e->len > len) - (e->len < len);
        }

        if (rc == 0) {
            *found = 1;
            return mid;
        }

        if (rc < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return lo;
}


int
dg_catalog_add(dg_catalog_t *cat, const char *procedure, const char *sector)
{
    int                  found;
    char                *mem;
    size_t               i, len, slen, cap;
    dg_catalog_entry_t  *entries;

    len = strlen(procedure);
    slen = strlen(sector);

    mem = malloc(len + 1 + slen + 1);
    if (mem == NULL) {
        return -1;
    }

    memcpy(mem, procedure, len + 1);
    memcpy(mem + len + 1, sector, slen + 1);

    i = dg_catalog_find(cat, procedure, len, &found);

    if (found) {
        free(cat->entries[i].procedure);

    } else {
        if (cat->n == cat->cap) {
            cap = cat->cap ? 2 * cat->cap : 64;
            entries = realloc(cat->entries, cap * sizeof(dg_catalog_entry_t));
            if (entries == NULL) {
                free(mem);
                return -1;
            }

            cat->entries = entries;
            cat->cap = cap;
        }

        memmove(&cat->entries[i + 1], &cat->entries[i],
                (cat->n - i) * sizeof(dg_catalog_entry_t));
        cat->n++;
    }

    cat->entries[i].procedure = mem;
    cat->entries[i].sector = mem + len + 1;
    cat->entries[i].len = len;

    return 0;
}


const char *
dg_catalog_sector(const dg_catalog_t *cat, const char *code, size_t len)
{
    int     found;
    size_t  i;

    i = dg_catalog_find(cat, code, len, &found);

    return found ? cat->entries[i].sector : NULL;
}


/* A scan: sectors are asked for once per feed or figures request, and a
 * catalog holds a few thousand procedures. */
int
dg_catalog_has_sector(const dg_catalog_t *cat, const char *sector,
    size_t len)
{
    size_t  i;

    for (i = 0; i < cat->n; i++) {
        if (strncmp(cat->entries[i].sector, sector, len) == 0
            && cat->entries[i].sector[len] == '\0')
        {
            return 1;
        }
    }

    return 0;
}


size_t
dg_catalog_size(const dg_catalog_t *cat)
{
    return cat->n;
}

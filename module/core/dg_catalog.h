/*
 * The procedure catalog: national procedure code (MaTTHC's "D.DDDDDD" part)
 * to sector code (MaLinhVuc).  Built once, then read-only; lookups are a
 * binary search with no I/O, so a worker can consult it on every request.
 */

#ifndef DG_CATALOG_H
#define DG_CATALOG_H

#include <stddef.h>

typedef struct dg_catalog_s  dg_catalog_t;

dg_catalog_t *dg_catalog_create(void);
void dg_catalog_free(dg_catalog_t *cat);

/* Adds or replaces one entry; returns 0, or -1 when out of memory. */
int dg_catalog_add(dg_catalog_t *cat, const char *procedure,
    const char *sector);

/* Returns the sector of a national procedure code, or NULL.  code need not
 * be NUL-terminated. */
const char *dg_catalog_sector(const dg_catalog_t *cat, const char *code,
    size_t len);

/* 1 when some procedure is of this sector (need not be NUL-terminated):
 * the known sectors are those of the catalog. */
int dg_catalog_has_sector(const dg_catalog_t *cat, const char *sector,
    size_t len);

size_t dg_catalog_size(const dg_catalog_t *cat);

#endif /* DG_CATALOG_H */

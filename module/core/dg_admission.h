/*
 * Admission to a worker's PostgreSQL queue: at most queue_size dossiers
 * wait, and at most share percent of them (at least one) from any one
 * sector, so that one sector's surge cannot take every place (README:
 * "Admission control").
 *
 * Sectors are counted in a hash table that grows with the number of
 * sectors seen, so there is no limit on how many there are; an entry is
 * kept once made (its handle stays valid until dg_admission_free), and
 * sectors come from the procedure catalog, which bounds them.  One table
 * per worker, no lock: not for shared memory.
 */

#ifndef DG_ADMISSION_H
#define DG_ADMISSION_H

#include <stddef.h>

typedef struct dg_admission_s         dg_admission_t;
typedef struct dg_admission_sector_s  dg_admission_sector_t;

typedef enum {
    DG_ADMISSION_OK = 0,
    DG_ADMISSION_FULL,              /* queue_size dossiers wait */
    DG_ADMISSION_SHARE,             /* the sector holds its share */
    DG_ADMISSION_ERROR              /* out of memory */
} dg_admission_e;


/* NULL when out of memory or when queue_size is 0 or share not 1..100. */
dg_admission_t *dg_admission_create(size_t queue_size, unsigned share);
void dg_admission_free(dg_admission_t *a);

/*
 * Takes a place for a dossier of sector (len bytes, any bytes).  On
 * DG_ADMISSION_OK *place is the sector's handle, for leave and reenter;
 * otherwise nothing was counted.
 */
dg_admission_e dg_admission_enter(dg_admission_t *a, const char *sector,
    size_t len, dg_admission_sector_t **place);

/* Gives the place back (the dossier left the queue). */
void dg_admission_leave(dg_admission_t *a, dg_admission_sector_t *place);

/* Takes the place again without the checks: a dossier admitted before
 * comes back to the queue (retried alone after its batch failed). */
void dg_admission_reenter(dg_admission_t *a, dg_admission_sector_t *place);

/* How many dossiers wait, all sectors together. */
size_t dg_admission_waiting(const dg_admission_t *a);

#endif /* DG_ADMISSION_H */

/*
 * The element a validated dossier becomes in a group-commit batch: the JSON
 * object that sql/migrations' dossier_submit_batch() reads
 * ({"h", "c", "r", "tn", "ht", "d"}).
 */

#ifndef DG_STORE_H
#define DG_STORE_H

#include <jansson.h>

#include "dg_dossier.h"

/* What the store's functions (sql/migrations) said of one dossier. */
typedef enum {
    DG_STORE_CREATED = 0,       /* submission: committed now */
    DG_STORE_DUPLICATE,         /* submission: identical dossier stored */
    DG_STORE_CONFLICT,          /* submission: same MaHoSo, other content */
    DG_STORE_UPDATED,           /* progress: applied */
    DG_STORE_UNKNOWN,           /* progress: no such dossier */
    DG_STORE_FORBIDDEN,         /* progress: sector not granted */
    DG_STORE_TRANSITION,        /* progress: move not allowed */
    DG_STORE_UNEXPECTED         /* anything else */
} dg_store_outcome_e;

/* The outcome column's text as an outcome. */
dg_store_outcome_e dg_store_outcome(const char *text);

/* Returns malloc'ed compact JSON text, or NULL when out of memory.
 * request_id may be NULL. */
char *dg_store_item(json_t *root, const dg_dossier_t *d, const char *hash,
    const char *client_id, const char *request_id);

#endif /* DG_STORE_H */

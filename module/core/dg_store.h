/*
 * The element a validated dossier becomes in a group-commit batch: the JSON
 * object that sql/migrations' dossier_submit_batch() reads
 * ({"h", "c", "r", "tn", "ht", "d"}).
 */

#ifndef DG_STORE_H
#define DG_STORE_H

#include <jansson.h>

#include "dg_dossier.h"

/* Returns malloc'ed compact JSON text, or NULL when out of memory: the
 * dossier is its canonical text (dg_dossier_canonical(), spliced in, not
 * dumped again).  request_id may be NULL. */
char *dg_store_item(const char *canonical, const dg_dossier_t *d,
    const char *hash, const char *client_id, const char *request_id);

#endif /* DG_STORE_H */

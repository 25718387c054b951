/*
 * Batch elements for dossier_submit_batch().
 */

#include <string.h>

#include "dg_store.h"


char *
dg_store_item(json_t *root, const dg_dossier_t *d, const char *hash,
    const char *client_id, const char *request_id)
{
    char    *text;
    json_t  *item;

    item = json_pack("{s:s, s:s, s:s*, s:I, s:I, s:O}",
                     "h", hash,
                     "c", client_id,
                     "r", request_id,
                     "tn", (json_int_t) d->ngay_tiep_nhan,
                     "ht", (json_int_t) d->ngay_hen_tra,
                     "d", root);
    if (item == NULL) {
        return NULL;
    }

    text = json_dumps(item, JSON_COMPACT);
    json_decref(item);

    return text;
}


dg_store_outcome_e
dg_store_outcome(const char *text)
{
    size_t              i;
    static const char  *names[] = {
        [DG_STORE_CREATED] = "created",
        [DG_STORE_DUPLICATE] = "duplicate",
        [DG_STORE_CONFLICT] = "conflict",
        [DG_STORE_UPDATED] = "updated",
        [DG_STORE_UNKNOWN] = "unknown",
        [DG_STORE_FORBIDDEN] = "forbidden",
        [DG_STORE_TRANSITION] = "transition"
    };

    for (i = 0; text && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(text, names[i]) == 0) {
            return (dg_store_outcome_e) i;
        }
    }

    return DG_STORE_UNEXPECTED;
}

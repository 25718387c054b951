/*
 * Batch elements for dossier_submit_batch().
 */

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

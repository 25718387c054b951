/*
 * Batch elements for dossier_submit_batch().
 */

#include <stdlib.h>
#include <string.h>

#include "dg_store.h"


char *
dg_store_item(const char *canonical, const dg_dossier_t *d,
    const char *hash, const char *client_id, const char *request_id)
{
    char    *head, *text, *p;
    size_t   hlen, clen;
    json_t  *item;

    item = json_pack("{s:s, s:s, s:s*, s:I, s:I}",
                     "h", hash,
                     "c", client_id,
                     "r", request_id,
                     "tn", (json_int_t) d->ngay_tiep_nhan,
                     "ht", (json_int_t) d->ngay_hen_tra);
    if (item == NULL) {
        return NULL;
    }

    head = json_dumps(item, JSON_COMPACT);
    json_decref(item);

    if (head == NULL) {
        return NULL;
    }

    /* {...,"d":<canonical>} */
    hlen = strlen(head) - 1;
    clen = strlen(canonical);

    text = malloc(hlen + sizeof(",\"d\":}") - 1 + clen + 1);
    if (text) {
        p = text;
        memcpy(p, head, hlen);
        p += hlen;
        memcpy(p, ",\"d\":", 5);
        p += 5;
        memcpy(p, canonical, clen);
        p += clen;
        *p++ = '}';
        *p = '\0';
    }

    free(head);

    return text;
}

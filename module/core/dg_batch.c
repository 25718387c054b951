/*
 * The batch submission (dg_batch.h).
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg_batch.h"
#include "dg_error.h"
#include "dg_json.h"


void
dg_batch_init(dg_batch_t *b)
{
    memset(b, 0, sizeof(dg_batch_t));
    dg_problems_init(&b->problems);
}


void
dg_batch_free(dg_batch_t *b)
{
    size_t  i;

    for (i = 0; i < b->n; i++) {
        dg_submission_free(&b->items[i].sub);
    }

    free(b->items);
    json_decref(b->root);
    dg_problems_free(&b->problems);

    dg_batch_init(b);
}


static int
dg_batch_refuse(dg_batch_t *b, dg_error_e e, ...)
{
    va_list  args;

    va_start(args, e);
    (void) dg_problems_vadd_error(&b->problems,
                                  e == DG_ERR_BATCH_SIZE ? "/data" : "", e,
                                  args);
    va_end(args);

    b->status = dg_error(e)->status;
    b->title = dg_status_title(b->status);

    return -1;
}


int
dg_batch_parse(dg_batch_t *b, const char *body, size_t len)
{
    size_t   i, n;
    json_t  *data;

    /* two levels more than a dossier alone: each item may be as deep as
     * a single submission */
    b->root = dg_json_parse(body, len, DG_JSON_MAX_DEPTH + 2, &b->problems);

    if (b->root == NULL) {
        b->status = 400;
        b->title = "Malformed request body";
        return -1;
    }

    if (!json_is_object(b->root)) {
        return dg_batch_refuse(b, DG_ERR_BATCH_TYPE);
    }

    data = json_object_get(b->root, "data");
    n = json_array_size(data);

    if (!json_is_array(data) || n == 0 || n > DG_BATCH_MAX_ITEMS) {
        return dg_batch_refuse(b, DG_ERR_BATCH_SIZE, DG_BATCH_MAX_ITEMS);
    }

    b->items = calloc(n, sizeof(dg_batch_item_t));
    if (b->items == NULL) {
        return dg_batch_refuse(b, DG_ERR_INTERNAL);
    }

    for (i = 0; i < n; i++) {
        snprintf(b->items[i].pointer, sizeof(b->items[i].pointer),
                 "/data/%zu", i);
        dg_submission_init(&b->items[i].sub, b->items[i].pointer);
        dg_submission_take(&b->items[i].sub, json_array_get(data, i));
    }

    b->n = n;

    return 0;
}


static json_t *
dg_batch_result(dg_submission_t *s, size_t index)
{
    json_t      *r;
    const char  *code;

    if (s->stage != DG_SUBMISSION_STORED
        && s->stage != DG_SUBMISSION_REFUSED)
    {
        (void) dg_submission_refuse(s, DG_ERR_INTERNAL);
    }

    r = json_pack("{s:I, s:i}", "index", (json_int_t) index,
                  "status", s->status);
    if (r == NULL) {
        return NULL;
    }

    if (s->stage == DG_SUBMISSION_STORED
        && json_object_set_new(r, "id", json_integer(s->id)) != 0)
    {
        goto failed;
    }

    code = dg_submission_code(s);

    if (code && json_object_set_new(r, "MaHoSo", json_string(code)) != 0) {
        goto failed;
    }

    if (s->stage == DG_SUBMISSION_REFUSED
        && json_object_set_new(r, "errors", dg_problems_array(&s->problems))
           != 0)
    {
        goto failed;
    }

    return r;

failed:

    json_decref(r);

    return NULL;
}


char *
dg_batch_results_json(dg_batch_t *b)
{
    char    *out;
    size_t   i;
    json_t  *root, *list;

    list = json_array();
    root = json_pack("{s:o}", "results", list);
    if (root == NULL) {
        return NULL;
    }

    for (i = 0; i < b->n; i++) {
        if (json_array_append_new(list, dg_batch_result(&b->items[i].sub, i))
            != 0)
        {
            json_decref(root);
            return NULL;
        }
    }

    out = json_dumps(root, JSON_COMPACT);
    json_decref(root);

    return out;
}

/*
 * A batch submission (CONTRACT.md section 6): {"data": [dossier, ...]}
 * with 1 to DG_BATCH_MAX_ITEMS dossiers, each judged alone as a staged
 * submission (dg_submission.h) whose problems point into the request
 * ("/data/3/SoGiayToChuHoSo"), and the answer with one result per item,
 * in request order:
 *
 *   {"results": [{"index": 0, "status": 201, "id": 17, "MaHoSo": "..."},
 *                {"index": 1, "status": 422, "MaHoSo": "...",
 *                 "errors": [...]}]}
 *
 * A body that is not JSON (or too deep, duplicate keys, ...) is refused
 * whole (400), as are a body that is not an object and a "data" that is
 * not an array of 1 to DG_BATCH_MAX_ITEMS items (422).
 */

#ifndef DG_BATCH_H
#define DG_BATCH_H

#include <stddef.h>
#include <jansson.h>

#include "dg_problem.h"
#include "dg_submission.h"

#define DG_BATCH_MAX_ITEMS  100


typedef struct {
    dg_submission_t      sub;
    char                 pointer[16];       /* "/data/99" */
} dg_batch_item_t;

typedef struct {
    json_t              *root;
    dg_batch_item_t     *items;
    size_t               n;
    int                  status;            /* refused whole: 400, 422 */
    const char          *title;
    dg_problems_t        problems;          /* refused whole: why */
} dg_batch_t;


void dg_batch_init(dg_batch_t *b);
void dg_batch_free(dg_batch_t *b);

/*
 * Parses a body into its items, each a submission PARSED from its own
 * value.  0, or -1 when the whole batch is refused (b->status, b->title,
 * b->problems; also when out of memory: 500).
 */
int dg_batch_parse(dg_batch_t *b, const char *body, size_t len);

/*
 * The answer: one result per item, from its submission, STORED (status,
 * id) or REFUSED (status, errors); an item left in another stage is
 * refused 500 first.  A malloc'ed string, or NULL when out of memory.
 */
char *dg_batch_results_json(dg_batch_t *b);

#endif /* DG_BATCH_H */

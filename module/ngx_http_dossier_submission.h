/*
 * The nginx side of one staged submission (module/core/dg_submission.h),
 * the same for POST /v1/dossiers and for each item of POST
 * /v1/dossiers/batch: its stages with this worker's catalog and plugins
 * and the request's caller, the wait for a worker's first catalog, its
 * element for the group-commit writer, and what the store answered.
 */

#ifndef NGX_HTTP_DOSSIER_SUBMISSION_H
#define NGX_HTTP_DOSSIER_SUBMISSION_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_submission.h"
#include "ngx_http_dossier_pg.h"


/*
 * validate (with the catalog) → plugins → grants, each stage once.
 * NGX_OK: ALLOWED or REFUSED.  NGX_AGAIN: valid so far, waiting for the
 * worker's first catalog (ngx_http_dossier_submission_wait()).
 */
ngx_int_t ngx_http_dossier_submission_judge(ngx_http_request_t *r,
    dg_submission_t *sub);

/*
 * Waits for the worker's first catalog, then runs the request's step
 * again; answers 503 when it does not come.  Returns NGX_DONE, or the
 * 503 sent at once.  w lives in the request's context; cancel it
 * (ngx_http_dossier_pg_wait_cancel) when the request goes away.
 */
ngx_int_t ngx_http_dossier_submission_wait(ngx_http_request_t *r,
    ngx_http_dossier_pg_waiter_t *w);

/*
 * ALLOWED → READY (the canonical hash, the store element) and the
 * PostgreSQL item for it, which borrows from sub.  NGX_OK, or NGX_DECLINED
 * when the submission was refused (500: out of memory).
 */
ngx_int_t ngx_http_dossier_submission_item(ngx_http_request_t *r,
    dg_submission_t *sub, ngx_http_dossier_pg_item_t *item);

/* READY → what the store answered for the item: STORED (201 new, 200 an
 * identical retry, the id) or REFUSED (409, 500, 503). */
void ngx_http_dossier_submission_stored(dg_submission_t *sub,
    ngx_http_dossier_pg_item_t *item);

#endif /* NGX_HTTP_DOSSIER_SUBMISSION_H */

/*
 * What the GET endpoints over shared data (/v1/feed, /v1/stats) have in
 * common: GET or HEAD, no body, the address limits; then, again after
 * every wait, a caller who may read shared data (a signed client: a VNeID
 * token is 403), its limits, and the worker's catalog (the known sectors).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_dossier.h"
#include "ngx_http_dossier_auth.h"
#include "ngx_http_dossier_limit.h"
#include "ngx_http_dossier_reader.h"
#include "ngx_http_dossier_response.h"


static void ngx_http_dossier_reader_catalog(ngx_http_dossier_pg_waiter_t *w,
    ngx_uint_t ready);
static void ngx_http_dossier_reader_done(ngx_http_dossier_pg_query_t *q,
    PGresult *res);
static void ngx_http_dossier_reader_cleanup(void *data);


ngx_int_t
ngx_http_dossier_reader_handler(ngx_http_request_t *r, size_t size,
    ngx_http_dossier_step_pt start, ngx_pool_cleanup_pt cleanup)
{
    ngx_int_t                   rc;
    ngx_pool_cleanup_t         *cln;
    ngx_http_dossier_ctx_t     *dctx;
    ngx_http_dossier_reader_t  *rd;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_dossier_send_not_allowed(r, "GET, HEAD");
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    dctx = ngx_http_dossier_ctx(r);
    rd = ngx_pcalloc(r->pool, size);
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (dctx == NULL || rd == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rd->request = r;
    rd->cleanup = cleanup;
    rd->catalog.handler = ngx_http_dossier_reader_catalog;
    rd->catalog.data = r;
    cln->handler = ngx_http_dossier_reader_cleanup;
    cln->data = rd;
    dctx->data = rd;
    dctx->step = start;

    rc = start(r);

    /* every answer after this one comes from an event */
    if (rc == NGX_DONE) {
        r->main->count++;
    }

    return rc;
}


ngx_int_t
ngx_http_dossier_reader_check(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_http_dossier_pg_t      *pool;
    ngx_http_dossier_ctx_t     *dctx;
    ngx_http_dossier_reader_t  *rd;

    rc = ngx_http_dossier_authenticate(r, NULL);
    if (rc != NGX_OK) {
        return rc;
    }

    dctx = ngx_http_dossier_ctx(r);

    if (dctx->caller.kind == DG_CALLER_CITIZEN) {
        return ngx_http_dossier_send_error(r, DG_ERR_READER_CITIZEN);
    }

    rc = ngx_http_dossier_limit(r, NGX_HTTP_DOSSIER_LIMIT_LATE, NULL, NULL);
    if (rc != NGX_OK) {
        return rc;
    }

    pool = ngx_http_dossier_pool(r);
    rd = dctx->data;

    if (ngx_http_dossier_catalog(r)) {
        return NGX_OK;
    }

    /* a worker just started: wait for its catalog, then start over */
    if (pool && ngx_http_dossier_pg_wait_catalog(pool, &rd->catalog) == NGX_OK)
    {
        return NGX_DONE;
    }

    return ngx_http_dossier_send_error(r, DG_ERR_STORAGE_STARTING);
}


ngx_int_t
ngx_http_dossier_reader_query(ngx_http_dossier_reader_t *rd,
    ngx_http_dossier_reader_done_pt done)
{
    ngx_http_dossier_pg_t  *pool;

    pool = ngx_http_dossier_pool(rd->request);

    rd->query.handler = ngx_http_dossier_reader_done;
    rd->query.data = rd;
    rd->done = done;

    /* the answer is posted: never inside this call */
    if (pool && ngx_http_dossier_pg_query(pool, &rd->query) == NGX_OK) {
        rd->querying = 1;
        return NGX_DONE;
    }

    return ngx_http_dossier_send_error(rd->request,
                                       DG_ERR_STORAGE_UNAVAILABLE);
}


static void
ngx_http_dossier_reader_done(ngx_http_dossier_pg_query_t *q, PGresult *res)
{
    ngx_http_dossier_reader_t  *rd = q->data;

    rd->querying = 0;

    if (res == NULL) {
        ngx_http_dossier_finalize(rd->request,
            ngx_http_dossier_send_error(rd->request,
                                        DG_ERR_STORAGE_UNAVAILABLE));
        return;
    }

    rd->done(rd, res);
}


const char *
ngx_http_dossier_reader_sectors(ngx_http_request_t *r)
{
    ngx_http_dossier_ctx_t  *dctx;

    dctx = ngx_http_dossier_ctx(r);

    switch (dctx->caller.kind) {

    case DG_CALLER_CLIENT:
        return dg_client_read_sectors(dctx->caller.client);

    case DG_CALLER_OPEN:
        return "*";

    default:
        return "";
    }
}


ngx_int_t
ngx_http_dossier_reader_may_read(ngx_http_request_t *r, const char *sector)
{
    ngx_http_dossier_ctx_t  *dctx;

    dctx = ngx_http_dossier_ctx(r);

    if (dctx->caller.kind == DG_CALLER_OPEN
        || (dctx->caller.kind == DG_CALLER_CLIENT
            && dg_client_may_read(dctx->caller.client, sector,
                                  ngx_strlen(sector))))
    {
        return NGX_OK;
    }

    return ngx_http_dossier_send_error(r, DG_ERR_READ_SECTOR);
}


static void
ngx_http_dossier_reader_catalog(ngx_http_dossier_pg_waiter_t *w,
    ngx_uint_t ready)
{
    ngx_connection_t    *c;
    ngx_http_request_t  *r = w->data;

    if (!ready) {
        ngx_http_dossier_finalize(r,
            ngx_http_dossier_send_error(r, DG_ERR_STORAGE_STARTING));
        return;
    }

    c = r->connection;

    ngx_http_dossier_resume(r);
    ngx_http_run_posted_requests(c);
}


static void
ngx_http_dossier_reader_cleanup(void *data)
{
    ngx_http_dossier_reader_t  *rd = data;

    ngx_http_dossier_pg_wait_cancel(&rd->catalog);

    if (rd->querying) {
        ngx_http_dossier_pg_query_cancel(&rd->query);
        rd->querying = 0;
    }

    if (rd->cleanup) {
        rd->cleanup(rd);
    }
}

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


static void ngx_http_dossier_reader_resume(ngx_http_request_t *r);
static void ngx_http_dossier_reader_catalog(ngx_http_dossier_pg_waiter_t *w,
    ngx_uint_t ready);
static void ngx_http_dossier_reader_done(ngx_http_dossier_pg_query_t *q,
    PGresult *res);
static ngx_int_t ngx_http_dossier_reader_unavailable(ngx_http_request_t *r);
static void ngx_http_dossier_reader_cleanup(void *data);


ngx_int_t
ngx_http_dossier_reader_handler(ngx_http_request_t *r, size_t size,
    ngx_http_dossier_reader_pt start, ngx_pool_cleanup_pt cleanup)
{
    ngx_int_t                   rc;
    ngx_pool_cleanup_t         *cln;
    ngx_http_dossier_ctx_t     *dctx;
    ngx_http_dossier_reader_t  *rd;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_dossier_send_not_allowed(r, "GET, HEAD");
    }

    rc = ngx_http_dossier_limit(r, NGX_HTTP_DOSSIER_LIMIT_EARLY, NULL, NULL,
                                NULL);
    if (rc != NGX_OK) {
        return rc;
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
    rd->start = start;
    rd->cleanup = cleanup;
    rd->catalog.handler = ngx_http_dossier_reader_catalog;
    rd->catalog.data = r;
    cln->handler = ngx_http_dossier_reader_cleanup;
    cln->data = rd;
    dctx->data = rd;

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
    ngx_int_t                      rc;
    ngx_http_dossier_ctx_t        *dctx;
    ngx_http_dossier_reader_t     *rd;
    ngx_http_dossier_main_conf_t  *dmcf;

    rc = ngx_http_dossier_authenticate(r, NULL,
                                       ngx_http_dossier_reader_resume);
    if (rc != NGX_OK) {
        return rc;
    }

    dctx = ngx_http_dossier_ctx(r);

    if (dctx->caller.kind == NGX_HTTP_DOSSIER_CALLER_CITIZEN) {
        return ngx_http_dossier_send_error(r, NGX_HTTP_FORBIDDEN,
                   "auth.citizen",
                   "Tài khoản VNeID không được đọc dữ liệu chia sẻ",
                   "VNeID tokens may not read shared data");
    }

    rc = ngx_http_dossier_limit(r, NGX_HTTP_DOSSIER_LIMIT_LATE, NULL, NULL,
                                ngx_http_dossier_reader_resume);
    if (rc != NGX_OK) {
        return rc;
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);
    rd = dctx->data;

    if (dmcf->pool && ngx_http_dossier_pg_catalog(dmcf->pool)) {
        return NGX_OK;
    }

    /* a worker just started: wait for its catalog, then start over */
    if (dmcf->pool
        && ngx_http_dossier_pg_wait_catalog(dmcf->pool, &rd->catalog)
           == NGX_OK)
    {
        return NGX_DONE;
    }

    return ngx_http_dossier_reader_unavailable(r);
}


ngx_int_t
ngx_http_dossier_reader_query(ngx_http_dossier_reader_t *rd,
    ngx_http_dossier_reader_done_pt done)
{
    ngx_int_t                      rc;
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(rd->request,
                                         ngx_http_dossier_module);

    rd->query.handler = ngx_http_dossier_reader_done;
    rd->query.data = rd;
    rd->done = done;
    rd->querying = 1;
    rd->sending = 1;
    rd->lost = 0;

    rc = ngx_http_dossier_pg_query(dmcf->pool, &rd->query);

    rd->sending = 0;

    if (rc == NGX_OK && !rd->lost) {
        return NGX_DONE;
    }

    rd->querying = 0;

    return ngx_http_dossier_reader_unavailable(rd->request);
}


static void
ngx_http_dossier_reader_done(ngx_http_dossier_pg_query_t *q, PGresult *res)
{
    ngx_http_dossier_reader_t  *rd = q->data;

    rd->querying = 0;

    if (rd->sending) {
        /* failed at once, inside ngx_http_dossier_pg_query() */
        rd->lost = 1;
        return;
    }

    if (res == NULL) {
        ngx_http_dossier_reader_finalize(rd->request,
            ngx_http_dossier_reader_unavailable(rd->request));
        return;
    }

    rd->done(rd, res);
}


static ngx_int_t
ngx_http_dossier_reader_unavailable(ngx_http_request_t *r)
{
    return ngx_http_dossier_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
               "storage.unavailable", "Cơ sở dữ liệu không khả dụng",
               "storage unavailable or saturated; retry later");
}


const char *
ngx_http_dossier_reader_sectors(ngx_http_request_t *r)
{
    ngx_http_dossier_ctx_t  *dctx;

    dctx = ngx_http_dossier_ctx(r);

    switch (dctx->caller.kind) {

    case NGX_HTTP_DOSSIER_CALLER_CLIENT:
        return dg_client_read_sectors(dctx->caller.client);

    case NGX_HTTP_DOSSIER_CALLER_OPEN:
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

    if (dctx->caller.kind == NGX_HTTP_DOSSIER_CALLER_OPEN
        || (dctx->caller.kind == NGX_HTTP_DOSSIER_CALLER_CLIENT
            && dg_client_may_read(dctx->caller.client, sector,
                                  ngx_strlen(sector))))
    {
        return NGX_OK;
    }

    return ngx_http_dossier_send_error(r, NGX_HTTP_FORBIDDEN, "auth.sector",
               "Không được xem dữ liệu của lĩnh vực này",
               "not allowed to read this sector");
}


void
ngx_http_dossier_reader_finalize(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_connection_t  *c = r->connection;

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


/* After a wait (nonce store, shared limit, catalog): start over, each step
 * already done passes at once. */
static void
ngx_http_dossier_reader_resume(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_http_dossier_reader_t  *rd;

    rd = ngx_http_dossier_ctx(r)->data;

    rc = rd->start(r);

    if (rc != NGX_DONE) {
        ngx_http_dossier_reader_finalize(r, rc);
    }
}


static void
ngx_http_dossier_reader_catalog(ngx_http_dossier_pg_waiter_t *w,
    ngx_uint_t ready)
{
    ngx_http_request_t  *r = w->data;

    if (ready) {
        ngx_http_dossier_reader_resume(r);
        return;
    }

    ngx_http_dossier_reader_finalize(r,
                                     ngx_http_dossier_reader_unavailable(r));
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

/*
 * What the GET endpoints over shared data (/v1/feed, /v1/stats) have in
 * common (ngx_http_dossier_reader.c).  A handler's context starts with a
 * reader; start is the request's step (ngx_http_dossier_ctx.h): it runs
 * once the request is in and again after every wait, and begins with
 * ngx_http_dossier_reader_check().  cleanup (may be NULL) runs with the
 * request's pool, given the context.
 */

#ifndef NGX_HTTP_DOSSIER_READER_H
#define NGX_HTTP_DOSSIER_READER_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_dossier_ctx.h"
#include "ngx_http_dossier_pg.h"


typedef struct ngx_http_dossier_reader_s  ngx_http_dossier_reader_t;

typedef void (*ngx_http_dossier_reader_done_pt)(ngx_http_dossier_reader_t *rd,
    PGresult *res);

struct ngx_http_dossier_reader_s {
    ngx_http_request_t               *request;
    ngx_pool_cleanup_pt               cleanup;
    ngx_http_dossier_pg_waiter_t      catalog;
    ngx_http_dossier_pg_query_t       query;
    ngx_http_dossier_reader_done_pt   done;
    unsigned                          querying:1;
};

/* GET or HEAD (405), the address limits, no body; allocates the context
 * (size bytes) as ngx_http_dossier_ctx(r)->data and runs start. */
ngx_int_t ngx_http_dossier_reader_handler(ngx_http_request_t *r,
    size_t size, ngx_http_dossier_step_pt start, ngx_pool_cleanup_pt cleanup);

/* A signed client (VNeID tokens: 403 auth.citizen), its limits, the
 * catalog.  NGX_OK: go on.  NGX_DONE: the step runs again later.  Else
 * the refusal was sent; return it. */
ngx_int_t ngx_http_dossier_reader_check(ngx_http_request_t *r);

/* Runs rd->query (sql and params set); done runs with its result, from an
 * event; a failure is answered 503.  NGX_DONE, or the 503 sent. */
ngx_int_t ngx_http_dossier_reader_query(ngx_http_dossier_reader_t *rd,
    ngx_http_dossier_reader_done_pt done);

/* The sectors the caller may read: "*", "" (none) or "A,B". */
const char *ngx_http_dossier_reader_sectors(ngx_http_request_t *r);

/* NGX_OK, or the 403 (auth.sector) sent. */
ngx_int_t ngx_http_dossier_reader_may_read(ngx_http_request_t *r,
    const char *sector);

#endif /* NGX_HTTP_DOSSIER_READER_H */

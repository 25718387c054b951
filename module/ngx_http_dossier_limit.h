/*
 * ngx_http_dossier_limit_module: rate limits (ngx_http_dossier_limit.c).
 */

#ifndef NGX_HTTP_DOSSIER_LIMIT_H
#define NGX_HTTP_DOSSIER_LIMIT_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_limit.h"
#include "ngx_http_dossier_ctx.h"


#define NGX_HTTP_DOSSIER_LIMIT_EARLY  1     /* address limits */
#define NGX_HTTP_DOSSIER_LIMIT_LATE   2     /* client, citizen, sector */
#define NGX_HTTP_DOSSIER_LIMIT_NAMES  32    /* distinct limit names */


extern ngx_module_t  ngx_http_dossier_limit_module;


/*
 * Charges the limits of a stage (sector and citizen may be NULL), once per
 * request; a pending nonce (ngx_http_dossier_auth.h) is recorded first,
 * in the same script call with Redis.  NGX_OK: allowed.  NGX_DONE: the
 * request's step runs again once Redis answered.  Else: the refusal was
 * sent (429, or the nonce's 401 or 503).
 */
ngx_int_t ngx_http_dossier_limit(ngx_http_request_t *r, ngx_uint_t stage,
    const char *sector, const char *citizen);


/* One dossier of a request that carries several (a batch), charged as
 * one submission. */
typedef struct {
    const char                   *sector;      /* may be NULL */
    const char                   *citizen;     /* may be NULL */
    void                         *data;        /* the caller's */

    /* once charged */
    unsigned                      refused:1;
    const char                   *limit;       /* refused: its name */
    time_t                        retry_after; /* refused: seconds */

    void                         *charge;      /* private */
} ngx_http_dossier_limit_item_t;

/*
 * Charges the LATE limits (client, citizen, sector) once for each item,
 * in order, all or nothing per item, once per request; the address limits
 * were charged for the request.  With Redis, one script call per item,
 * pipelined on the one connection.  NGX_OK: every item is charged (see
 * refused).  NGX_DONE: the request's step runs again once Redis answered.
 * Else: what to finalize the request with.
 */
ngx_int_t ngx_http_dossier_limit_items(ngx_http_request_t *r,
    ngx_http_dossier_limit_item_t *items, ngx_uint_t n);

#endif /* NGX_HTTP_DOSSIER_LIMIT_H */

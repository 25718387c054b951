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


/* The counts of every worker, for /metrics. */
typedef struct {
    ngx_uint_t                 nlimits;
    struct {
        const u_char          *name;            /* NUL-ended */
        uint64_t               refused;
        uint64_t               shadow;          /* would have refused */
    }                          limit[NGX_HTTP_DOSSIER_LIMIT_NAMES];
    uint64_t                   fallbacks;       /* Redis unreachable */
    dg_limit_stats_t           table;
} ngx_http_dossier_limit_counts_t;


/*
 * Charges the limits of a stage (sector and citizen may be NULL), once per
 * request.  NGX_OK: allowed.  NGX_DONE: the request's step runs again
 * once Redis answered.  Else: the 429 was sent.
 */
ngx_int_t ngx_http_dossier_limit(ngx_http_request_t *r, ngx_uint_t stage,
    const char *sector, const char *citizen);

/* Every limit name's counts since start; NGX_DECLINED: no limit zone. */
ngx_int_t ngx_http_dossier_limit_counts(ngx_http_request_t *r,
    ngx_http_dossier_limit_counts_t *counts);

#endif /* NGX_HTTP_DOSSIER_LIMIT_H */

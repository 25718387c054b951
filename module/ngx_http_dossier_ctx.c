/*
 * The per-request context (ngx_http_dossier_ctx.h).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_dossier.h"
#include "ngx_http_dossier_ctx.h"


ngx_http_dossier_ctx_t *
ngx_http_dossier_ctx(ngx_http_request_t *r)
{
    ngx_http_dossier_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_dossier_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dossier_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_dossier_module);
    }

    return ctx;
}


void
ngx_http_dossier_resume(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_dossier_ctx(r)->step(r);

    /* NGX_DONE: an event answers and finalizes; r may be gone already */
    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


void
ngx_http_dossier_finalize(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_connection_t  *c = r->connection;

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}

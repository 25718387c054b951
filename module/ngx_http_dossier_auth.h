/*
 * ngx_http_dossier_auth_module: who is calling (ngx_http_dossier_auth.c).
 */

#ifndef NGX_HTTP_DOSSIER_AUTH_H
#define NGX_HTTP_DOSSIER_AUTH_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_dossier_ctx.h"


extern ngx_module_t  ngx_http_dossier_auth_module;


/*
 * Authenticates the request once (body: what was received, NULL for
 * requests without one).  NGX_OK: ctx->caller is set.  NGX_DONE: the
 * request's step runs again once the nonce store answered.  Else: the
 * refusal was sent; return it.
 *
 * A handler that sets ctx->nonce_defer first gets its signed caller once
 * this node's memory has the nonce: Redis's word (every node's) is then
 * left pending (ctx->nonce_pending) for the late limits' script to carry
 * (ngx_http_dossier_limit()), and the handler must call
 * ngx_http_dossier_auth_settle() before each of its answers, refusals
 * included, so that a replay is 401 on any node and has no effect.
 */
ngx_int_t ngx_http_dossier_authenticate(ngx_http_request_t *r,
    ngx_str_t *body);

/*
 * Settles a pending nonce with Redis (SET NX; Redis away: this node's
 * word stands).  NGX_OK: none pending, or fresh.  NGX_DONE: the request's
 * step runs again once Redis answered.  Else: the refusal was sent.
 */
ngx_int_t ngx_http_dossier_auth_settle(ngx_http_request_t *r);

/* The refusal of a replayed nonce (401 auth.nonce), sent; return it. */
ngx_int_t ngx_http_dossier_auth_replayed(ngx_http_request_t *r);

#endif /* NGX_HTTP_DOSSIER_AUTH_H */

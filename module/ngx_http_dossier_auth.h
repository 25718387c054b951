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
 */
ngx_int_t ngx_http_dossier_authenticate(ngx_http_request_t *r,
    ngx_str_t *body);

#endif /* NGX_HTTP_DOSSIER_AUTH_H */

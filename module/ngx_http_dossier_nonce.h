/*
 * ngx_http_dossier_nonce_module: nonces of signed requests, each accepted
 * once within its window (ngx_http_dossier_nonce.c).
 */

#ifndef NGX_HTTP_DOSSIER_NONCE_H
#define NGX_HTTP_DOSSIER_NONCE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_limit.h"
#include "ngx_http_dossier_ctx.h"


extern ngx_module_t  ngx_http_dossier_nonce_module;


/* Configuration time: signed requests are accepted, so nonces need their
 * store. */
ngx_int_t ngx_http_dossier_nonce_enable(ngx_conf_t *cf);

/*
 * Records a nonce once ("keyid:nonce", kept until expires): Redis SET NX,
 * and this node's shared memory.  Returns a dg_sig_nonce_e now, or
 * NGX_DONE and calls handler later.
 */
ngx_int_t ngx_http_dossier_nonce_check(ngx_http_request_t *r, u_char *key,
    time_t expires, ngx_http_dossier_nonce_pt handler);

#endif /* NGX_HTTP_DOSSIER_NONCE_H */

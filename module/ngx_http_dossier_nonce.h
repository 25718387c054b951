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
#include "dg_ratelimit_lua.h"
#include "ngx_http_dossier_ctx.h"


extern ngx_module_t  ngx_http_dossier_nonce_module;


/* Configuration time: signed requests are accepted, so nonces need their
 * store. */
ngx_int_t ngx_http_dossier_nonce_enable(ngx_conf_t *cf);

/*
 * Records a nonce once ("keyid:nonce", kept until expires): this node's
 * shared memory, then Redis SET NX.  Returns a dg_sig_nonce_e now, or
 * NGX_DONE and calls handler later.  With defer, a nonce fresh here while
 * Redis is connected is NGX_DECLINED: Redis is not asked yet (see
 * ngx_http_dossier_nonce_key() and _store()).
 */
ngx_int_t ngx_http_dossier_nonce_check(ngx_http_request_t *r, u_char *key,
    time_t expires, ngx_uint_t defer, ngx_http_dossier_nonce_pt handler);

/* Redis's part after this node said local (FRESH or UNAVAILABLE): SET NX.
 * local at once when Redis is away, else NGX_DONE and handler gets
 * Redis's answer (local when it could not say). */
ngx_int_t ngx_http_dossier_nonce_store(ngx_http_request_t *r, u_char *key,
    time_t expires, dg_sig_nonce_e local, ngx_http_dossier_nonce_pt handler);

/* The nonce as a script records it (its Redis key, in r's pool, and
 * TTL).  NGX_OK, NGX_DECLINED without Redis, NGX_ERROR. */
ngx_int_t ngx_http_dossier_nonce_key(ngx_http_request_t *r, u_char *key,
    time_t expires, dg_limit_nonce_t *nonce);

#endif /* NGX_HTTP_DOSSIER_NONCE_H */

/*
 * The gateway's per-request context, shared by its modules: who is
 * calling, what the limits charged, and the pending Redis commands that
 * a request going away must cancel.
 */

#ifndef NGX_HTTP_DOSSIER_CTX_H
#define NGX_HTTP_DOSSIER_CTX_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_caller.h"
#include "dg_sig.h"
#include "ngx_http_dossier_redis.h"


/* A step that waited (for Redis, PostgreSQL, the catalog) calls this to
 * go on where the handler left off. */
typedef void (*ngx_http_dossier_resume_pt)(ngx_http_request_t *r);

typedef void (*ngx_http_dossier_nonce_pt)(ngx_http_request_t *r,
    dg_sig_nonce_e rc);

typedef struct {
    dg_caller_t                      caller;
    ngx_http_dossier_resume_pt       resume;
    u_char                           nonce_key[DG_SIG_MAX_KEYID
                                               + DG_SIG_MAX_NONCE + 2];
    time_t                           nonce_expires;
    ngx_http_dossier_redis_cmd_t    *nonce_cmd;
    ngx_http_dossier_nonce_pt        nonce_handler;
    ngx_uint_t                       limited;   /* stages charged */
    ngx_table_elt_t                 *ratelimit[2];
    time_t                           retry_after;  /* 0: the default */
    void                            *data;     /* the handler's own */
} ngx_http_dossier_ctx_t;


/* The request's context, made on first use; NULL when out of memory. */
ngx_http_dossier_ctx_t *ngx_http_dossier_ctx(ngx_http_request_t *r);

/* Finalizes a request from an event handler (Redis, PostgreSQL, a timer),
 * outside nginx's phases, and runs the requests that posted. */
void ngx_http_dossier_finalize(ngx_http_request_t *r, ngx_int_t rc);

#endif /* NGX_HTTP_DOSSIER_CTX_H */

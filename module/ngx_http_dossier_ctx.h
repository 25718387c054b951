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


/*
 * A handler's work as one step that can be run again: every part already
 * done is passed over.  NGX_DONE: the request waits for an event, which
 * will run the step again or answer.  Anything else: what to finalize the
 * request with.
 */
typedef ngx_int_t (*ngx_http_dossier_step_pt)(ngx_http_request_t *r);

typedef void (*ngx_http_dossier_nonce_pt)(ngx_http_request_t *r,
    dg_sig_nonce_e rc);

typedef struct {
    dg_caller_t                      caller;
    ngx_http_dossier_step_pt         step;
    u_char                           nonce_key[DG_SIG_MAX_KEYID
                                               + DG_SIG_MAX_NONCE + 2];
    time_t                           nonce_expires;
    ngx_http_dossier_redis_cmd_t    *nonce_cmd;
    ngx_http_dossier_nonce_pt        nonce_handler;
    dg_sig_nonce_e                   nonce_local;  /* this node's answer */
    unsigned                         nonce_defer:1;   /* the handler settles
                                                         it before answering
                                                         (auth.h) */
    unsigned                         nonce_pending:1; /* fresh here, Redis
                                                         not asked yet */
    ngx_uint_t                       limited;   /* stages charged */
    ngx_table_elt_t                 *ratelimit[2];
    time_t                           retry_after;  /* 0: the default */
    void                            *data;     /* the handler's own */
} ngx_http_dossier_ctx_t;


/* The request's context, made on first use; NULL when out of memory. */
ngx_http_dossier_ctx_t *ngx_http_dossier_ctx(ngx_http_request_t *r);

/* Runs the request's step (as the body handler, or after a wait) and
 * finalizes the request unless it waits again. */
void ngx_http_dossier_resume(ngx_http_request_t *r);

/* Finalizes a request from an event handler (Redis, PostgreSQL, a timer),
 * outside nginx's phases, and runs the requests that posted. */
void ngx_http_dossier_finalize(ngx_http_request_t *r, ngx_int_t rc);

#endif /* NGX_HTTP_DOSSIER_CTX_H */

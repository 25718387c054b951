/*
 * ngx_http_dossier_submit_module: POST /v1/dossiers.
 *
 *   dossier_submit;           location
 *
 * One staged submission (module/core/dg_submission.h) per request, kept in
 * the request context.  The body is read, then every step runs in order;
 * a step that waits (the signature's nonce, the catalog of a worker that
 * has just started, a shared limit) runs ngx_http_dossier_submit_step()
 * again, where every stage already done is passed over: the body is
 * parsed once, each plugin runs once.  The signature's nonce is recorded
 * in this node's memory by authenticate and in Redis by the late limits'
 * script (one round trip for both), or, when they do not go to Redis,
 * by ngx_http_dossier_auth_settle() before any answer.  The answer
 * is sent only once PostgreSQL has committed the dossier.
 *
 *   read body → authenticate → parse → validate (catalog) → plugins
 *   → grants → late limits + nonce → store item and mark the cache
 *   entry → group commit → 201, the cache write following
 *
 * The 201 waits for the commit and for the reply to the cache mark, sent
 * beside the transaction, not for the cache write (its reply only when
 * the mark failed: ngx_http_dossier_cache.h).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_submission.h"
#include "ngx_http_dossier.h"
#include "ngx_http_dossier_auth.h"
#include "ngx_http_dossier_body.h"
#include "ngx_http_dossier_limit.h"
#include "ngx_http_dossier_response.h"
#include "ngx_http_dossier_submission.h"


typedef struct {
    ngx_flag_t                     used;      /* a location submits */
} ngx_http_dossier_submit_main_conf_t;


typedef struct {
    ngx_http_request_t            *request;
    ngx_str_t                      body;
    dg_submission_t                sub;
    ngx_http_dossier_pg_waiter_t   waiter;    /* the first catalog */
    ngx_http_dossier_pg_item_t     item;
    ngx_http_dossier_cache_mark_t  mark;
    ngx_http_dossier_cache_put_t   put;
    u_char                        *value;     /* the new cache entry */
    unsigned                       stored:1;  /* the commit's outcome */
} ngx_http_dossier_submit_ctx_t;


static ngx_int_t ngx_http_dossier_submit_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_dossier_submit_step(ngx_http_request_t *r);
static ngx_int_t ngx_http_dossier_submit_refused(ngx_http_request_t *r,
    dg_submission_t *sub);
static ngx_int_t ngx_http_dossier_submit_queue(ngx_http_request_t *r,
    ngx_http_dossier_submit_ctx_t *sctx);
static void ngx_http_dossier_submit_done(ngx_http_dossier_pg_item_t *item);
static void ngx_http_dossier_submit_marked(
    ngx_http_dossier_cache_mark_t *mark);
static void ngx_http_dossier_submit_answer(
    ngx_http_dossier_submit_ctx_t *sctx);
static void ngx_http_dossier_submit_cached(ngx_http_dossier_cache_put_t *put);
static ngx_int_t ngx_http_dossier_submit_accepted(ngx_http_request_t *r,
    ngx_http_dossier_submit_ctx_t *sctx);
static void ngx_http_dossier_submit_cleanup(void *data);
static char *ngx_http_dossier_submit_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static void *ngx_http_dossier_submit_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_dossier_submit_init_main_conf(ngx_conf_t *cf,
    void *conf);


static ngx_command_t  ngx_http_dossier_submit_commands[] = {

    { ngx_string("dossier_submit"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_submit_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_submit_handler },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_dossier_submit_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_dossier_submit_create_main_conf,
    ngx_http_dossier_submit_init_main_conf,

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_dossier_submit_module = {
    NGX_MODULE_V1,
    &ngx_http_dossier_submit_module_ctx,   /* module context */
    ngx_http_dossier_submit_commands,      /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_dossier_submit_handler(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t             *cln;
    ngx_http_dossier_ctx_t         *ctx;
    ngx_http_dossier_submit_ctx_t  *sctx;

    if (r->method != NGX_HTTP_POST) {
        return ngx_http_dossier_send_not_allowed(r, "POST");
    }

    ctx = ngx_http_dossier_ctx(r);
    sctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dossier_submit_ctx_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (ctx == NULL || sctx == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    sctx->request = r;
    dg_submission_init(&sctx->sub, "");
    cln->handler = ngx_http_dossier_submit_cleanup;
    cln->data = sctx;
    ctx->data = sctx;
    ctx->step = ngx_http_dossier_submit_step;

    return ngx_http_dossier_read_json(r, ngx_http_dossier_resume);
}


/* Every step in order; each returns at once when it was done before. */
static ngx_int_t
ngx_http_dossier_submit_step(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    dg_submission_t                *sub;
    ngx_http_dossier_ctx_t         *ctx;
    ngx_http_dossier_submit_ctx_t  *sctx;

    ctx = ngx_http_dossier_ctx(r);
    sctx = ctx->data;
    sub = &sctx->sub;

    if (sctx->body.data == NULL
        && ngx_http_dossier_body(r, &sctx->body) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the nonce goes with the late limits; settled before any answer */
    ctx->nonce_defer = 1;

    rc = ngx_http_dossier_authenticate(r, &sctx->body);
    if (rc != NGX_OK) {
        return rc;
    }

    if (sub->stage == DG_SUBMISSION_NEW) {
        (void) dg_submission_parse(sub, (const char *) sctx->body.data,
                                   sctx->body.len);
    }

    if (ngx_http_dossier_submission_judge(r, sub) == NGX_AGAIN) {
        /* a worker just started: wait for its catalog, then go on */
        rc = ngx_http_dossier_auth_settle(r);
        return rc == NGX_OK ? ngx_http_dossier_submission_wait(r,
                                                               &sctx->waiter)
                            : rc;
    }

    if (sub->stage == DG_SUBMISSION_REFUSED) {
        rc = ngx_http_dossier_auth_settle(r);
        return rc == NGX_OK ? ngx_http_dossier_submit_refused(r, sub) : rc;
    }

    rc = ngx_http_dossier_limit(r, NGX_HTTP_DOSSIER_LIMIT_LATE,
                                sub->dossier.ma_linh_vuc,
                                sub->dossier.so_giay_to);
    if (rc == NGX_OK) {
        rc = ngx_http_dossier_auth_settle(r);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_dossier_submission_item(r, sub, &sctx->item) != NGX_OK) {
        return ngx_http_dossier_submit_refused(r, sub);
    }

    return ngx_http_dossier_submit_queue(r, sctx);
}


static ngx_int_t
ngx_http_dossier_submit_refused(ngx_http_request_t *r, dg_submission_t *sub)
{
    return ngx_http_dossier_send_problem(r, sub->status, sub->title,
                                         &sub->problems);
}


static ngx_int_t
ngx_http_dossier_submit_queue(ngx_http_request_t *r,
    ngx_http_dossier_submit_ctx_t *sctx)
{
    ngx_int_t                    rc;
    ngx_http_dossier_cache_t    *cache;
    ngx_http_dossier_pg_item_t  *item = &sctx->item;

    item->handler = ngx_http_dossier_submit_done;
    item->data = sctx;

    rc = ngx_http_dossier_pg_submit(ngx_http_dossier_pool(r), item);

    if (rc != NGX_OK) {
        return ngx_http_dossier_send_error(r, rc == NGX_BUSY
                                              ? DG_ERR_STORAGE_SATURATED
                                              : DG_ERR_STORAGE_UNAVAILABLE);
    }

    /* its round trip overlaps the commit */
    cache = ngx_http_dossier_cache(r);

    if (cache) {
        sctx->mark.handler = ngx_http_dossier_submit_marked;
        sctx->mark.data = sctx;
        (void) ngx_http_dossier_cache_mark(cache, &item->ma_ho_so, 1,
                                           &sctx->mark);
    }

    return NGX_DONE;
}


static void
ngx_http_dossier_submit_done(ngx_http_dossier_pg_item_t *item)
{
    ngx_http_dossier_submit_ctx_t  *sctx = item->data;

    ngx_http_dossier_submission_stored(&sctx->sub, item);
    sctx->stored = 1;

    /* built now: the status's strings live only as long as this handler
     * (none when out of memory: then only the mark goes) */
    if (sctx->sub.stage != DG_SUBMISSION_REFUSED
        && sctx->sub.status == NGX_HTTP_CREATED
        && ngx_http_dossier_cache(sctx->request))
    {
        sctx->value = ngx_http_dossier_cache_value(sctx->request->pool,
                                                   &item->status);
    }

    if (sctx->mark.cmd == NULL) {
        ngx_http_dossier_submit_answer(sctx);
    }
}


static void
ngx_http_dossier_submit_marked(ngx_http_dossier_cache_mark_t *mark)
{
    ngx_http_dossier_submit_ctx_t  *sctx = mark->data;

    if (sctx->stored) {
        ngx_http_dossier_submit_answer(sctx);
    }
}


/* Committed and marked: the cache write goes, the answer too (after the
 * write's reply only when there is no sound mark). */
static void
ngx_http_dossier_submit_answer(ngx_http_dossier_submit_ctx_t *sctx)
{
    ngx_http_request_t          *r;
    ngx_http_dossier_cache_t    *cache;
    ngx_http_dossier_pg_item_t  *item = &sctx->item;

    r = sctx->request;
    cache = ngx_http_dossier_cache(r);

    if (cache) {
        sctx->put.handler = ngx_http_dossier_submit_cached;
        sctx->put.data = sctx;

        if (ngx_http_dossier_cache_written(cache, &item->ma_ho_so,
                                           item->status.version, sctx->value,
                                           &sctx->mark, &sctx->put)
            == NGX_AGAIN)
        {
            return;
        }
    }

    ngx_http_dossier_finalize(r,
        sctx->sub.stage == DG_SUBMISSION_REFUSED
        ? ngx_http_dossier_submit_refused(r, &sctx->sub)
        : ngx_http_dossier_submit_accepted(r, sctx));
}


static void
ngx_http_dossier_submit_cached(ngx_http_dossier_cache_put_t *put)
{
    ngx_http_request_t             *r;
    ngx_http_dossier_submit_ctx_t  *sctx = put->data;

    r = sctx->request;

    ngx_http_dossier_finalize(r, ngx_http_dossier_submit_accepted(r, sctx));
}


/* 201 (or 200 for a retry) with Location and the acceptance view. */
static ngx_int_t
ngx_http_dossier_submit_accepted(ngx_http_request_t *r,
    ngx_http_dossier_submit_ctx_t *sctx)
{
    char             *json;
    u_char           *p;
    ngx_int_t         rc;
    ngx_uint_t        i;
    ngx_str_t        *code = &sctx->item.ma_ho_so;
    dg_status_t       view;
    ngx_table_elt_t  *location;

    /* MaHoSo may hold '/', the only one of its characters a path needs
     * escaped.  A plain header, not headers_out.location, which nginx would
     * make absolute: the contract's Location is the path. */
    location = ngx_http_dossier_add_header(r, "Location", NULL);
    p = ngx_pnalloc(r->pool, sizeof("/v1/dossiers/") - 1 + 3 * code->len);
    if (location == NULL || p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    location->value.data = p;

    p = ngx_cpymem(p, "/v1/dossiers/", sizeof("/v1/dossiers/") - 1);

    for (i = 0; i < code->len; i++) {
        if (code->data[i] == '/') {
            p = ngx_cpymem(p, "%2F", 3);

        } else {
            *p++ = code->data[i];
        }
    }

    location->value.len = p - location->value.data;

    view = sctx->item.status;
    view.id = sctx->sub.id;
    view.ma_ho_so = (const char *) code->data;

    json = dg_status_json(&view, DG_STATUS_VIEW_ACCEPTED);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_dossier_send_json(r, sctx->sub.status, (u_char *) json,
                                    ngx_strlen(json));
    free(json);

    return rc;
}


static void
ngx_http_dossier_submit_cleanup(void *data)
{
    ngx_http_dossier_submit_ctx_t  *sctx = data;

    ngx_http_dossier_pg_wait_cancel(&sctx->waiter);
    ngx_http_dossier_pg_cancel(&sctx->item);
    ngx_http_dossier_cache_mark_cancel(&sctx->mark);
    ngx_http_dossier_cache_put_cancel(&sctx->put);
    dg_submission_free(&sctx->sub);
}


static char *
ngx_http_dossier_submit_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dossier_submit_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_dossier_submit_module);
    smcf->used = 1;

    return ngx_http_dossier_set_handler(cf, cmd, conf);
}


static void *
ngx_http_dossier_submit_create_main_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_dossier_submit_main_conf_t));
}


static char *
ngx_http_dossier_submit_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_dossier_submit_main_conf_t  *smcf = conf;

    return ngx_http_dossier_needs_pg(cf, smcf->used, "dossier_submit");
}

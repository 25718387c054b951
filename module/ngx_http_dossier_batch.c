/*
 * ngx_http_dossier_batch_module: POST /v1/dossiers/batch (CONTRACT.md
 * section 6).
 *
 *   dossier_batch;                  location
 *   dossier_batch_max_body 8m;      http, server, location
 *
 * One signature covers the whole body; each dossier of "data" is then a
 * staged submission of its own (module/core/dg_batch.h), judged as if it
 * came alone: the same rules, plugins, grants and limits (each item
 * counts as one submission; the address limits count requests, as they
 * are charged before the body is read).  The accepted items go to
 * PostgreSQL as one group: one transaction, counted item by item by the
 * admission control.  The answer, 200 with one result per item, is sent
 * once that transaction is committed (and the new items are in the
 * cache); when storage is unavailable the whole batch is 503.
 *
 *   read body → authenticate → parse → per item: validate (catalog),
 *   plugins, grants → per-item limits → store items → one group commit
 *   → cache → 200 {"results": [...]}
 *
 * dossier_batch_max_body is the location's client_max_body_size (it
 * replaces one set there): a batch of 100 dossiers needs more than the
 * 1 MiB of a single one.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_batch.h"
#include "ngx_http_dossier.h"
#include "ngx_http_dossier_auth.h"
#include "ngx_http_dossier_body.h"
#include "ngx_http_dossier_limit.h"
#include "ngx_http_dossier_response.h"
#include "ngx_http_dossier_submission.h"


#if (DG_BATCH_MAX_ITEMS > NGX_HTTP_DOSSIER_PG_GROUP_MAX)
#error "a batch must fit into one PostgreSQL group"
#endif


typedef struct {
    ngx_flag_t                      used;     /* a location takes batches */
} ngx_http_dossier_batch_main_conf_t;


typedef struct {
    ngx_flag_t                      batch;
    size_t                          max_body;
} ngx_http_dossier_batch_loc_conf_t;


/* What the request keeps of one dossier, beside its submission. */
typedef struct {
    dg_submission_t                *sub;
    ngx_http_dossier_pg_item_t      item;
    ngx_http_dossier_cache_put_t    put;
    u_char                         *value;    /* its new cache entry */
} ngx_http_dossier_batch_item_t;


typedef struct {
    ngx_http_request_t             *request;
    ngx_str_t                       body;
    dg_batch_t                      batch;
    ngx_http_dossier_batch_item_t  *items;      /* batch.n */
    ngx_http_dossier_limit_item_t  *limits;     /* the items charged */
    ngx_uint_t                      nlimits;
    ngx_http_dossier_pg_item_t    **queued;     /* the group's items */
    ngx_http_dossier_pg_group_t     group;
    ngx_http_dossier_pg_waiter_t    waiter;     /* the first catalog */
    ngx_http_dossier_cache_mark_t   mark;       /* the group's MaHoSo */
    ngx_uint_t                      puts;       /* cache writes awaited */
    time_t                          retry_after; /* the longest wait of
                                                    an item refused 429 */
    unsigned                        parsed:1;
    unsigned                        stored:1;   /* the group's outcome */
    unsigned                        down:1;     /* storage failed */
} ngx_http_dossier_batch_ctx_t;


static ngx_int_t ngx_http_dossier_batch_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_dossier_batch_step(ngx_http_request_t *r);
static ngx_int_t ngx_http_dossier_batch_parse(ngx_http_request_t *r,
    ngx_http_dossier_batch_ctx_t *bctx);
static ngx_int_t ngx_http_dossier_batch_limit(ngx_http_request_t *r,
    ngx_http_dossier_batch_ctx_t *bctx);
static ngx_int_t ngx_http_dossier_batch_store(ngx_http_request_t *r,
    ngx_http_dossier_batch_ctx_t *bctx);
static void ngx_http_dossier_batch_stored(ngx_http_dossier_pg_group_t *g);
static void ngx_http_dossier_batch_marked(
    ngx_http_dossier_cache_mark_t *mark);
static void ngx_http_dossier_batch_written(
    ngx_http_dossier_batch_ctx_t *bctx);
static void ngx_http_dossier_batch_cached(ngx_http_dossier_cache_put_t *put);
static ngx_int_t ngx_http_dossier_batch_answer(ngx_http_request_t *r,
    ngx_http_dossier_batch_ctx_t *bctx);
static void ngx_http_dossier_batch_cleanup(void *data);
static char *ngx_http_dossier_batch_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static void *ngx_http_dossier_batch_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_dossier_batch_init_main_conf(ngx_conf_t *cf,
    void *conf);
static void *ngx_http_dossier_batch_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_dossier_batch_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);


static ngx_command_t  ngx_http_dossier_batch_commands[] = {

    { ngx_string("dossier_batch"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_batch_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_batch_handler },

    { ngx_string("dossier_batch_max_body"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dossier_batch_loc_conf_t, max_body),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_dossier_batch_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_dossier_batch_create_main_conf,
    ngx_http_dossier_batch_init_main_conf,

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_dossier_batch_create_loc_conf,
    ngx_http_dossier_batch_merge_loc_conf
};


ngx_module_t  ngx_http_dossier_batch_module = {
    NGX_MODULE_V1,
    &ngx_http_dossier_batch_module_ctx,    /* module context */
    ngx_http_dossier_batch_commands,       /* module directives */
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
ngx_http_dossier_batch_handler(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_dossier_ctx_t        *ctx;
    ngx_http_dossier_batch_ctx_t  *bctx;

    if (r->method != NGX_HTTP_POST) {
        return ngx_http_dossier_send_not_allowed(r, "POST");
    }

    ctx = ngx_http_dossier_ctx(r);
    bctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dossier_batch_ctx_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (ctx == NULL || bctx == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    bctx->request = r;
    dg_batch_init(&bctx->batch);
    cln->handler = ngx_http_dossier_batch_cleanup;
    cln->data = bctx;
    ctx->data = bctx;
    ctx->step = ngx_http_dossier_batch_step;

    return ngx_http_dossier_read_json(r, ngx_http_dossier_resume);
}


/* Every step in order; each returns at once when it was done before. */
static ngx_int_t
ngx_http_dossier_batch_step(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_uint_t                     i, wait;
    dg_batch_t                    *b;
    ngx_http_dossier_batch_ctx_t  *bctx;

    bctx = ngx_http_dossier_ctx(r)->data;
    b = &bctx->batch;

    if (bctx->body.data == NULL
        && ngx_http_dossier_body(r, &bctx->body) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_dossier_authenticate(r, &bctx->body);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_dossier_batch_parse(r, bctx);
    if (rc != NGX_OK) {
        return rc;
    }

    wait = 0;

    for (i = 0; i < b->n; i++) {
        if (ngx_http_dossier_submission_judge(r, &b->items[i].sub)
            == NGX_AGAIN)
        {
            wait = 1;
        }
    }

    if (wait) {
        /* a worker just started: wait for its catalog, then go on */
        return ngx_http_dossier_submission_wait(r, &bctx->waiter);
    }

    rc = ngx_http_dossier_batch_limit(r, bctx);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_dossier_batch_store(r, bctx);
}


/* The whole batch refused (400, 422), or its items, once. */
static ngx_int_t
ngx_http_dossier_batch_parse(ngx_http_request_t *r,
    ngx_http_dossier_batch_ctx_t *bctx)
{
    dg_batch_t  *b = &bctx->batch;

    if (bctx->parsed) {
        return NGX_OK;
    }

    bctx->parsed = 1;

    if (dg_batch_parse(b, (const char *) bctx->body.data, bctx->body.len)
        != 0)
    {
        return ngx_http_dossier_send_problem(r, b->status, b->title,
                                             &b->problems);
    }

    bctx->items = ngx_pcalloc(r->pool,
                              b->n * sizeof(ngx_http_dossier_batch_item_t));
    bctx->limits = ngx_pcalloc(r->pool,
                               b->n * sizeof(ngx_http_dossier_limit_item_t));
    bctx->queued = ngx_pcalloc(r->pool,
                               b->n * sizeof(ngx_http_dossier_pg_item_t *));

    if (bctx->items == NULL || bctx->limits == NULL || bctx->queued == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/* Each allowed item as one submission for every limit; a refused item is
 * 429 alone. */
static ngx_int_t
ngx_http_dossier_batch_limit(ngx_http_request_t *r,
    ngx_http_dossier_batch_ctx_t *bctx)
{
    ngx_int_t                       rc;
    ngx_uint_t                      i;
    dg_submission_t                *sub;
    ngx_http_dossier_limit_item_t  *li;

    if (bctx->nlimits == 0) {
        for (i = 0; i < bctx->batch.n; i++) {
            sub = &bctx->batch.items[i].sub;

            if (sub->stage == DG_SUBMISSION_ALLOWED) {
                li = &bctx->limits[bctx->nlimits++];
                li->sector = sub->dossier.ma_linh_vuc;
                li->citizen = sub->dossier.so_giay_to;
                li->data = sub;
            }
        }
    }

    rc = ngx_http_dossier_limit_items(r, bctx->limits, bctx->nlimits);
    if (rc != NGX_OK) {
        return rc;
    }

    for (i = 0; i < bctx->nlimits; i++) {
        li = &bctx->limits[i];
        sub = li->data;

        if (li->refused && sub->stage == DG_SUBMISSION_ALLOWED) {
            (void) dg_submission_refuse(sub, DG_ERR_RATE_LIMITED, li->limit,
                                        (int) ngx_max(li->retry_after, 1));
            bctx->retry_after = ngx_max(bctx->retry_after, li->retry_after);
        }
    }

    return NGX_OK;
}


/* The allowed items to PostgreSQL as one group. */
static ngx_int_t
ngx_http_dossier_batch_store(ngx_http_request_t *r,
    ngx_http_dossier_batch_ctx_t *bctx)
{
    ngx_int_t                       rc;
    ngx_str_t                      *codes;
    ngx_uint_t                      i, n;
    dg_batch_t                     *b = &bctx->batch;
    ngx_http_dossier_pg_t          *pool;
    ngx_http_dossier_cache_t       *cache;
    ngx_http_dossier_batch_item_t  *bi;

    n = 0;

    for (i = 0; i < b->n; i++) {
        bi = &bctx->items[i];
        bi->sub = &b->items[i].sub;
        bi->item.data = bi;

        if (bi->sub->stage == DG_SUBMISSION_ALLOWED
            && ngx_http_dossier_submission_item(r, bi->sub, &bi->item)
               == NGX_OK)
        {
            bctx->queued[n++] = &bi->item;
        }
    }

    if (n == 0) {
        return ngx_http_dossier_batch_answer(r, bctx);
    }

    bctx->group.items = bctx->queued;
    bctx->group.nitems = n;
    bctx->group.handler = ngx_http_dossier_batch_stored;
    bctx->group.data = bctx;

    pool = ngx_http_dossier_pool(r);
    rc = pool ? ngx_http_dossier_pg_submit_group(pool, &bctx->group)
              : NGX_DECLINED;

    switch (rc) {

    case NGX_OK:
        /* the marks' round trip overlaps the commit */
        cache = ngx_http_dossier_cache(r);
        codes = cache ? ngx_palloc(r->pool, n * sizeof(ngx_str_t)) : NULL;

        if (codes) {
            for (i = 0; i < n; i++) {
                codes[i] = bctx->queued[i]->ma_ho_so;
            }

            bctx->mark.handler = ngx_http_dossier_batch_marked;
            bctx->mark.data = bctx;
            (void) ngx_http_dossier_cache_mark(cache, codes, n, &bctx->mark);
        }

        return NGX_DONE;

    case NGX_BUSY:
        /* every item over the queue or its sector's share: 503 each */
        for (i = 0; i < n; i++) {
            bi = bctx->queued[i]->data;
            ngx_http_dossier_submission_stored(bi->sub, &bi->item);
        }

        return ngx_http_dossier_batch_answer(r, bctx);

    case NGX_DECLINED:
        return ngx_http_dossier_send_error(r, DG_ERR_STORAGE_UNAVAILABLE);

    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
}


/* The group's transaction is done: each item's outcome, or the whole
 * batch 503 when storage failed (nothing of it was stored, or a retry
 * returns what was). */
static void
ngx_http_dossier_batch_stored(ngx_http_dossier_pg_group_t *g)
{
    ngx_uint_t                      i;
    ngx_http_request_t             *r;
    ngx_http_dossier_batch_ctx_t   *bctx = g->data;
    ngx_http_dossier_batch_item_t  *bi;

    r = bctx->request;
    bctx->stored = 1;

    for (i = 0; i < g->nitems; i++) {
        if (g->items[i]->outcome == NGX_HTTP_DOSSIER_UNAVAILABLE) {
            bctx->down = 1;
        }
    }

    for (i = 0; !bctx->down && i < g->nitems; i++) {
        bi = g->items[i]->data;

        ngx_http_dossier_submission_stored(bi->sub, &bi->item);

        /* needed unless the marks are set (still awaited: maybe), and
         * built now: the status's strings live only as long as this
         * handler */
        if (bi->sub->status == NGX_HTTP_CREATED && !bctx->mark.held
            && ngx_http_dossier_cache(r))
        {
            bi->value = ngx_http_dossier_cache_value(r->pool,
                                                     &bi->item.status);
        }
    }

    if (bctx->mark.cmd == NULL) {
        ngx_http_dossier_batch_written(bctx);
    }
}


static void
ngx_http_dossier_batch_marked(ngx_http_dossier_cache_mark_t *mark)
{
    ngx_http_dossier_batch_ctx_t  *bctx = mark->data;

    if (bctx->stored) {
        ngx_http_dossier_batch_written(bctx);
    }
}


/*
 * Committed and marked: the answer.  With the group's marks set nothing is
 * written to the cache: the marks hide the entries until they expire
 * (dg_cache.h) and lookups fill them from PostgreSQL, which spares Redis
 * a write per item.  Without marks each item's write goes, and the answer
 * waits for them (only the marks go when storage failed).
 */
static void
ngx_http_dossier_batch_written(ngx_http_dossier_batch_ctx_t *bctx)
{
    ngx_uint_t                      i;
    ngx_http_request_t             *r;
    ngx_http_dossier_cache_t       *cache;
    ngx_http_dossier_pg_group_t    *g = &bctx->group;
    ngx_http_dossier_batch_item_t  *bi;

    r = bctx->request;
    cache = ngx_http_dossier_cache(r);

    for (i = 0; cache && !bctx->mark.held && i < g->nitems; i++) {
        bi = g->items[i]->data;

        bi->put.handler = ngx_http_dossier_batch_cached;
        bi->put.data = bctx;

        if (ngx_http_dossier_cache_written(cache, &bi->item.ma_ho_so,
                                           bi->item.status.version,
                                           bi->value, &bctx->mark, &bi->put)
            == NGX_AGAIN)
        {
            bctx->puts++;
        }
    }

    if (bctx->down) {
        /* nothing of it was stored, or a retry returns what was */
        ngx_http_dossier_finalize(r,
            ngx_http_dossier_send_error(r, DG_ERR_STORAGE_UNAVAILABLE));
        return;
    }

    if (bctx->puts == 0) {
        ngx_http_dossier_finalize(r, ngx_http_dossier_batch_answer(r, bctx));
    }
}


static void
ngx_http_dossier_batch_cached(ngx_http_dossier_cache_put_t *put)
{
    ngx_http_dossier_batch_ctx_t  *bctx = put->data;

    if (--bctx->puts == 0) {
        ngx_http_dossier_finalize(bctx->request,
            ngx_http_dossier_batch_answer(bctx->request, bctx));
    }
}


static ngx_int_t
ngx_http_dossier_batch_answer(ngx_http_request_t *r,
    ngx_http_dossier_batch_ctx_t *bctx)
{
    char        *json;
    time_t       retry;
    ngx_int_t    rc;
    ngx_uint_t   i;
    dg_batch_t  *b = &bctx->batch;

    /* the items refused 429 or 503 say when to send them again, as their
     * own answers would: the longest of their waits */
    retry = 0;

    for (i = 0; i < b->n; i++) {
        if (b->items[i].sub.status == NGX_HTTP_TOO_MANY_REQUESTS) {
            retry = ngx_max(retry, ngx_max(bctx->retry_after, 1));

        } else if (b->items[i].sub.status == NGX_HTTP_SERVICE_UNAVAILABLE) {
            retry = ngx_max(retry, ngx_http_dossier_retry_default(r));
        }
    }

    if (retry > 0 && ngx_http_dossier_retry_after(r, retry) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    json = dg_batch_results_json(b);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_dossier_send_json(r, NGX_HTTP_OK, (u_char *) json,
                                    ngx_strlen(json));
    free(json);

    return rc;
}


static void
ngx_http_dossier_batch_cleanup(void *data)
{
    ngx_http_dossier_batch_ctx_t  *bctx = data;

    ngx_uint_t  i;

    ngx_http_dossier_pg_wait_cancel(&bctx->waiter);

    if (bctx->group.items) {
        ngx_http_dossier_pg_cancel_group(&bctx->group);
    }

    ngx_http_dossier_cache_mark_cancel(&bctx->mark);

    for (i = 0; bctx->items && i < bctx->batch.n; i++) {
        ngx_http_dossier_cache_put_cancel(&bctx->items[i].put);
    }

    dg_batch_free(&bctx->batch);
}


static char *
ngx_http_dossier_batch_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dossier_batch_loc_conf_t   *blcf = conf;
    ngx_http_dossier_batch_main_conf_t  *bmcf;

    bmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_dossier_batch_module);
    bmcf->used = 1;
    blcf->batch = 1;

    return ngx_http_dossier_set_handler(cf, cmd, conf);
}


static void *
ngx_http_dossier_batch_create_main_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_dossier_batch_main_conf_t));
}


static char *
ngx_http_dossier_batch_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_dossier_batch_main_conf_t  *bmcf = conf;

    return ngx_http_dossier_needs_pg(cf, bmcf->used, "dossier_batch");
}


static void *
ngx_http_dossier_batch_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_dossier_batch_loc_conf_t  *blcf;

    blcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_dossier_batch_loc_conf_t));
    if (blcf == NULL) {
        return NULL;
    }

    blcf->max_body = NGX_CONF_UNSET_SIZE;

    return blcf;
}


/* The core module's locations are merged before ours: the batch
 * location's body limit is set over what it inherited. */
static char *
ngx_http_dossier_batch_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_dossier_batch_loc_conf_t  *prev = parent;
    ngx_http_dossier_batch_loc_conf_t  *conf = child;

    ngx_http_core_loc_conf_t  *clcf;

    ngx_conf_merge_size_value(conf->max_body, prev->max_body,
                              8 * 1024 * 1024);

    if (conf->max_body == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"dossier_batch_max_body\" "
                           "must be greater than zero");
        return NGX_CONF_ERROR;
    }

    if (conf->batch) {
        clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
        clcf->client_max_body_size = conf->max_body;
    }

    return NGX_CONF_OK;
}

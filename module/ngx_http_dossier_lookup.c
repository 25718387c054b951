/*
 * ngx_http_dossier_lookup_module: /v1/dossiers/{MaHoSo}, GET (or HEAD) its
 * status; POST .../progress goes to ngx_http_dossier_progress.c.
 *
 *   dossier_resource;         location
 *
 * A lookup asks Redis first.  On a miss it asks PostgreSQL, and every
 * lookup of the same code that misses while that query runs in this
 * worker waits for the same answer (one query, not a stampede); the
 * answer then fills the cache, an unknown code with a short-lived
 * negative entry.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_dossier.h"
#include "ngx_http_dossier.h"
#include "ngx_http_dossier_auth.h"
#include "ngx_http_dossier_limit.h"
#include "ngx_http_dossier_progress.h"
#include "ngx_http_dossier_response.h"


#define NGX_HTTP_DOSSIER_STATUS_SQL                                          \
    "SELECT * FROM dossier_status WHERE ma_ho_so = $1"


/* Per worker: the lookups under way in PostgreSQL, by MaHoSo. */
typedef struct {
    ngx_rbtree_t                   fetches;
    ngx_rbtree_node_t              sentinel;
} ngx_http_dossier_lookup_main_conf_t;


typedef struct {
    ngx_str_node_t                 sn;          /* keyed by MaHoSo */
    ngx_queue_t                    waiters;
    ngx_http_dossier_lookup_main_conf_t  *lmcf;
    ngx_http_dossier_cache_t      *cache;
    long long                      gen;         /* its cache read's */
    ngx_http_dossier_pg_query_t    query;
} ngx_http_dossier_fetch_t;


typedef struct {
    ngx_http_request_t            *request;
    ngx_str_t                      code;        /* decoded, NUL-ended */
    ngx_http_dossier_cache_get_t   get;
    ngx_http_dossier_fetch_t      *fetch;
    ngx_queue_t                    waiting;
} ngx_http_dossier_lookup_ctx_t;


static ngx_int_t ngx_http_dossier_resource_handler(ngx_http_request_t *r);

static ngx_int_t ngx_http_dossier_lookup_code(ngx_http_request_t *r,
    ngx_str_t *code, ngx_uint_t *progress);
static ngx_int_t ngx_http_dossier_lookup_start(ngx_http_request_t *r);
static void ngx_http_dossier_lookup_cached(ngx_http_dossier_cache_get_t *get,
    dg_cache_result_e rc, dg_cache_entry_t *e);
static ngx_int_t ngx_http_dossier_lookup_fetch(
    ngx_http_dossier_lookup_ctx_t *ctx, long long gen);
static void ngx_http_dossier_lookup_fetched(ngx_http_dossier_pg_query_t *q,
    PGresult *res);
static ngx_int_t ngx_http_dossier_lookup_answer(ngx_http_request_t *r,
    ngx_uint_t status, const char *json, size_t len, const char *sector,
    size_t sector_len, const char *owner, size_t owner_len);
static void ngx_http_dossier_lookup_cleanup(void *data);
static void *ngx_http_dossier_lookup_create_main_conf(ngx_conf_t *cf);
static ngx_int_t ngx_http_dossier_lookup_init_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_dossier_lookup_commands[] = {

    { ngx_string("dossier_resource"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_set_handler,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_resource_handler },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_dossier_lookup_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_dossier_lookup_create_main_conf,
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_dossier_lookup_module = {
    NGX_MODULE_V1,
    &ngx_http_dossier_lookup_module_ctx,   /* module context */
    ngx_http_dossier_lookup_commands,      /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_dossier_lookup_init_process,  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_dossier_resource_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_str_t                       code;
    ngx_uint_t                      progress;
    ngx_pool_cleanup_t             *cln;
    ngx_http_dossier_lookup_ctx_t  *ctx;

    if (ngx_http_dossier_lookup_code(r, &code, &progress) != NGX_OK) {
        ngx_http_dossier_discard_body(r);
        return ngx_http_dossier_send_error(r, DG_ERR_NO_DOSSIER);
    }

    if (progress) {
        if (r->method != NGX_HTTP_POST) {
            return ngx_http_dossier_send_not_allowed(r, "POST");
        }

        return ngx_http_dossier_progress_handler(r, &code);
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_dossier_send_not_allowed(r, "GET, HEAD");
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dossier_lookup_ctx_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (ctx == NULL || cln == NULL || ngx_http_dossier_ctx(r) == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ctx->code = code;
    ctx->get.handler = ngx_http_dossier_lookup_cached;
    ctx->get.data = ctx;
    cln->handler = ngx_http_dossier_lookup_cleanup;
    cln->data = ctx;
    ngx_http_dossier_ctx(r)->data = ctx;
    ngx_http_dossier_ctx(r)->step = ngx_http_dossier_lookup_start;

    rc = ngx_http_dossier_lookup_start(r);

    /* every answer after this one comes from an event */
    if (rc == NGX_DONE) {
        r->main->count++;
    }

    return rc;
}


/* Who asks, then Redis, then PostgreSQL. */
static ngx_int_t
ngx_http_dossier_lookup_start(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_http_dossier_ctx_t         *dctx;
    ngx_http_dossier_cache_t       *cache;
    ngx_http_dossier_lookup_ctx_t  *ctx;

    rc = ngx_http_dossier_authenticate(r, NULL);
    if (rc != NGX_OK) {
        return rc;
    }

    dctx = ngx_http_dossier_ctx(r);

    rc = ngx_http_dossier_limit(r, NGX_HTTP_DOSSIER_LIMIT_LATE, NULL,
                                dctx->caller.kind == DG_CALLER_CITIZEN
                                ? dctx->caller.subject : NULL);
    if (rc != NGX_OK) {
        return rc;
    }

    cache = ngx_http_dossier_cache(r);
    ctx = dctx->data;

    if (cache
        && ngx_http_dossier_cache_get(cache, &ctx->code, &ctx->get) == NGX_OK)
    {
        return NGX_DONE;
    }

    return ngx_http_dossier_lookup_fetch(ctx, -1);
}


/*
 * The code is the rest of the raw path after the location's prefix,
 * percent-decoded (MaHoSo may hold '/', sent as %2F), optionally followed
 * by "/progress".  NGX_DECLINED when it cannot be a MaHoSo.
 */
static ngx_int_t
ngx_http_dossier_lookup_code(ngx_http_request_t *r, ngx_str_t *code,
    ngx_uint_t *progress)
{
    u_char                    *p, *last, *dst;
    size_t                     len;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    p = r->unparsed_uri.data;
    last = ngx_strlchr(p, p + r->unparsed_uri.len, '?');
    if (last == NULL) {
        last = p + r->unparsed_uri.len;
    }

    if ((size_t) (last - p) <= clcf->name.len
        || ngx_strncmp(p, clcf->name.data, clcf->name.len) != 0)
    {
        return NGX_DECLINED;
    }

    p += clcf->name.len;
    len = sizeof("/progress") - 1;
    *progress = 0;

    if ((size_t) (last - p) > len
        && ngx_strncmp(last - len, "/progress", len) == 0)
    {
        *progress = 1;
        last -= len;
    }

    dst = ngx_pnalloc(r->pool, last - p + 1);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    code->data = dst;
    ngx_unescape_uri(&dst, &p, last - p, 0);
    code->len = dst - code->data;
    *dst = '\0';

    if (code->len == 0 || code->len > DG_MAHOSO_MAX) {
        return NGX_DECLINED;
    }

    for (p = code->data; p < dst; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z')
              || (*p >= 'a' && *p <= 'z') || *p == '.' || *p == '_'
              || *p == '-' || *p == '/'))
        {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static void
ngx_http_dossier_lookup_cached(ngx_http_dossier_cache_get_t *get,
    dg_cache_result_e rc, dg_cache_entry_t *e)
{
    ngx_int_t                       status;
    ngx_http_dossier_lookup_ctx_t  *ctx = get->data;
    ngx_http_request_t             *r = ctx->request;

    switch (rc) {

    case DG_CACHE_HIT:
        ngx_http_dossier_finalize(r,
            ngx_http_dossier_lookup_answer(r, NGX_HTTP_OK, e->json,
                                           e->json_len, e->sector,
                                           e->sector_len, e->owner,
                                           e->owner_len));
        return;

    case DG_CACHE_UNKNOWN:
        ngx_http_dossier_finalize(r,
            ngx_http_dossier_lookup_answer(r, NGX_HTTP_NOT_FOUND, NULL, 0,
                                           NULL, 0, NULL, 0));
        return;

    default:
        status = ngx_http_dossier_lookup_fetch(ctx, e->gen);
        if (status != NGX_DONE) {
            ngx_http_dossier_finalize(r, status);
        }
    }
}


/* Joins the query for this code already under way, or starts one whose
 * answer fills the cache in gen, the generation of the cache read before
 * (-1: none). */
static ngx_int_t
ngx_http_dossier_lookup_fetch(ngx_http_dossier_lookup_ctx_t *ctx,
    long long gen)
{
    uint32_t                              hash;
    ngx_int_t                             rc;
    ngx_http_request_t                   *r = ctx->request;
    ngx_http_dossier_pg_t                *pool;
    ngx_http_dossier_fetch_t             *fetch;
    ngx_http_dossier_lookup_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_lookup_module);
    pool = ngx_http_dossier_pool(r);

    if (pool == NULL) {
        return ngx_http_dossier_send_error(r, DG_ERR_STORAGE_UNAVAILABLE);
    }

    hash = ngx_crc32_short(ctx->code.data, ctx->code.len);
    fetch = (ngx_http_dossier_fetch_t *)
                ngx_str_rbtree_lookup(&lmcf->fetches, &ctx->code, hash);

    if (fetch == NULL) {
        fetch = ngx_calloc(sizeof(ngx_http_dossier_fetch_t)
                           + ctx->code.len + 1, r->connection->log);
        if (fetch == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        fetch->sn.str.data = (u_char *) (fetch + 1);
        fetch->sn.str.len = ctx->code.len;
        ngx_memcpy(fetch->sn.str.data, ctx->code.data, ctx->code.len + 1);
        fetch->sn.node.key = hash;
        fetch->lmcf = lmcf;
        fetch->cache = ngx_http_dossier_cache(r);
        fetch->gen = gen;
        ngx_queue_init(&fetch->waiters);

        fetch->query.sql = NGX_HTTP_DOSSIER_STATUS_SQL;
        fetch->query.nparams = 1;
        fetch->query.params[0] = (char *) fetch->sn.str.data;
        fetch->query.handler = ngx_http_dossier_lookup_fetched;
        fetch->query.data = fetch;

        rc = ngx_http_dossier_pg_query(pool, &fetch->query);

        if (rc != NGX_OK) {
            ngx_free(fetch);
            return ngx_http_dossier_send_error(r, DG_ERR_STORAGE_UNAVAILABLE);
        }

        ngx_rbtree_insert(&lmcf->fetches, &fetch->sn.node);
    }

    ctx->fetch = fetch;
    ngx_queue_insert_tail(&fetch->waiters, &ctx->waiting);

    return NGX_DONE;
}


static void
ngx_http_dossier_lookup_fetched(ngx_http_dossier_pg_query_t *q,
    PGresult *res)
{
    char                           *json;
    size_t                          len;
    ngx_uint_t                      status;
    dg_status_t                     s;
    ngx_queue_t                    *head;
    ngx_http_request_t             *r;
    ngx_http_dossier_fetch_t       *fetch = q->data;
    ngx_http_dossier_lookup_ctx_t  *ctx;

    ngx_rbtree_delete(&fetch->lmcf->fetches, &fetch->sn.node);

    json = NULL;
    len = 0;
    ngx_memzero(&s, sizeof(dg_status_t));

    if (res == NULL) {
        status = NGX_HTTP_SERVICE_UNAVAILABLE;

    } else if (PQntuples(res) == 0) {
        status = NGX_HTTP_NOT_FOUND;

        if (fetch->cache) {
            ngx_http_dossier_cache_fill(fetch->cache, &fetch->sn.str, NULL,
                                        fetch->gen);
        }

    } else {
        (void) ngx_http_dossier_pg_status(res, 0, 0, &s);
        json = dg_status_json(&s, DG_STATUS_VIEW_LOOKUP);
        status = json ? NGX_HTTP_OK : NGX_HTTP_INTERNAL_SERVER_ERROR;
        len = json ? ngx_strlen(json) : 0;

        if (fetch->cache) {
            ngx_http_dossier_cache_fill(fetch->cache, &fetch->sn.str, &s,
                                        fetch->gen);
        }
    }

    while (!ngx_queue_empty(&fetch->waiters)) {
        head = ngx_queue_head(&fetch->waiters);
        ngx_queue_remove(head);
        ctx = ngx_queue_data(head, ngx_http_dossier_lookup_ctx_t, waiting);
        ctx->fetch = NULL;
        r = ctx->request;

        ngx_http_dossier_finalize(r,
            status == NGX_HTTP_SERVICE_UNAVAILABLE
            ? ngx_http_dossier_send_error(r, DG_ERR_STORAGE_UNAVAILABLE)
            : ngx_http_dossier_lookup_answer(r, status, json, len,
                  s.ma_linh_vuc, s.ma_linh_vuc ? ngx_strlen(s.ma_linh_vuc) : 0,
                  s.owner, s.owner ? ngx_strlen(s.owner) : 0));
    }

    free(json);
    ngx_free(fetch);
}


static ngx_int_t
ngx_http_dossier_lookup_answer(ngx_http_request_t *r, ngx_uint_t status,
    const char *json, size_t len, const char *sector, size_t sector_len,
    const char *owner, size_t owner_len)
{
    ngx_int_t  refusal;

    if (status == NGX_HTTP_OK) {
        refusal = dg_caller_read_refusal(&ngx_http_dossier_ctx(r)->caller,
                                         sector, sector_len, owner,
                                         owner_len);
        status = refusal ? (ngx_uint_t) refusal : NGX_HTTP_OK;
    }

    if (status == NGX_HTTP_FORBIDDEN) {
        return ngx_http_dossier_send_error(r, DG_ERR_READ_SECTOR);
    }

    if (status == NGX_HTTP_NOT_FOUND) {
        return ngx_http_dossier_send_error(r, DG_ERR_NO_DOSSIER);
    }

    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dossier_send_json(r, status, (u_char *) json, len);
}


static void
ngx_http_dossier_lookup_cleanup(void *data)
{
    ngx_http_dossier_lookup_ctx_t  *ctx = data;

    ngx_http_dossier_cache_get_cancel(&ctx->get);

    /* the query goes on for the others waiting, and fills the cache */
    if (ctx->fetch) {
        ngx_queue_remove(&ctx->waiting);
        ctx->fetch = NULL;
    }
}


static void *
ngx_http_dossier_lookup_create_main_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_dossier_lookup_main_conf_t));
}


static ngx_int_t
ngx_http_dossier_lookup_init_process(ngx_cycle_t *cycle)
{
    ngx_http_dossier_lookup_main_conf_t  *lmcf;

    lmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_dossier_lookup_module);
    if (lmcf) {
        ngx_rbtree_init(&lmcf->fetches, &lmcf->sentinel,
                        ngx_str_rbtree_insert_value);
    }

    return NGX_OK;
}

/*
 * POST /v1/dossiers/{MaHoSo}/progress: the processing system moves a
 * dossier forward.
 *
 * The signature's nonce is recorded in Redis with the late limits (or
 * settled before any answer: ngx_http_dossier_auth.h).  The record is
 * checked by the core, then applied by PostgreSQL in one
 * transaction (status, history row, version) under a row lock, against
 * the statuses the core allows the move from.  Once it is applied the
 * cache entry is marked as being written, the writer is answered when the
 * mark is set, and the new entry follows (ngx_http_dossier_cache.h): no
 * reader can see a status older than one already acknowledged.  (Marked
 * after COMMIT, not beside it as a submission is: a refused move then
 * leaves no mark behind; progress is not the hot path.)
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_json.h"
#include "dg_progress.h"
#include "dg_status.h"
#include "ngx_http_dossier.h"
#include "ngx_http_dossier_auth.h"
#include "ngx_http_dossier_body.h"
#include "ngx_http_dossier_limit.h"
#include "ngx_http_dossier_progress.h"
#include "ngx_http_dossier_response.h"


#define NGX_HTTP_DOSSIER_PROGRESS_SQL                                        \
    "SELECT p.outcome, (p.st).* FROM dossier_apply_progress($1, $2, $3,"     \
    " $4, $5, $6, $7, $8::jsonb, $9) p"


typedef struct {
    ngx_http_request_t            *request;
    ngx_str_t                      code;
    ngx_str_t                      body;
    ngx_http_dossier_pg_query_t    query;
    ngx_http_dossier_cache_mark_t  mark;
    ngx_http_dossier_cache_put_t   put;
    u_char                        *json;        /* the answer */
    size_t                         len;
    u_char                        *value;       /* its cache entry */
    long long                      version;
    int                            to;
    unsigned                       querying:1;
} ngx_http_dossier_progress_ctx_t;


static ngx_int_t ngx_http_dossier_progress_step(ngx_http_request_t *r);
static void ngx_http_dossier_progress_applied(ngx_http_dossier_pg_query_t *q,
    PGresult *res);
static ngx_int_t ngx_http_dossier_progress_updated(
    ngx_http_dossier_progress_ctx_t *ctx, PGresult *res);
static void ngx_http_dossier_progress_marked(
    ngx_http_dossier_cache_mark_t *mark);
static ngx_int_t ngx_http_dossier_progress_answer(
    ngx_http_dossier_progress_ctx_t *ctx);
static void ngx_http_dossier_progress_cached(
    ngx_http_dossier_cache_put_t *put);
static void ngx_http_dossier_progress_cleanup(void *data);


ngx_int_t
ngx_http_dossier_progress_handler(ngx_http_request_t *r, ngx_str_t *code)
{
    ngx_pool_cleanup_t               *cln;
    ngx_http_dossier_ctx_t           *dctx;
    ngx_http_dossier_progress_ctx_t  *ctx;

    dctx = ngx_http_dossier_ctx(r);
    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dossier_progress_ctx_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (dctx == NULL || ctx == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ctx->code = *code;
    cln->handler = ngx_http_dossier_progress_cleanup;
    cln->data = ctx;
    dctx->data = ctx;
    dctx->step = ngx_http_dossier_progress_step;

    return ngx_http_dossier_read_json(r, ngx_http_dossier_resume);
}


/* Once the body is in, and after a wait (the nonce, a shared limit): the
 * caller and the limits are each settled once, then the record is parsed
 * and applied. */
static ngx_int_t
ngx_http_dossier_progress_step(ngx_http_request_t *r)
{
    json_t                       *root;
    u_char                       *p;
    ngx_int_t                     rc;
    ngx_str_t                    *body;
    dg_problems_t                 problems;
    dg_progress_t                 rec;
    ngx_http_dossier_ctx_t       *dctx;
    ngx_http_dossier_pg_t        *pool;
    ngx_http_dossier_pg_query_t  *q;

    ngx_http_dossier_progress_ctx_t  *ctx;

    ctx = ngx_http_dossier_ctx(r)->data;
    body = &ctx->body;
    q = &ctx->query;

    if (body->data == NULL && ngx_http_dossier_body(r, body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the nonce goes with the late limits; settled before any answer */
    ngx_http_dossier_ctx(r)->nonce_defer = 1;

    rc = ngx_http_dossier_authenticate(r, body);

    /* progress comes from the processing systems, never from a citizen */
    if (rc == NGX_OK
        && ngx_http_dossier_ctx(r)->caller.kind == DG_CALLER_CITIZEN)
    {
        return ngx_http_dossier_send_error(r, DG_ERR_UPDATE_CITIZEN);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_dossier_limit(r, NGX_HTTP_DOSSIER_LIMIT_LATE, NULL,
                                    NULL);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_dossier_auth_settle(r);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    dg_problems_init(&problems);

    root = dg_json_parse((const char *) body->data, body->len,
                         DG_JSON_MAX_DEPTH, &problems);
    if (root == NULL) {
        rc = ngx_http_dossier_send_problem(r, NGX_HTTP_BAD_REQUEST,
                                           "Malformed request body",
                                           &problems);
        dg_problems_free(&problems);
        return rc;
    }

    rc = dg_progress_validate(root, ngx_time(), &rec, &problems);
    json_decref(root);

    if (rc != 0) {
        rc = ngx_http_dossier_send_problem(r, NGX_HTTP_DOSSIER_UNPROCESSABLE,
                                           "Progress record is invalid",
                                           &problems);
        dg_problems_free(&problems);
        return rc;
    }

    dg_problems_free(&problems);

    pool = ngx_http_dossier_pool(r);
    if (pool == NULL) {
        return ngx_http_dossier_send_error(r, DG_ERR_STORAGE_NOT_CHANGED);
    }

    dctx = ngx_http_dossier_ctx(r);

    /* parameters live in r->pool: one buffer for the numbers */
    p = ngx_pnalloc(r->pool, 2 * NGX_INT_T_LEN + 32 + 2 * NGX_TIME_T_LEN
                             + body->len + 8);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->to = rec.trang_thai;

    q->sql = NGX_HTTP_DOSSIER_PROGRESS_SQL;
    q->nparams = 9;
    q->params[0] = (char *) ctx->code.data;

    q->params[1] = (char *) p;
    p = ngx_sprintf(p, "%d", rec.trang_thai) + 1;
    p[-1] = '\0';

    q->params[2] = (char *) p;
    dg_status_sources(rec.trang_thai, (char *) p, 32);
    p += ngx_strlen(p) + 1;

    q->params[3] = (char *) p;
    p = ngx_sprintf(p, "%T", rec.thoi_diem) + 1;
    p[-1] = '\0';

    q->params[4] = (char *) p;
    p = ngx_sprintf(p, "%T", rec.ngay_tra) + 1;
    p[-1] = '\0';

    q->params[5] = dctx->caller.id;
    q->params[6] = ngx_http_dossier_request_id(r);

    q->params[7] = (char *) p;
    p = ngx_cpymem(p, body->data, body->len);
    *p = '\0';

    q->params[8] = dg_caller_update_sectors(&dctx->caller);

    q->handler = ngx_http_dossier_progress_applied;
    q->data = ctx;

    rc = ngx_http_dossier_pg_query(pool, q);

    if (rc != NGX_OK) {
        return ngx_http_dossier_send_error(r, DG_ERR_STORAGE_NOT_CHANGED);
    }

    ctx->querying = 1;

    return NGX_DONE;
}


static void
ngx_http_dossier_progress_applied(ngx_http_dossier_pg_query_t *q,
    PGresult *res)
{
    int                               from;
    char                              vi[128], en[128];
    ngx_int_t                         rc;
    dg_status_t                       s;
    dg_problems_t                     problems;
    ngx_http_request_t               *r;
    ngx_http_dossier_progress_ctx_t  *ctx = q->data;

    ctx->querying = 0;
    r = ctx->request;

    switch (res && PQntuples(res) == 1 ? ngx_http_dossier_pg_outcome(res, 0, 0)
                                       : DG_OUTCOME_INVALID)
    {

    /* "same": the last record applied, posted again (a retry): answered
     * as when it was applied, with the current view */
    case DG_OUTCOME_UPDATED:
    case DG_OUTCOME_SAME:
        rc = ngx_http_dossier_progress_updated(ctx, res);
        if (rc != NGX_DONE) {
            ngx_http_dossier_finalize(r, rc);
        }

        return;

    case DG_OUTCOME_UNKNOWN:
        ngx_http_dossier_finalize(r,
            ngx_http_dossier_send_error(r, DG_ERR_NO_DOSSIER));
        return;

    case DG_OUTCOME_FORBIDDEN:
        ngx_http_dossier_finalize(r,
            ngx_http_dossier_send_error(r, DG_ERR_UPDATE_SECTOR));
        return;

    case DG_OUTCOME_TRANSITION:
        break;

    default:
        ngx_http_dossier_finalize(r,
            ngx_http_dossier_send_error(r, DG_ERR_STORAGE_NOT_CHANGED));
        return;
    }

    /* the move from the current status is not allowed */
    (void) ngx_http_dossier_pg_status(res, 0, 1, &s);
    from = s.trang_thai;

    ngx_snprintf((u_char *) vi, sizeof(vi),
                 "Hồ sơ ở trạng thái %d không thể chuyển sang trạng thái "
                 "%d%s%Z", from, ctx->to,
                 dg_status_final(from) ? " (đã kết thúc)" : "");
    ngx_snprintf((u_char *) en, sizeof(en),
                 "a dossier in status %d cannot move to status %d%Z", from,
                 ctx->to);

    dg_problems_init(&problems);

    rc = dg_problems_put(&problems, "/TrangThaiHoSo", "transition", vi, en);

    ngx_http_dossier_finalize(r,
        rc == 0 ? ngx_http_dossier_send_problem(r,
                      NGX_HTTP_DOSSIER_UNPROCESSABLE,
                      "Progress record is invalid", &problems)
                : NGX_HTTP_INTERNAL_SERVER_ERROR);

    dg_problems_free(&problems);
}


/* Committed: the mark, then the answer and the new cache entry. */
static ngx_int_t
ngx_http_dossier_progress_updated(ngx_http_dossier_progress_ctx_t *ctx,
    PGresult *res)
{
    char                *json;
    dg_status_t          s;
    ngx_http_request_t  *r = ctx->request;

    (void) ngx_http_dossier_pg_status(res, 0, 1, &s);

    json = dg_status_json(&s, DG_STATUS_VIEW_LOOKUP);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->len = ngx_strlen(json);
    ctx->json = ngx_pnalloc(r->pool, ctx->len);
    if (ctx->json == NULL) {
        free(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(ctx->json, json, ctx->len);
    free(json);

    /* no entry when out of memory: then only the mark goes */
    ctx->value = ngx_http_dossier_cache_value(r->pool, &s);
    ctx->version = s.version;

    ctx->mark.handler = ngx_http_dossier_progress_marked;
    ctx->mark.data = ctx;

    if (ngx_http_dossier_cache(r)
        && ngx_http_dossier_cache_mark(ngx_http_dossier_cache(r), &ctx->code,
                                       1, &ctx->mark)
           == NGX_OK)
    {
        return NGX_DONE;
    }

    return ngx_http_dossier_progress_answer(ctx);
}


static void
ngx_http_dossier_progress_marked(ngx_http_dossier_cache_mark_t *mark)
{
    ngx_int_t                         rc;
    ngx_http_dossier_progress_ctx_t  *ctx = mark->data;

    rc = ngx_http_dossier_progress_answer(ctx);

    if (rc != NGX_DONE) {
        ngx_http_dossier_finalize(ctx->request, rc);
    }
}


static ngx_int_t
ngx_http_dossier_progress_answer(ngx_http_dossier_progress_ctx_t *ctx)
{
    ngx_http_request_t        *r = ctx->request;
    ngx_http_dossier_cache_t  *cache;

    cache = ngx_http_dossier_cache(r);

    ctx->put.handler = ngx_http_dossier_progress_cached;
    ctx->put.data = ctx;

    if (cache
        && ngx_http_dossier_cache_written(cache, &ctx->code, ctx->version,
                                          ctx->value, &ctx->mark, &ctx->put)
           == NGX_AGAIN)
    {
        return NGX_DONE;
    }

    return ngx_http_dossier_send_json(r, NGX_HTTP_OK, ctx->json, ctx->len);
}


static void
ngx_http_dossier_progress_cached(ngx_http_dossier_cache_put_t *put)
{
    ngx_http_dossier_progress_ctx_t  *ctx = put->data;

    ngx_http_dossier_finalize(ctx->request,
        ngx_http_dossier_send_json(ctx->request, NGX_HTTP_OK, ctx->json,
                                   ctx->len));
}


static void
ngx_http_dossier_progress_cleanup(void *data)
{
    ngx_http_dossier_progress_ctx_t  *ctx = data;

    if (ctx->querying) {
        ngx_http_dossier_pg_query_cancel(&ctx->query);
    }

    ngx_http_dossier_cache_mark_cancel(&ctx->mark);
    ngx_http_dossier_cache_put_cancel(&ctx->put);
}

/*
 * POST /v1/dossiers/{MaHoSo}/progress: the processing system moves a
 * dossier forward.
 *
 * The record is checked by the core, then applied by PostgreSQL in one
 * transaction (status, history row, version) under a row lock, against
 * the statuses the core allows the move from.  Only after COMMIT is the
 * cache entry replaced, and only after that is the writer answered: no
 * reader can see a status older than one already acknowledged.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_progress.h"
#include "dg_status.h"
#include "ngx_http_dossier.h"


#define NGX_HTTP_DOSSIER_PROGRESS_SQL                                        \
    "SELECT p.outcome, (p.st).* FROM dossier_apply_progress($1, $2, $3,"     \
    " $4, $5, $6, $7, $8::jsonb, $9) p"


typedef struct {
    ngx_http_request_t            *request;
    ngx_str_t                      code;
    ngx_http_dossier_pg_query_t    query;
    ngx_http_dossier_cache_put_t   put;
    u_char                        *json;        /* the answer */
    size_t                         len;
    int                            to;
    unsigned                       querying:1;
} ngx_http_dossier_progress_ctx_t;


ngx_int_t ngx_http_dossier_progress_handler(ngx_http_request_t *r,
    ngx_str_t *code);

static void ngx_http_dossier_progress_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_dossier_progress_apply(ngx_http_request_t *r,
    ngx_http_dossier_progress_ctx_t *ctx);
static void ngx_http_dossier_progress_applied(ngx_http_dossier_pg_query_t *q,
    PGresult *res);
static ngx_int_t ngx_http_dossier_progress_updated(
    ngx_http_dossier_progress_ctx_t *ctx, PGresult *res);
static void ngx_http_dossier_progress_cached(
    ngx_http_dossier_cache_put_t *put);
static void ngx_http_dossier_progress_finalize(
    ngx_http_dossier_progress_ctx_t *ctx, ngx_int_t rc);
static void ngx_http_dossier_progress_cleanup(void *data);


static ngx_str_t  ngx_http_dossier_json_type = ngx_string("application/json");


ngx_int_t
ngx_http_dossier_progress_handler(ngx_http_request_t *r, ngx_str_t *code)
{
    ngx_pool_cleanup_t               *cln;
    ngx_http_dossier_progress_ctx_t  *ctx;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dossier_progress_ctx_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (ctx == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ctx->code = *code;
    cln->handler = ngx_http_dossier_progress_cleanup;
    cln->data = ctx;

    if (ngx_http_dossier_ctx(r) == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_dossier_ctx(r)->data = ctx;

    return ngx_http_dossier_read_json(r, ngx_http_dossier_progress_body);
}


static void
ngx_http_dossier_progress_body(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_dossier_progress_apply(r, ngx_http_dossier_ctx(r)->data);

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}



static ngx_int_t
ngx_http_dossier_progress_apply(ngx_http_request_t *r,
    ngx_http_dossier_progress_ctx_t *ctx)
{
    json_t                        *root;
    u_char                        *p;
    ngx_int_t                      rc;
    ngx_str_t                      body;
    dg_problems_t                  problems;
    dg_progress_t                  rec;
    ngx_http_dossier_pg_query_t   *q = &ctx->query;
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);

    if (ngx_http_dossier_read_body(r, &body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_dossier_authenticate(r, &body,
                                       ngx_http_dossier_progress_body);
    if (rc == NGX_OK) {
        rc = ngx_http_dossier_limit(r, NGX_HTTP_DOSSIER_LIMIT_LATE, NULL,
                                    NULL, ngx_http_dossier_progress_body);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    dg_problems_init(&problems);

    root = ngx_http_dossier_parse_json(r, &body, &problems, &rc);
    if (root == NULL) {
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

    if (dmcf->pool == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    /* parameters live in r->pool: one buffer for the numbers */
    p = ngx_pnalloc(r->pool, 2 * NGX_INT_T_LEN + 32 + 2 * NGX_TIME_T_LEN
                             + body.len + 8);
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

    q->params[5] = (char *) ngx_http_dossier_ctx(r)->caller.id.data;
    q->params[6] = ngx_http_dossier_request_id(r);

    q->params[7] = (char *) p;
    p = ngx_cpymem(p, body.data, body.len);
    *p = '\0';

    q->params[8] = ngx_http_dossier_update_sectors(r);

    q->handler = ngx_http_dossier_progress_applied;
    q->data = ctx;

    rc = ngx_http_dossier_pg_query(dmcf->pool, q);

    if (rc != NGX_OK) {
        return ngx_http_dossier_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "storage.unavailable",
                   "Cơ sở dữ liệu không khả dụng, chưa cập nhật",
                   "storage unavailable or saturated, nothing was changed; "
                   "retry later");
    }

    ctx->querying = 1;

    return NGX_DONE;
}


static void
ngx_http_dossier_progress_applied(ngx_http_dossier_pg_query_t *q,
    PGresult *res)
{
    char                             *outcome;
    ngx_int_t                         rc;
    dg_status_t                       s;
    dg_problems_t                     problems;
    ngx_http_request_t               *r;
    ngx_http_dossier_progress_ctx_t  *ctx = q->data;

    ctx->querying = 0;
    r = ctx->request;

    if (res == NULL || PQntuples(res) != 1) {
        ngx_http_dossier_progress_finalize(ctx,
            ngx_http_dossier_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                "storage.unavailable",
                "Cơ sở dữ liệu không khả dụng, chưa cập nhật",
                "storage unavailable, nothing was changed; retry later"));
        return;
    }

    outcome = PQgetvalue(res, 0, 0);

    /* "same": the last record applied, posted again (a retry): answered
     * as when it was applied, with the current view */
    if ((outcome[0] == 'u' && outcome[1] == 'p') || outcome[0] == 's') {
        rc = ngx_http_dossier_progress_updated(ctx, res);
        if (rc != NGX_DONE) {
            ngx_http_dossier_progress_finalize(ctx, rc);
        }

        return;
    }

    if (outcome[0] == 'u') {
        ngx_http_dossier_progress_finalize(ctx,
            ngx_http_dossier_send_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                "Không có hồ sơ với mã này", "no dossier has this code"));
        return;
    }

    if (outcome[0] == 'f') {
        ngx_http_dossier_progress_finalize(ctx,
            ngx_http_dossier_send_error(r, NGX_HTTP_FORBIDDEN, "auth.sector",
                "Không được cập nhật hồ sơ của lĩnh vực này",
                "not allowed to update dossiers of this sector"));
        return;
    }

    /* "transition": the move from the current status is not allowed */
    (void) ngx_http_dossier_pg_status(res, 0, 1, &s);
    dg_problems_init(&problems);

    rc = dg_problems_add(&problems, "/TrangThaiHoSo", "transition",
             "Hồ sơ ở trạng thái %d không thể chuyển sang trạng thái %d%s",
             "a dossier in status %d cannot move to status %d%.0s",
             s.trang_thai, ctx->to,
             dg_status_final(s.trang_thai) ? " (đã kết thúc)" : "");

    ngx_http_dossier_progress_finalize(ctx,
        rc == 0 ? ngx_http_dossier_send_problem(r,
                      NGX_HTTP_DOSSIER_UNPROCESSABLE,
                      "Progress record is invalid", &problems)
                : NGX_HTTP_INTERNAL_SERVER_ERROR);

    dg_problems_free(&problems);
}


/* Committed: replace the cache entry, answer when that is done. */
static ngx_int_t
ngx_http_dossier_progress_updated(ngx_http_dossier_progress_ctx_t *ctx,
    PGresult *res)
{
    char                          *json;
    dg_status_t                    s;
    ngx_http_request_t            *r = ctx->request;
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);

    (void) ngx_http_dossier_pg_status(res, 0, 1, &s);

    json = dg_status_json(&s);
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

    ctx->put.handler = ngx_http_dossier_progress_cached;
    ctx->put.data = ctx;

    if (dmcf->cache
        && ngx_http_dossier_cache_put_status(dmcf->cache, &s, &ctx->put)
           == NGX_OK)
    {
        return NGX_DONE;
    }

    return ngx_http_dossier_send(r, NGX_HTTP_OK, &ngx_http_dossier_json_type,
                                 ctx->json, ctx->len);
}


static void
ngx_http_dossier_progress_cached(ngx_http_dossier_cache_put_t *put)
{
    ngx_http_dossier_progress_ctx_t  *ctx = put->data;

    ngx_http_dossier_progress_finalize(ctx,
        ngx_http_dossier_send(ctx->request, NGX_HTTP_OK,
                              &ngx_http_dossier_json_type, ctx->json,
                              ctx->len));
}


static void
ngx_http_dossier_progress_finalize(ngx_http_dossier_progress_ctx_t *ctx,
    ngx_int_t rc)
{
    ngx_connection_t  *c = ctx->request->connection;

    ngx_http_finalize_request(ctx->request, rc);
    ngx_http_run_posted_requests(c);
}


static void
ngx_http_dossier_progress_cleanup(void *data)
{
    ngx_http_dossier_progress_ctx_t  *ctx = data;

    if (ctx->querying) {
        ngx_http_dossier_pg_query_cancel(&ctx->query);
    }

    ngx_http_dossier_cache_put_cancel(&ctx->put);
}

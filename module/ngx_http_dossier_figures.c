/*
 * ngx_http_dossier_figures_module: GET /v1/stats?from=&to=[&sector=], the
 * city's figures (CONTRACT.md section 6; "stats" is the contract's name,
 * ngx_http_dossier_stats.h the metrics counters), from counters per day and
 * sector that the submitting and progress transactions keep
 * (sql/migrations/0004): one query whose cost depends on the days asked,
 * not on the number of dossiers.
 *
 *   dossier_stats;            location
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_stats.h"
#include "ngx_http_dossier.h"
#include "ngx_http_dossier_reader.h"
#include "ngx_http_dossier_response.h"


#define NGX_HTTP_DOSSIER_STATS_SQL                                           \
    "SELECT sector, received, online, resolved, on_time, closed_other,"      \
    " in_progress, overdue, as_of"                                           \
    " FROM dossier_stats_read($1::date, $2::date, $3)"


typedef struct {
    ngx_http_dossier_reader_t      reader;      /* first */
    dg_stats_query_t               q;
} ngx_http_dossier_stats_ctx_t;


static ngx_int_t ngx_http_dossier_stats_handler(ngx_http_request_t *r);

static ngx_int_t ngx_http_dossier_stats_start(ngx_http_request_t *r);
static void ngx_http_dossier_stats_done(ngx_http_dossier_reader_t *rd,
    PGresult *res);
static ngx_int_t ngx_http_dossier_stats_answer(
    ngx_http_dossier_stats_ctx_t *ctx, PGresult *res);


static ngx_str_t  ngx_http_dossier_json_type = ngx_string("application/json");


static ngx_command_t  ngx_http_dossier_figures_commands[] = {

    { ngx_string("dossier_stats"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_set_handler,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_stats_handler },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_dossier_figures_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_dossier_figures_module = {
    NGX_MODULE_V1,
    &ngx_http_dossier_figures_module_ctx, /* module context */
    ngx_http_dossier_figures_commands, /* module directives */
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
ngx_http_dossier_stats_handler(ngx_http_request_t *r)
{
    return ngx_http_dossier_reader_handler(r,
               sizeof(ngx_http_dossier_stats_ctx_t),
               ngx_http_dossier_stats_start, NULL);
}


static ngx_int_t
ngx_http_dossier_stats_start(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    dg_problems_t                  problems;
    ngx_http_dossier_stats_ctx_t  *ctx;
    ngx_http_dossier_pg_query_t   *q;

    rc = ngx_http_dossier_reader_check(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ctx = ngx_http_dossier_ctx(r)->data;
    q = &ctx->reader.query;

    dg_problems_init(&problems);

    if (dg_stats_query_parse((char *) r->args.data, r->args.len,
                             ngx_http_dossier_catalog(r),
                             &ctx->q, &problems)
        != 0)
    {
        rc = ngx_http_dossier_send_problem(r, NGX_HTTP_DOSSIER_UNPROCESSABLE,
                                           "Query is invalid", &problems);
        dg_problems_free(&problems);
        return rc;
    }

    dg_problems_free(&problems);

    /* one sector the caller reads, or every sector it reads */
    if (ctx->q.sector[0]) {
        rc = ngx_http_dossier_reader_may_read(r, ctx->q.sector);
        if (rc != NGX_OK) {
            return rc;
        }

        q->params[2] = ctx->q.sector;

    } else {
        q->params[2] = ngx_http_dossier_reader_sectors(r);

        if (q->params[2][0] == '\0') {
            return ngx_http_dossier_send_error(r, DG_ERR_READER_NO_SECTOR);
        }
    }

    q->sql = NGX_HTTP_DOSSIER_STATS_SQL;
    q->nparams = 3;
    q->params[0] = ctx->q.from;
    q->params[1] = ctx->q.to;

    return ngx_http_dossier_reader_query(&ctx->reader,
                                         ngx_http_dossier_stats_done);
}


static void
ngx_http_dossier_stats_done(ngx_http_dossier_reader_t *rd, PGresult *res)
{
    ngx_http_dossier_finalize(rd->request,
        ngx_http_dossier_stats_answer((ngx_http_dossier_stats_ctx_t *) rd,
                                      res));
}


static ngx_int_t
ngx_http_dossier_stats_answer(ngx_http_dossier_stats_ctx_t *ctx,
    PGresult *res)
{
    int                  i, n;
    char                *json;
    time_t               as_of;
    ngx_int_t            rc;
    dg_stats_row_t      *rows, *row;
    ngx_http_request_t  *r = ctx->reader.request;

    n = PQntuples(res);

    rows = ngx_palloc(r->pool, (n ? n : 1) * sizeof(dg_stats_row_t));
    if (rows == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    as_of = n ? (time_t) strtoll(PQgetvalue(res, 0, 8), NULL, 10)
              : ngx_time();

    for (i = 0; i < n; i++) {
        row = &rows[i];
        row->sector = PQgetvalue(res, i, 0);
        row->received = strtoll(PQgetvalue(res, i, 1), NULL, 10);
        row->online = strtoll(PQgetvalue(res, i, 2), NULL, 10);
        row->resolved = strtoll(PQgetvalue(res, i, 3), NULL, 10);
        row->resolved_on_time = strtoll(PQgetvalue(res, i, 4), NULL, 10);
        row->closed_other = strtoll(PQgetvalue(res, i, 5), NULL, 10);
        row->in_progress = strtoll(PQgetvalue(res, i, 6), NULL, 10);
        row->overdue = strtoll(PQgetvalue(res, i, 7), NULL, 10);
    }

    json = dg_stats_json(&ctx->q, rows, n, as_of);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_dossier_send(r, NGX_HTTP_OK, &ngx_http_dossier_json_type,
                               (u_char *) json, ngx_strlen(json));
    free(json);

    return rc;
}

/*
 * ngx_http_dossier_feed_module: GET /v1/feed?sector=&after=&limit=&wait=,
 * a sector's changes after a cursor (CONTRACT.md section 6).
 *
 *   dossier_feed;             location
 *
 * One query reads them: dossier_feed_read() (sql/migrations/0004, 0006)
 * returns only changes below its snapshot's horizon, so a reader
 * following "next" misses none even when transactions commit out of
 * order, and refuses a cursor that is not one of the sector's.  With nothing
 * to give and a wait, the request sits on this worker's list and costs no
 * query: the worker's LISTEN connection hears one notification per
 * committed transaction and sector, and the waiters of that sector ask
 * again.  They also ask again soon (not at the end of the wait) when
 * changes are committed but still held above the horizon by an older
 * transaction, and while the worker is not listening (PostgreSQL away).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_feed.h"
#include "ngx_http_dossier.h"
#include "ngx_http_dossier_reader.h"
#include "ngx_http_dossier_response.h"


#define NGX_HTTP_DOSSIER_FEED_SQL                                            \
    "SELECT xid::text, seq, event, dossier_id, ma_ho_so, trang_thai,"        \
    " version, at, payload"                                                  \
    " FROM dossier_feed_read($1, $2::xid8, $3::bigint, $4::integer)"

#define NGX_HTTP_DOSSIER_FEED_CHANNEL  "dossier_feed"

/* ms between two looks while changes are held back or nobody listens */
#define NGX_HTTP_DOSSIER_FEED_RECHECK  500

/* ms between two looks at whether the worker is shutting down */
#define NGX_HTTP_DOSSIER_FEED_TICK     1000


enum {
    NGX_HTTP_DOSSIER_FEED_XID = 0,
    NGX_HTTP_DOSSIER_FEED_SEQ,
    NGX_HTTP_DOSSIER_FEED_EVENT,
    NGX_HTTP_DOSSIER_FEED_ID,
    NGX_HTTP_DOSSIER_FEED_MA_HO_SO,
    NGX_HTTP_DOSSIER_FEED_TRANG_THAI,
    NGX_HTTP_DOSSIER_FEED_VERSION,
    NGX_HTTP_DOSSIER_FEED_AT,
    NGX_HTTP_DOSSIER_FEED_PAYLOAD
};


typedef struct {
    ngx_http_dossier_reader_t      reader;      /* first */
    dg_feed_query_t                q;
    u_char                         params[3][NGX_INT64_LEN + 2];
    ngx_queue_t                    waiting;     /* in the worker's list */
    ngx_event_t                    timer;
    ngx_msec_t                     deadline;
    ngx_uint_t                     generation;
    unsigned                       queued:1;
    unsigned                       recheck:1;   /* the timer asks again */
} ngx_http_dossier_feed_ctx_t;


static ngx_int_t ngx_http_dossier_feed_handler(ngx_http_request_t *r);

static ngx_int_t ngx_http_dossier_feed_start(ngx_http_request_t *r);
static ngx_int_t ngx_http_dossier_feed_read(ngx_http_dossier_feed_ctx_t *ctx);
static void ngx_http_dossier_feed_done(ngx_http_dossier_reader_t *rd,
    PGresult *res);
static ngx_int_t ngx_http_dossier_feed_refused(
    ngx_http_dossier_feed_ctx_t *ctx);
static ngx_int_t ngx_http_dossier_feed_answer(
    ngx_http_dossier_feed_ctx_t *ctx, PGresult *res);
static void ngx_http_dossier_feed_wait(ngx_http_dossier_feed_ctx_t *ctx,
    ngx_uint_t held);
static void ngx_http_dossier_feed_unqueue(ngx_http_dossier_feed_ctx_t *ctx);
static void ngx_http_dossier_feed_timeout(ngx_event_t *ev);
static void ngx_http_dossier_feed_again(ngx_http_dossier_feed_ctx_t *ctx);
static void ngx_http_dossier_feed_notified(void *data, const char *payload);
static void ngx_http_dossier_feed_tick(ngx_event_t *ev);
static void ngx_http_dossier_feed_cleanup(void *data);


static ngx_str_t  ngx_http_dossier_json_type = ngx_string("application/json");

/* this worker's waiting requests, and how many notifications it heard */
static ngx_queue_t   ngx_http_dossier_feed_waiters;
static ngx_uint_t    ngx_http_dossier_feed_generation;
static ngx_event_t   ngx_http_dossier_feed_ticker;


static ngx_command_t  ngx_http_dossier_feed_commands[] = {

    { ngx_string("dossier_feed"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_set_handler,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_feed_handler },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_dossier_feed_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_dossier_feed_module = {
    NGX_MODULE_V1,
    &ngx_http_dossier_feed_module_ctx, /* module context */
    ngx_http_dossier_feed_commands,    /* module directives */
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
ngx_http_dossier_feed_handler(ngx_http_request_t *r)
{
    return ngx_http_dossier_reader_handler(r,
               sizeof(ngx_http_dossier_feed_ctx_t),
               ngx_http_dossier_feed_start, ngx_http_dossier_feed_cleanup);
}


static ngx_int_t
ngx_http_dossier_feed_start(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    dg_problems_t                  problems;
    ngx_http_dossier_feed_ctx_t   *ctx;

    rc = ngx_http_dossier_reader_check(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ctx = ngx_http_dossier_ctx(r)->data;

    dg_problems_init(&problems);

    if (dg_feed_query_parse((char *) r->args.data, r->args.len,
                            ngx_http_dossier_catalog(r), &ctx->q,
                            &problems)
        != 0)
    {
        rc = ngx_http_dossier_send_problem(r, NGX_HTTP_DOSSIER_UNPROCESSABLE,
                                           "Query is invalid", &problems);
        dg_problems_free(&problems);
        return rc;
    }

    dg_problems_free(&problems);

    rc = ngx_http_dossier_reader_may_read(r, ctx->q.sector);
    if (rc != NGX_OK) {
        return rc;
    }

    /* the worker's first reader starts it listening */
    (void) ngx_http_dossier_pg_listen(ngx_http_dossier_pool(r),
                                      NGX_HTTP_DOSSIER_FEED_CHANNEL,
                                      ngx_http_dossier_feed_notified, NULL);

    ctx->deadline = ngx_current_msec + ctx->q.wait * 1000;

    return ngx_http_dossier_feed_read(ctx);
}


/* NGX_DONE: the query is on its way; else the 503 sent. */
static ngx_int_t
ngx_http_dossier_feed_read(ngx_http_dossier_feed_ctx_t *ctx)
{
    ngx_http_dossier_pg_query_t  *q = &ctx->reader.query;

    ngx_sprintf(ctx->params[0], "%uL%Z", (uint64_t) ctx->q.after.xid);
    ngx_sprintf(ctx->params[1], "%uL%Z", (uint64_t) ctx->q.after.seq);
    ngx_sprintf(ctx->params[2], "%ui%Z", (ngx_uint_t) ctx->q.limit);

    q->sql = NGX_HTTP_DOSSIER_FEED_SQL;
    q->nparams = 4;
    q->params[0] = ctx->q.sector;
    q->params[1] = (char *) ctx->params[0];
    q->params[2] = (char *) ctx->params[1];
    q->params[3] = (char *) ctx->params[2];

    /* a notification heard from now on may be about what we will miss */
    ctx->generation = ngx_http_dossier_feed_generation;

    return ngx_http_dossier_reader_query(&ctx->reader,
                                         ngx_http_dossier_feed_done);
}


static void
ngx_http_dossier_feed_done(ngx_http_dossier_reader_t *rd, PGresult *res)
{
    int                           rows;
    ngx_uint_t                    held;
    ngx_http_dossier_feed_ctx_t  *ctx = (ngx_http_dossier_feed_ctx_t *) rd;

    rows = PQntuples(res);

    if (rows == 1
        && PQgetvalue(res, 0, NGX_HTTP_DOSSIER_FEED_EVENT)[0] == 'c')
    {
        ngx_http_dossier_finalize(rd->request,
                                  ngx_http_dossier_feed_refused(ctx));
        return;
    }

    held = rows == 1
           && PQgetvalue(res, 0, NGX_HTTP_DOSSIER_FEED_EVENT)[0] == 'h';

    if ((rows > 0 && !held)
        || (ngx_msec_int_t) (ngx_current_msec - ctx->deadline) >= 0)
    {
        ngx_http_dossier_finalize(rd->request,
            ngx_http_dossier_feed_answer(ctx, held ? NULL : res));
        return;
    }

    if (ctx->generation != ngx_http_dossier_feed_generation) {
        /* notified while the query ran: it may not have seen that */
        ngx_http_dossier_feed_again(ctx);
        return;
    }

    ngx_http_dossier_feed_wait(ctx, held);
}


/* 422: "after" is not a position in this sector's feed (another
 * sector's cursor, or one made up), which only PostgreSQL can tell. */
static ngx_int_t
ngx_http_dossier_feed_refused(ngx_http_dossier_feed_ctx_t *ctx)
{
    ngx_int_t       rc;
    dg_check_t      ck;
    dg_problems_t   problems;

    dg_problems_init(&problems);
    ck.problems = &problems;
    ck.nfail = 0;

    dg_feed_cursor_refused(&ck);

    rc = ngx_http_dossier_send_problem(ctx->reader.request,
                                       NGX_HTTP_DOSSIER_UNPROCESSABLE,
                                       "Query is invalid", &problems);
    dg_problems_free(&problems);

    return rc;
}


/* 200 with the rows of res (none when res is NULL). */
static ngx_int_t
ngx_http_dossier_feed_answer(ngx_http_dossier_feed_ctx_t *ctx,
    PGresult *res)
{
    int                  i, n;
    char                *json;
    size_t               len;
    ngx_int_t            rc;
    dg_feed_item_t      *items, *it;
    ngx_http_request_t  *r = ctx->reader.request;

    n = res ? PQntuples(res) : 0;

    items = ngx_palloc(r->pool, (n ? n : 1) * sizeof(dg_feed_item_t));
    if (items == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < n; i++) {
        it = &items[i];

        it->cursor.xid = strtoull(PQgetvalue(res, i, NGX_HTTP_DOSSIER_FEED_XID),
                                  NULL, 10);
        it->cursor.seq = strtoull(PQgetvalue(res, i, NGX_HTTP_DOSSIER_FEED_SEQ),
                                  NULL, 10);
        it->progress = PQgetvalue(res, i, NGX_HTTP_DOSSIER_FEED_EVENT)[0]
                       == 'p';
        it->id = strtoll(PQgetvalue(res, i, NGX_HTTP_DOSSIER_FEED_ID), NULL,
                         10);
        it->ma_ho_so = PQgetvalue(res, i, NGX_HTTP_DOSSIER_FEED_MA_HO_SO);
        it->trang_thai = atoi(PQgetvalue(res, i,
                                         NGX_HTTP_DOSSIER_FEED_TRANG_THAI));
        it->version = strtoll(PQgetvalue(res, i,
                                         NGX_HTTP_DOSSIER_FEED_VERSION),
                              NULL, 10);
        it->at = (time_t) strtoll(PQgetvalue(res, i, NGX_HTTP_DOSSIER_FEED_AT),
                                  NULL, 10);
        it->payload = PQgetvalue(res, i, NGX_HTTP_DOSSIER_FEED_PAYLOAD);
        it->payload_len = PQgetlength(res, i, NGX_HTTP_DOSSIER_FEED_PAYLOAD);
    }

    json = dg_feed_json(ctx->q.sector, items, n, &ctx->q.after, &len);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_dossier_send(r, NGX_HTTP_OK, &ngx_http_dossier_json_type,
                               (u_char *) json, len);
    free(json);

    return rc;
}


/*
 * Nothing yet: wait on the list until the wait ends or the sector is
 * notified, or ask again soon when changes are held back (held) or the
 * worker does not hear notifications.
 */
static void
ngx_http_dossier_feed_wait(ngx_http_dossier_feed_ctx_t *ctx, ngx_uint_t held)
{
    ngx_msec_t                     left;
    ngx_http_request_t            *r = ctx->reader.request;


    if (ngx_http_dossier_feed_waiters.next == NULL) {
        ngx_queue_init(&ngx_http_dossier_feed_waiters);
    }

    left = ctx->deadline - ngx_current_msec;
    ctx->recheck = held
                   || !ngx_http_dossier_pg_listening(ngx_http_dossier_pool(r));

    ctx->timer.handler = ngx_http_dossier_feed_timeout;
    ctx->timer.data = ctx;
    ctx->timer.log = r->connection->log;
    ngx_add_timer(&ctx->timer,
                  ctx->recheck ? ngx_min(left, NGX_HTTP_DOSSIER_FEED_RECHECK)
                               : left);

    ngx_queue_insert_tail(&ngx_http_dossier_feed_waiters, &ctx->waiting);
    ctx->queued = 1;

    /* a client that goes away ends its wait */
    r->read_event_handler = ngx_http_test_reading;

    if (!ngx_http_dossier_feed_ticker.timer_set) {
        ngx_http_dossier_feed_ticker.handler = ngx_http_dossier_feed_tick;
        ngx_http_dossier_feed_ticker.log = ngx_cycle->log;
        ngx_http_dossier_feed_ticker.cancelable = 1;
        ngx_add_timer(&ngx_http_dossier_feed_ticker,
                      NGX_HTTP_DOSSIER_FEED_TICK);
    }
}


static void
ngx_http_dossier_feed_unqueue(ngx_http_dossier_feed_ctx_t *ctx)
{
    if (ctx->queued) {
        ngx_queue_remove(&ctx->waiting);
        ctx->queued = 0;
    }

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }
}


/* The end of the wait (nothing was notified: answer with nothing), or
 * time to ask again. */
static void
ngx_http_dossier_feed_timeout(ngx_event_t *ev)
{
    ngx_http_dossier_feed_ctx_t  *ctx = ev->data;

    ngx_http_dossier_feed_unqueue(ctx);

    if (ctx->recheck) {
        ngx_http_dossier_feed_again(ctx);
        return;
    }

    ngx_http_dossier_finalize(ctx->reader.request,
        ngx_http_dossier_feed_answer(ctx, NULL));
}


static void
ngx_http_dossier_feed_again(ngx_http_dossier_feed_ctx_t *ctx)
{
    ngx_int_t  rc;

    rc = ngx_http_dossier_feed_read(ctx);

    if (rc != NGX_DONE) {
        ngx_http_dossier_finalize(ctx->reader.request, rc);
    }
}


/* A transaction committed changes of a sector (payload), or listening
 * (re)started (NULL: any sector may have changed). */
static void
ngx_http_dossier_feed_notified(void *data, const char *payload)
{
    ngx_queue_t                   woken, *q, *next;
    ngx_http_dossier_feed_ctx_t  *ctx;

    ngx_http_dossier_feed_generation++;

    if (ngx_http_dossier_feed_waiters.next == NULL) {
        return;
    }

    ngx_queue_init(&woken);

    for (q = ngx_queue_head(&ngx_http_dossier_feed_waiters);
         q != ngx_queue_sentinel(&ngx_http_dossier_feed_waiters);
         q = next)
    {
        next = ngx_queue_next(q);
        ctx = ngx_queue_data(q, ngx_http_dossier_feed_ctx_t, waiting);

        if (payload == NULL || ngx_strcmp(payload, ctx->q.sector) == 0) {
            ngx_queue_remove(q);
            ngx_queue_insert_tail(&woken, q);
        }
    }

    /* each one asks; an answer may end other requests, not these */
    while (!ngx_queue_empty(&woken)) {
        q = ngx_queue_head(&woken);
        ctx = ngx_queue_data(q, ngx_http_dossier_feed_ctx_t, waiting);

        ngx_http_dossier_feed_unqueue(ctx);
        ngx_http_dossier_feed_again(ctx);
    }
}


/* While requests wait: a worker shutting down (reload) answers them now
 * rather than holding on to the end of their waits. */
static void
ngx_http_dossier_feed_tick(ngx_event_t *ev)
{
    ngx_queue_t                  *q;
    ngx_http_dossier_feed_ctx_t  *ctx;

    if (ngx_queue_empty(&ngx_http_dossier_feed_waiters)) {
        return;
    }

    if (!ngx_exiting) {
        ngx_add_timer(ev, NGX_HTTP_DOSSIER_FEED_TICK);
        return;
    }

    while (!ngx_queue_empty(&ngx_http_dossier_feed_waiters)) {
        q = ngx_queue_head(&ngx_http_dossier_feed_waiters);
        ctx = ngx_queue_data(q, ngx_http_dossier_feed_ctx_t, waiting);

        ngx_http_dossier_feed_unqueue(ctx);
        ngx_http_dossier_finalize(ctx->reader.request,
            ngx_http_dossier_feed_answer(ctx, NULL));
    }
}


static void
ngx_http_dossier_feed_cleanup(void *data)
{
    ngx_http_dossier_feed_unqueue(data);
}

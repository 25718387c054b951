/*
 * A per-worker pool of PostgreSQL connections driven by nginx events, with
 * a group-commit writer for submissions.
 *
 * Validated dossiers wait in one queue per worker.  While no batch is in
 * flight, an idle connection takes everything queued (up to the batch
 * size) into a single call of dossier_submit_batch(), prepared once per
 * connection: one transaction, one round trip.  At low load that is a
 * batch of one; under load the batches grow by themselves while one
 * commits, and a second goes beside it only for a backlog.
 * An item's handler runs once, after COMMIT has been confirmed or the
 * batch has certainly or possibly failed.  A group of items (a batch
 * request) shares one transaction and one handler.
 *
 * No handler (of an item, a query or a catalog waiter) ever runs inside
 * the call that registered it: a failure found there is answered on the
 * next turn of the event loop.
 */

#ifndef NGX_HTTP_DOSSIER_PG_H
#define NGX_HTTP_DOSSIER_PG_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <libpq-fe.h>

#include "dg_admission.h"
#include "dg_catalog.h"
#include "dg_outcome.h"
#include "dg_status.h"
#include "ngx_http_dossier_stats.h"


typedef struct ngx_http_dossier_pg_s       ngx_http_dossier_pg_t;
typedef struct ngx_http_dossier_pg_conn_s  ngx_http_dossier_pg_conn_t;
typedef struct ngx_http_dossier_pg_item_s  ngx_http_dossier_pg_item_t;
typedef struct ngx_http_dossier_pg_query_s ngx_http_dossier_pg_query_t;
typedef struct ngx_http_dossier_pg_waiter_s ngx_http_dossier_pg_waiter_t;
typedef struct ngx_http_dossier_pg_group_s  ngx_http_dossier_pg_group_t;


/* The most items of one group: a batch request's (CONTRACT.md section 6) */
#define NGX_HTTP_DOSSIER_PG_GROUP_MAX  100


typedef struct {
    const char                 **keywords;   /* parsed conninfo, NULL-ended */
    const char                 **values;
    ngx_uint_t                   pool_size;
    ngx_uint_t                   queue_size;
    ngx_uint_t                   batch_size;
    ngx_uint_t                   batch_conns;   /* most batches in flight */
    ngx_msec_t                   batch_wait;    /* a backlog: waited this */
    ngx_uint_t                   sector_share;  /* % of the queue */
    ngx_msec_t                   connect_timeout;
    ngx_msec_t                   query_timeout;
    ngx_msec_t                   catalog_refresh;
} ngx_http_dossier_pg_conf_t;


typedef enum {
    NGX_HTTP_DOSSIER_STORED_NEW = 0,     /* committed now */
    NGX_HTTP_DOSSIER_STORED_BEFORE,      /* identical dossier was stored */
    NGX_HTTP_DOSSIER_CONFLICT,           /* same MaHoSo, other content */
    NGX_HTTP_DOSSIER_UNAVAILABLE,        /* not stored: retry later */
    NGX_HTTP_DOSSIER_REJECTED,           /* PostgreSQL refused the row */
    NGX_HTTP_DOSSIER_SATURATED           /* a group's item not queued: the
                                            queue or its sector's share is
                                            full */
} ngx_http_dossier_outcome_e;


typedef void (*ngx_http_dossier_pg_item_pt)(ngx_http_dossier_pg_item_t *item);

struct ngx_http_dossier_pg_item_s {
    ngx_queue_t                  queue;
    ngx_str_t                    json;        /* batch element */
    ngx_str_t                    ma_ho_so;
    ngx_str_t                    sector;      /* MaLinhVuc */
    ngx_msec_t                   deadline;
    ngx_http_dossier_pg_item_pt  handler;
    void                        *data;

    /* set before handler runs; status points into the result, valid
     * while the handler runs */
    ngx_http_dossier_outcome_e   outcome;
    int64_t                      id;
    dg_status_t                  status;

    /* private */
    ngx_http_dossier_pg_t       *pg;
    ngx_http_dossier_pg_group_t *group;
    ngx_http_dossier_pg_conn_t  *conn;        /* in flight on */
    dg_admission_sector_t       *place;       /* its sector's count */
    ngx_uint_t                   slot;
    unsigned                     queued:1;
    unsigned                     posted:1;    /* answered, handler due */
    unsigned                     solo:1;      /* retry alone: its batch
                                                 failed on data */
};


typedef void (*ngx_http_dossier_pg_group_pt)(ngx_http_dossier_pg_group_t *g);

struct ngx_http_dossier_pg_group_s {
    ngx_http_dossier_pg_item_t  **items;      /* in order; their handlers
                                                 are not used */
    ngx_uint_t                    nitems;
    ngx_http_dossier_pg_group_pt  handler;
    void                         *data;

    /* private */
    ngx_uint_t                    pending;    /* items without an outcome */
    ngx_uint_t                    queued;     /* of which in the queue */
    unsigned                      solo:1;
};


#define NGX_HTTP_DOSSIER_PG_MAX_PARAMS  10

/* res is NULL when the query failed (sqlstate says why, "" when the
 * connection did); it is freed after the handler returns. */
typedef void (*ngx_http_dossier_pg_query_pt)(ngx_http_dossier_pg_query_t *q,
    PGresult *res);

struct ngx_http_dossier_pg_query_s {
    ngx_queue_t                    queue;
    const char                    *sql;
    int                            nparams;
    const char                    *params[NGX_HTTP_DOSSIER_PG_MAX_PARAMS];
    ngx_http_dossier_pg_query_pt   handler;
    void                          *data;
    char                           sqlstate[6];

    /* private */
    ngx_msec_t                     deadline;
    ngx_http_dossier_pg_t         *pg;
    ngx_http_dossier_pg_conn_t    *conn;
    unsigned                       queued:1;
    unsigned                       posted:1;
};


/* Someone waiting for the worker's first catalog: ready is 0 when it did
 * not come in time or PostgreSQL went away. */
typedef void (*ngx_http_dossier_pg_waiter_pt)(
    ngx_http_dossier_pg_waiter_t *w, ngx_uint_t ready);

struct ngx_http_dossier_pg_waiter_s {
    ngx_queue_t                    queue;
    ngx_event_t                    timer;
    ngx_http_dossier_pg_waiter_pt  handler;
    void                          *data;
    unsigned                       waiting:1;
    unsigned                       posted:1;
    unsigned                       ready:1;
};


/* stats: this worker's counts, kept up to date by the pool. */
ngx_http_dossier_pg_t *ngx_http_dossier_pg_create(ngx_cycle_t *cycle,
    ngx_http_dossier_pg_conf_t *conf, ngx_http_dossier_pg_stats_t *stats);
void ngx_http_dossier_pg_destroy(ngx_http_dossier_pg_t *pg);

/*
 * Queues a submission.  NGX_OK: the handler will run, after this returns.
 * NGX_BUSY: the queue is full, or the dossier's sector holds its share of
 * it (dossier_pg_sector_share, dg_admission.h) so one sector's surge
 * cannot take every place.  NGX_DECLINED: no connection is up or coming
 * up.  NGX_ERROR: out of memory.  In every refusal nothing was queued.
 */
ngx_int_t ngx_http_dossier_pg_submit(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_item_t *item);

/* Withdraws an item whose request is going away; its handler won't run. */
void ngx_http_dossier_pg_cancel(ngx_http_dossier_pg_item_t *item);

/*
 * Queues a group (at most NGX_HTTP_DOSSIER_PG_GROUP_MAX items) that shares
 * one transaction and one answer: g->handler runs once, after this
 * returns, when every item has its outcome.  Admission counts items, in
 * order: an item beyond the queue or its sector's share is not queued
 * (outcome NGX_HTTP_DOSSIER_SATURATED).  The others wait together and go
 * in one call of dossier_submit_batch(), beside other items when they fit
 * into dossier_pg_batch_size, else alone; the same MaHoSo twice is judged
 * in order.  NGX_OK: queued.  NGX_BUSY: no item was admitted.
 * NGX_DECLINED: no connection is up or coming up.  In both refusals
 * nothing was queued and the handler won't run.
 */
ngx_int_t ngx_http_dossier_pg_submit_group(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_group_t *g);

/* Withdraws a group whose request is going away; its handler won't run. */
void ngx_http_dossier_pg_cancel_group(ngx_http_dossier_pg_group_t *g);

/* Queues one statement (a lookup, a progress update); answers as
 * ngx_http_dossier_pg_submit() does.  Queries go before batches: they are
 * small, and a submission surge must not starve lookups. */
ngx_int_t ngx_http_dossier_pg_query(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_query_t *q);
void ngx_http_dossier_pg_query_cancel(ngx_http_dossier_pg_query_t *q);

/* The procedure catalog as last loaded, or NULL before the first load. */
const dg_catalog_t *ngx_http_dossier_pg_catalog(ngx_http_dossier_pg_t *pg);

/*
 * Waits (at most the query timeout) for the catalog of a worker that has
 * just started, as after "nginx -s reload": a dossier arriving then is
 * served late rather than refused.  NGX_OK: w->handler will run.
 * NGX_DECLINED: no connection is coming up, do not wait.
 */
ngx_int_t ngx_http_dossier_pg_wait_catalog(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_waiter_t *w);
void ngx_http_dossier_pg_wait_cancel(ngx_http_dossier_pg_waiter_t *w);

/* 1 when at least one connection is established. */
ngx_uint_t ngx_http_dossier_pg_ready(ngx_http_dossier_pg_t *pg);

/*
 * LISTEN/NOTIFY.  The first call starts a connection of the worker's own,
 * outside the pool, that LISTENs on channel (an identifier) and reconnects
 * with backoff when lost; later calls change nothing (one channel).  The
 * handler runs from events: with a notification's payload, and with NULL
 * each time listening (re)starts, since what was notified before may have
 * been missed.
 */
typedef void (*ngx_http_dossier_pg_notify_pt)(void *data,
    const char *payload);

ngx_int_t ngx_http_dossier_pg_listen(ngx_http_dossier_pg_t *pg,
    const char *channel, ngx_http_dossier_pg_notify_pt handler, void *data);

/* 1 while LISTEN is in effect: notifications arrive. */
ngx_uint_t ngx_http_dossier_pg_listening(ngx_http_dossier_pg_t *pg);

/*
 * Reads a dossier_status row (the view in sql/migrations) starting at
 * column col into s, whose strings point into res.  Returns the dossier
 * id, or 0 when the columns are NULL (no such dossier).
 */
int64_t ngx_http_dossier_pg_status(PGresult *res, int row, int col,
    dg_status_t *s);

/* What the SQL function said of a row (its outcome column). */
dg_outcome_e ngx_http_dossier_pg_outcome(PGresult *res, int row, int col);

/* Checks a conninfo string for use in a worker: numeric hostaddr
 * addresses or unix-socket directories, so no DNS lookup ever happens in
 * a worker; several servers (tried in order by libpq) need
 * target_session_attrs=read-write.  Fills conf->keywords and
 * conf->values. */
char *ngx_http_dossier_pg_parse_conninfo(ngx_conf_t *cf, ngx_str_t *conninfo,
    ngx_http_dossier_pg_conf_t *conf);

#endif /* NGX_HTTP_DOSSIER_PG_H */

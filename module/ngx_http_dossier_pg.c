/*
 * PostgreSQL on nginx events: libpq's asynchronous API over sockets that
 * nginx watches, a per-worker connection pool, and the group-commit writer.
 *
 * Events are registered level-triggered even under epoll: PQconsumeInput()
 * may stop after one read with more data in the socket, and with
 * edge-triggered events nothing would wake us for the rest.
 *
 * One more connection, outside the pool, only LISTENs (once someone asks
 * for notifications): it keeps read interest while idle and hands every
 * NOTIFY to its handler.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "dg_mask.h"
#include "ngx_http_dossier_pg.h"


#define NGX_HTTP_DOSSIER_PG_DOWN        0
#define NGX_HTTP_DOSSIER_PG_CONNECTING  1
#define NGX_HTTP_DOSSIER_PG_IDLE        2
#define NGX_HTTP_DOSSIER_PG_BUSY        3

#define NGX_HTTP_DOSSIER_PG_SECTORS      32

#define NGX_HTTP_DOSSIER_PG_BACKOFF_MIN  100
#define NGX_HTTP_DOSSIER_PG_BACKOFF_MAX  2000

#define NGX_HTTP_DOSSIER_BATCH_SQL                                           \
    "SELECT b.ord, b.outcome, (b.st).* FROM dossier_submit_batch($1::jsonb) b"

#define NGX_HTTP_DOSSIER_CATALOG_SQL                                         \
    "SELECT ma_tthc, ma_linh_vuc FROM procedures"


struct ngx_http_dossier_pg_conn_s {
    ngx_http_dossier_pg_t        *pg;
    PGconn                       *conn;
    ngx_connection_t             *c;
    ngx_uint_t                    state;
    ngx_msec_t                    backoff;
    ngx_event_t                   retry;

    /* the statement in flight: a batch, or one query */
    ngx_http_dossier_pg_item_t  **items;
    ngx_uint_t                    nitems;
    ngx_http_dossier_pg_query_t  *query;
    PGresult                     *result;
    char                          sqlstate[6];
    unsigned                      failed:1;

    u_char                       *buf;
    size_t                        bufsize;

    unsigned                      listener:1;   /* pg->listener */
};


struct ngx_http_dossier_pg_s {
    ngx_http_dossier_pg_conf_t   *conf;
    ngx_log_t                    *log;
    ngx_http_dossier_pg_conn_t   *conns;
    ngx_queue_t                   queue;      /* submissions */
    ngx_uint_t                    queued;
    struct {
        u_char                    name[24];
        ngx_uint_t                count;
    }                             sectors[NGX_HTTP_DOSSIER_PG_SECTORS];
    ngx_queue_t                   queries;
    ngx_uint_t                    nqueries;
    ngx_uint_t                    batching;   /* batches in flight */
    ngx_uint_t                    up;

    dg_catalog_t                 *catalog;
    ngx_http_dossier_pg_query_t   catalog_query;
    ngx_queue_t                   catalog_waiters;
    ngx_event_t                   refresh;

    /* LISTEN/NOTIFY: a connection of its own, never in the pool */
    ngx_http_dossier_pg_conn_t    listener;
    ngx_http_dossier_pg_query_t   listen_query;
    u_char                        listen_sql[80];
    ngx_http_dossier_pg_notify_pt notify;
    void                         *notify_data;
    unsigned                      listening:1;
};


static void ngx_http_dossier_pg_connect(ngx_event_t *ev);
static ngx_int_t ngx_http_dossier_pg_wrap_socket(
    ngx_http_dossier_pg_conn_t *pc);
static void ngx_http_dossier_pg_connect_poll(ngx_http_dossier_pg_conn_t *pc);
static void ngx_http_dossier_pg_read_handler(ngx_event_t *rev);
static void ngx_http_dossier_pg_write_handler(ngx_event_t *wev);
static ngx_int_t ngx_http_dossier_pg_want_write(
    ngx_http_dossier_pg_conn_t *pc, ngx_uint_t want);
static ngx_int_t ngx_http_dossier_pg_flush(ngx_http_dossier_pg_conn_t *pc);
static void ngx_http_dossier_pg_dispatch(ngx_http_dossier_pg_t *pg);
static ngx_int_t ngx_http_dossier_pg_send_batch(
    ngx_http_dossier_pg_conn_t *pc);
static ngx_int_t ngx_http_dossier_pg_send(ngx_http_dossier_pg_conn_t *pc,
    const char *sql, const char *const *params, int nparams);
static void ngx_http_dossier_pg_complete(ngx_http_dossier_pg_conn_t *pc);
static void ngx_http_dossier_pg_batch_done(ngx_http_dossier_pg_conn_t *pc,
    ngx_uint_t ok);
static void ngx_http_dossier_pg_catalog_done(ngx_http_dossier_pg_query_t *q,
    PGresult *res);
static void ngx_http_dossier_pg_load_catalog(ngx_http_dossier_pg_t *pg);
static void ngx_http_dossier_pg_wake(ngx_http_dossier_pg_t *pg,
    ngx_uint_t ready);
static void ngx_http_dossier_pg_wait_timeout(ngx_event_t *ev);
static ngx_uint_t ngx_http_dossier_pg_usable(ngx_http_dossier_pg_t *pg);
static void ngx_http_dossier_pg_fail(ngx_http_dossier_pg_conn_t *pc,
    const char *why);
static void ngx_http_dossier_pg_close(ngx_http_dossier_pg_conn_t *pc);
static void ngx_http_dossier_pg_answer(ngx_http_dossier_pg_item_t *item,
    ngx_http_dossier_outcome_e outcome);
static void ngx_http_dossier_pg_fail_queue(ngx_http_dossier_pg_t *pg);
static ngx_uint_t *ngx_http_dossier_pg_sector(ngx_http_dossier_pg_t *pg,
    ngx_str_t *sector);
static void ngx_http_dossier_pg_enqueue(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_item_t *item, ngx_uint_t head);
static void ngx_http_dossier_pg_dequeue(ngx_http_dossier_pg_item_t *item);
static void ngx_http_dossier_pg_query_done(ngx_http_dossier_pg_query_t *q,
    PGresult *res, const char *sqlstate);
static void ngx_http_dossier_pg_refresh(ngx_event_t *ev);
static void ngx_http_dossier_pg_listened(ngx_http_dossier_pg_query_t *q,
    PGresult *res);
static void ngx_http_dossier_pg_notifies(ngx_http_dossier_pg_conn_t *pc);
static char *ngx_http_dossier_pg_strdup(ngx_pool_t *pool, const char *s);
static void ngx_http_dossier_pg_log(ngx_http_dossier_pg_conn_t *pc,
    const char *what, const char *why);


ngx_http_dossier_pg_t *
ngx_http_dossier_pg_create(ngx_cycle_t *cycle,
    ngx_http_dossier_pg_conf_t *conf)
{
    ngx_uint_t                   i;
    ngx_http_dossier_pg_t       *pg;
    ngx_http_dossier_pg_conn_t  *pc;

    pg = ngx_pcalloc(cycle->pool, sizeof(ngx_http_dossier_pg_t));
    if (pg == NULL) {
        return NULL;
    }

    pg->conf = conf;
    pg->log = cycle->log;
    ngx_queue_init(&pg->queue);
    ngx_queue_init(&pg->queries);
    ngx_queue_init(&pg->catalog_waiters);

    pg->conns = ngx_pcalloc(cycle->pool,
                            conf->pool_size * sizeof(ngx_http_dossier_pg_conn_t));
    if (pg->conns == NULL) {
        return NULL;
    }

    pg->refresh.handler = ngx_http_dossier_pg_refresh;
    pg->refresh.data = pg;
    pg->refresh.log = pg->log;
    pg->refresh.cancelable = 1;

    pg->catalog_query.sql = NGX_HTTP_DOSSIER_CATALOG_SQL;
    pg->catalog_query.handler = ngx_http_dossier_pg_catalog_done;
    pg->catalog_query.data = pg;

    pc = &pg->listener;
    pc->pg = pg;
    pc->listener = 1;
    pc->retry.handler = ngx_http_dossier_pg_connect;
    pc->retry.data = pc;
    pc->retry.log = pg->log;
    pc->retry.cancelable = 1;

    pg->listen_query.sql = (char *) pg->listen_sql;
    pg->listen_query.handler = ngx_http_dossier_pg_listened;
    pg->listen_query.data = pg;

    for (i = 0; i < conf->pool_size; i++) {
        pc = &pg->conns[i];
        pc->pg = pg;

        pc->items = ngx_pcalloc(cycle->pool,
                         conf->batch_size * sizeof(ngx_http_dossier_pg_item_t *));
        if (pc->items == NULL) {
            return NULL;
        }

        pc->retry.handler = ngx_http_dossier_pg_connect;
        pc->retry.data = pc;
        pc->retry.log = pg->log;
        pc->retry.cancelable = 1;

        ngx_http_dossier_pg_connect(&pc->retry);
    }

    return pg;
}


void
ngx_http_dossier_pg_destroy(ngx_http_dossier_pg_t *pg)
{
    ngx_uint_t  i;

    for (i = 0; i < pg->conf->pool_size; i++) {
        if (pg->conns[i].retry.timer_set) {
            ngx_del_timer(&pg->conns[i].retry);
        }

        ngx_http_dossier_pg_close(&pg->conns[i]);
        ngx_free(pg->conns[i].buf);
    }

    if (pg->listener.retry.timer_set) {
        ngx_del_timer(&pg->listener.retry);
    }

    ngx_http_dossier_pg_close(&pg->listener);
    pg->listening = 0;

    if (pg->refresh.timer_set) {
        ngx_del_timer(&pg->refresh);
    }

    dg_catalog_free(pg->catalog);
    pg->catalog = NULL;
}


ngx_int_t
ngx_http_dossier_pg_submit(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_item_t *item)
{
    ngx_uint_t  *count;

    if (pg->queued >= pg->conf->queue_size) {
        return NGX_BUSY;
    }

    count = ngx_http_dossier_pg_sector(pg, &item->sector);

    if (count == NULL
        || *count >= ngx_max(pg->conf->queue_size * pg->conf->sector_share
                             / 100, 1))
    {
        return NGX_BUSY;
    }

    if (!ngx_http_dossier_pg_usable(pg)) {
        return NGX_DECLINED;
    }

    item->deadline = ngx_current_msec + pg->conf->query_timeout;
    item->conn = NULL;
    item->sector_count = count;
    ngx_http_dossier_pg_enqueue(pg, item, 0);

    ngx_http_dossier_pg_dispatch(pg);

    return NGX_OK;
}


void
ngx_http_dossier_pg_cancel(ngx_http_dossier_pg_item_t *item)
{
    if (item->queued) {
        ngx_http_dossier_pg_dequeue(item);
        item->conn = NULL;
        return;
    }

    if (item->conn) {
        /* in flight: the batch goes on, only the answer is dropped */
        item->conn->items[item->slot] = NULL;
        item->conn = NULL;
    }
}


ngx_int_t
ngx_http_dossier_pg_query(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_query_t *q)
{
    if (q->nparams > NGX_HTTP_DOSSIER_PG_MAX_PARAMS) {
        return NGX_ERROR;
    }

    if (pg->nqueries >= pg->conf->queue_size) {
        return NGX_BUSY;
    }

    if (!ngx_http_dossier_pg_usable(pg)) {
        return NGX_DECLINED;
    }

    q->deadline = ngx_current_msec + pg->conf->query_timeout;
    q->pg = pg;
    q->conn = NULL;
    q->queued = 1;
    ngx_queue_insert_tail(&pg->queries, &q->queue);
    pg->nqueries++;

    ngx_http_dossier_pg_dispatch(pg);

    return NGX_OK;
}


void
ngx_http_dossier_pg_query_cancel(ngx_http_dossier_pg_query_t *q)
{
    if (q->queued) {
        ngx_queue_remove(&q->queue);
        q->queued = 0;
        q->pg->nqueries--;
        return;
    }

    if (q->conn) {
        /* in flight: the statement runs on, its result is dropped */
        q->conn->query = NULL;
        q->conn = NULL;
    }
}


/* Some connection is up or coming up: work queued now will be served. */
static ngx_uint_t
ngx_http_dossier_pg_usable(ngx_http_dossier_pg_t *pg)
{
    ngx_uint_t  i;

    for (i = 0; i < pg->conf->pool_size; i++) {
        if (pg->conns[i].state != NGX_HTTP_DOSSIER_PG_DOWN) {
            return 1;
        }
    }

    return 0;
}


ngx_int_t
ngx_http_dossier_pg_wait_catalog(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_waiter_t *w)
{
    if (!ngx_http_dossier_pg_usable(pg)) {
        return NGX_DECLINED;
    }

    w->timer.handler = ngx_http_dossier_pg_wait_timeout;
    w->timer.data = w;
    w->timer.log = pg->log;
    ngx_add_timer(&w->timer, pg->conf->query_timeout);

    w->waiting = 1;
    ngx_queue_insert_tail(&pg->catalog_waiters, &w->queue);

    return NGX_OK;
}


void
ngx_http_dossier_pg_wait_cancel(ngx_http_dossier_pg_waiter_t *w)
{
    if (w->waiting) {
        w->waiting = 0;
        ngx_queue_remove(&w->queue);
    }

    if (w->timer.timer_set) {
        ngx_del_timer(&w->timer);
    }
}


static void
ngx_http_dossier_pg_wait_timeout(ngx_event_t *ev)
{
    ngx_http_dossier_pg_waiter_t  *w = ev->data;

    ngx_http_dossier_pg_wait_cancel(w);
    w->handler(w, 0);
}


static void
ngx_http_dossier_pg_wake(ngx_http_dossier_pg_t *pg, ngx_uint_t ready)
{
    ngx_queue_t                   *q;
    ngx_http_dossier_pg_waiter_t  *w;

    while (!ngx_queue_empty(&pg->catalog_waiters)) {
        q = ngx_queue_head(&pg->catalog_waiters);
        w = ngx_queue_data(q, ngx_http_dossier_pg_waiter_t, queue);

        ngx_http_dossier_pg_wait_cancel(w);
        w->handler(w, ready);
    }
}


const dg_catalog_t *
ngx_http_dossier_pg_catalog(ngx_http_dossier_pg_t *pg)
{
    return pg->catalog;
}


ngx_uint_t
ngx_http_dossier_pg_ready(ngx_http_dossier_pg_t *pg)
{
    return pg->up > 0;
}


ngx_int_t
ngx_http_dossier_pg_listen(ngx_http_dossier_pg_t *pg, const char *channel,
    ngx_http_dossier_pg_notify_pt handler, void *data)
{
    if (pg->notify) {
        return NGX_OK;
    }

    if (ngx_strlen(channel) > sizeof(pg->listen_sql) - sizeof("LISTEN ")) {
        return NGX_ERROR;
    }

    ngx_sprintf(pg->listen_sql, "LISTEN %s%Z", channel);
    pg->notify = handler;
    pg->notify_data = data;

    /* the handler runs from events only: the connection comes up later */
    ngx_http_dossier_pg_connect(&pg->listener.retry);

    return NGX_OK;
}


ngx_uint_t
ngx_http_dossier_pg_listening(ngx_http_dossier_pg_t *pg)
{
    return pg->listening;
}


/* LISTEN is in effect (res) or the connection failed; in effect, whatever
 * was notified while we did not listen is lost: the handler hears that as
 * a notification without payload. */
static void
ngx_http_dossier_pg_listened(ngx_http_dossier_pg_query_t *q, PGresult *res)
{
    ngx_http_dossier_pg_t  *pg = q->data;

    if (res == NULL) {
        pg->listening = 0;
        return;
    }

    ngx_log_error(NGX_LOG_INFO, pg->log, 0,
                  "dossier: PostgreSQL: %s", pg->listen_sql);

    pg->listening = 1;
    pg->notify(pg->notify_data, NULL);
}


static void
ngx_http_dossier_pg_notifies(ngx_http_dossier_pg_conn_t *pc)
{
    PGnotify               *n;
    ngx_http_dossier_pg_t  *pg = pc->pg;

    while ((n = PQnotifies(pc->conn)) != NULL) {
        if (pg->listening) {
            pg->notify(pg->notify_data, n->extra);
        }

        PQfreemem(n);
    }
}


static void
ngx_http_dossier_pg_connect(ngx_event_t *ev)
{
    ngx_http_dossier_pg_conn_t  *pc = ev->data;
    ngx_http_dossier_pg_conf_t  *conf = pc->pg->conf;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    pc->conn = PQconnectStartParams(conf->keywords, conf->values, 0);

    if (pc->conn == NULL || PQstatus(pc->conn) == CONNECTION_BAD
        || PQsetnonblocking(pc->conn, 1) != 0)
    {
        ngx_http_dossier_pg_fail(pc, "cannot start a connection");
        return;
    }

    pc->state = NGX_HTTP_DOSSIER_PG_CONNECTING;

    if (ngx_http_dossier_pg_wrap_socket(pc) != NGX_OK) {
        ngx_http_dossier_pg_fail(pc, "cannot watch the socket");
        return;
    }

    ngx_add_timer(pc->c->read, conf->connect_timeout);

    ngx_http_dossier_pg_connect_poll(pc);
}


/*
 * Gives libpq's current socket to nginx.  libpq may replace the socket
 * while connecting (another address, or a retry without SSL), so this runs
 * again whenever PQsocket() changes; the old descriptor is libpq's to close.
 */
static ngx_int_t
ngx_http_dossier_pg_wrap_socket(ngx_http_dossier_pg_conn_t *pc)
{
    int                fd;
    ngx_msec_int_t     timer;
    ngx_connection_t  *c;

    fd = PQsocket(pc->conn);
    if (fd == -1) {
        return NGX_ERROR;
    }

    if (pc->c && pc->c->fd == fd) {
        return NGX_OK;
    }

    timer = 0;

    if (pc->c) {
        if (pc->c->read->timer_set) {
            timer = ngx_max((ngx_msec_int_t) (pc->c->read->timer.key
                                              - ngx_current_msec), 1);
            ngx_del_timer(pc->c->read);
        }

        /* the old descriptor is already closed by libpq */
        pc->c->read->active = 0;
        pc->c->write->active = 0;
        pc->c->fd = (ngx_socket_t) -1;
        ngx_free_connection(pc->c);
        pc->c = NULL;
    }

    c = ngx_get_connection(fd, pc->pg->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->data = pc;
    c->read->handler = ngx_http_dossier_pg_read_handler;
    c->write->handler = ngx_http_dossier_pg_write_handler;
    c->read->log = pc->pg->log;
    c->write->log = pc->pg->log;
    pc->c = c;

    if (ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT) != NGX_OK) {
        return NGX_ERROR;
    }

    if (timer) {
        ngx_add_timer(c->read, (ngx_msec_t) timer);
    }

    return NGX_OK;
}


static void
ngx_http_dossier_pg_connect_poll(ngx_http_dossier_pg_conn_t *pc)
{
    ngx_http_dossier_pg_t      *pg = pc->pg;
    PostgresPollingStatusType   rc;

    rc = PQconnectPoll(pc->conn);

    switch (rc) {

    case PGRES_POLLING_READING:
    case PGRES_POLLING_WRITING:
        /* level-triggered write interest: if the socket is writable
         * already, the event fires at once, no edge is missed */
        if (ngx_http_dossier_pg_wrap_socket(pc) != NGX_OK
            || ngx_http_dossier_pg_want_write(pc, rc == PGRES_POLLING_WRITING)
               != NGX_OK)
        {
            ngx_http_dossier_pg_fail(pc, "cannot watch the socket");
        }

        return;

    case PGRES_POLLING_OK:
        break;

    default:
        ngx_http_dossier_pg_fail(pc, PQerrorMessage(pc->conn));
        return;
    }

    if (pc->c->read->timer_set) {
        ngx_del_timer(pc->c->read);
    }

    if (ngx_http_dossier_pg_want_write(pc, 0) != NGX_OK) {
        ngx_http_dossier_pg_fail(pc, "cannot watch the socket");
        return;
    }

    if (pc->listener) {
        pc->state = NGX_HTTP_DOSSIER_PG_IDLE;
        pc->backoff = 0;
        pc->query = &pg->listen_query;
        pg->listen_query.conn = pc;

        if (ngx_http_dossier_pg_send(pc, pg->listen_query.sql, NULL, 0)
            != NGX_OK)
        {
            ngx_http_dossier_pg_fail(pc, PQerrorMessage(pc->conn));
        }

        return;
    }

    ngx_log_error(NGX_LOG_INFO, pg->log, 0,
                  "dossier: PostgreSQL connection %ui established",
                  (ngx_uint_t) (pc - pg->conns));

    pc->state = NGX_HTTP_DOSSIER_PG_IDLE;
    pc->backoff = 0;
    pg->up++;

    /* first connection, or refreshes missed while PostgreSQL was away */
    if (pg->catalog == NULL || !pg->refresh.timer_set) {
        ngx_http_dossier_pg_load_catalog(pg);
    }

    ngx_http_dossier_pg_dispatch(pg);
}


static void
ngx_http_dossier_pg_read_handler(ngx_event_t *rev)
{
    PGresult                    *res;
    ngx_connection_t            *c = rev->data;
    ngx_http_dossier_pg_conn_t  *pc = c->data;

    if (rev->timedout) {
        rev->timedout = 0;
        ngx_http_dossier_pg_fail(pc,
                                 pc->state == NGX_HTTP_DOSSIER_PG_CONNECTING
                                 ? "connect timed out" : "query timed out");
        return;
    }

    if (pc->state == NGX_HTTP_DOSSIER_PG_CONNECTING) {
        ngx_http_dossier_pg_connect_poll(pc);
        return;
    }

    if (!PQconsumeInput(pc->conn)) {
        ngx_http_dossier_pg_fail(pc, PQerrorMessage(pc->conn));
        return;
    }

    if (pc->listener) {
        ngx_http_dossier_pg_notifies(pc);
    }

    if (pc->state == NGX_HTTP_DOSSIER_PG_IDLE) {
        /* nothing is expected while idle: a notice, or the server going
         * away (then the connection is bad already or at the next read) */
        if (PQstatus(pc->conn) == CONNECTION_BAD) {
            ngx_http_dossier_pg_fail(pc, PQerrorMessage(pc->conn));
        }

        return;
    }

    while (!PQisBusy(pc->conn)) {
        res = PQgetResult(pc->conn);

        if (res == NULL) {
            /* only now is the statement, and its implicit COMMIT, done */
            ngx_http_dossier_pg_complete(pc);
            return;
        }

        switch (PQresultStatus(res)) {

        case PGRES_TUPLES_OK:
        case PGRES_COMMAND_OK:
            if (pc->result == NULL) {
                pc->result = res;
                continue;
            }

            break;

        default:
            if (!pc->failed) {
                ngx_cpystrn((u_char *) pc->sqlstate,
                            (u_char *) (PQresultErrorField(res,
                                                   PG_DIAG_SQLSTATE) ?: ""),
                            sizeof(pc->sqlstate));
                ngx_http_dossier_pg_log(pc, "PostgreSQL",
                                        PQresultErrorMessage(res));
            }

            pc->failed = 1;
            break;
        }

        PQclear(res);
    }
}


static void
ngx_http_dossier_pg_write_handler(ngx_event_t *wev)
{
    ngx_connection_t            *c = wev->data;
    ngx_http_dossier_pg_conn_t  *pc = c->data;

    if (pc->state == NGX_HTTP_DOSSIER_PG_CONNECTING) {
        ngx_http_dossier_pg_connect_poll(pc);
        return;
    }

    if (ngx_http_dossier_pg_flush(pc) != NGX_OK) {
        ngx_http_dossier_pg_fail(pc, PQerrorMessage(pc->conn));
    }
}


static ngx_int_t
ngx_http_dossier_pg_want_write(ngx_http_dossier_pg_conn_t *pc,
    ngx_uint_t want)
{
    ngx_event_t  *wev = pc->c->write;

    if (want && !wev->active) {
        return ngx_add_event(wev, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);
    }

    if (!want && wev->active) {
        return ngx_del_event(wev, NGX_WRITE_EVENT, 0);
    }

    return NGX_OK;
}


/* Sends what libpq has buffered; keeps write interest until it is all out
 * (a big batch takes several calls). */
static ngx_int_t
ngx_http_dossier_pg_flush(ngx_http_dossier_pg_conn_t *pc)
{
    int  rc;

    rc = PQflush(pc->conn);

    if (rc == -1) {
        return NGX_ERROR;
    }

    return ngx_http_dossier_pg_want_write(pc, rc == 1);
}


static void
ngx_http_dossier_pg_dispatch(ngx_http_dossier_pg_t *pg)
{
    ngx_uint_t                    i;
    ngx_queue_t                  *head;
    ngx_http_dossier_pg_conn_t   *pc;
    ngx_http_dossier_pg_query_t  *q;

    for (i = 0; i < pg->conf->pool_size; i++) {
        pc = &pg->conns[i];

        while (pc->state == NGX_HTTP_DOSSIER_PG_IDLE
               && !ngx_queue_empty(&pg->queries))
        {
            head = ngx_queue_head(&pg->queries);
            q = ngx_queue_data(head, ngx_http_dossier_pg_query_t, queue);
            ngx_queue_remove(head);
            pg->nqueries--;
            q->queued = 0;

            if ((ngx_msec_int_t) (ngx_current_msec - q->deadline) >= 0) {
                ngx_http_dossier_pg_query_done(q, NULL, "");
                continue;
            }

            pc->query = q;
            q->conn = pc;

            if (ngx_http_dossier_pg_send(pc, q->sql, q->params, q->nparams)
                != NGX_OK)
            {
                ngx_http_dossier_pg_fail(pc, PQerrorMessage(pc->conn));
            }
        }

        if (pc->state != NGX_HTTP_DOSSIER_PG_IDLE) {
            continue;
        }

        if (ngx_queue_empty(&pg->queue)) {
            return;
        }

        /*
         * Group commit: while the allowed batches are in flight, dossiers
         * gather in the queue and go together in the next one; the other
         * connections stay free for lookups and progress.
         */
        if (pg->batching >= pg->conf->batch_conns) {
            continue;
        }

        if (ngx_http_dossier_pg_send_batch(pc) != NGX_OK) {
            ngx_http_dossier_pg_fail(pc, PQerrorMessage(pc->conn));
        }
    }
}


/*
 * Takes queued items into one batch: at most batch_size, each MaHoSo once
 * (a second submission of the same code waits for the next batch, so it
 * sees the first one's row), a solo item alone.  Items that waited past
 * their deadline are answered "unavailable" instead.
 */
static ngx_int_t
ngx_http_dossier_pg_send_batch(ngx_http_dossier_pg_conn_t *pc)
{
    u_char                      *p;
    size_t                       len;
    ngx_uint_t                   i, n;
    const char                  *param;
    ngx_queue_t                 *q, *next;
    ngx_http_dossier_pg_t       *pg = pc->pg;
    ngx_http_dossier_pg_item_t  *item;

    n = 0;
    len = sizeof("[]");

    for (q = ngx_queue_head(&pg->queue);
         q != ngx_queue_sentinel(&pg->queue) && n < pg->conf->batch_size;
         q = next)
    {
        next = ngx_queue_next(q);
        item = ngx_queue_data(q, ngx_http_dossier_pg_item_t, queue);

        if ((ngx_msec_int_t) (ngx_current_msec - item->deadline) >= 0) {
            ngx_http_dossier_pg_dequeue(item);
            ngx_http_dossier_pg_answer(item, NGX_HTTP_DOSSIER_UNAVAILABLE);
            continue;
        }

        if (item->solo && n > 0) {
            break;
        }

        for (i = 0; i < n; i++) {
            if (pc->items[i]->ma_ho_so.len == item->ma_ho_so.len
                && ngx_strncmp(pc->items[i]->ma_ho_so.data,
                               item->ma_ho_so.data, item->ma_ho_so.len) == 0)
            {
                break;
            }
        }

        if (i < n) {
            continue;
        }

        ngx_http_dossier_pg_dequeue(item);
        item->conn = pc;
        item->slot = n;
        pc->items[n++] = item;
        len += item->json.len + 1;

        if (item->solo) {
            break;
        }
    }

    pc->nitems = n;

    if (n == 0) {
        return NGX_OK;
    }

    pg->batching++;

    if (len > pc->bufsize) {
        ngx_free(pc->buf);
        pc->bufsize = ngx_max(len, 64 * 1024);
        pc->buf = ngx_alloc(pc->bufsize, pg->log);
        if (pc->buf == NULL) {
            pc->bufsize = 0;
            return NGX_ERROR;
        }
    }

    p = pc->buf;
    *p++ = '[';

    for (i = 0; i < n; i++) {
        if (i) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, pc->items[i]->json.data, pc->items[i]->json.len);
    }

    *p++ = ']';
    *p = '\0';

    param = (const char *) pc->buf;

    return ngx_http_dossier_pg_send(pc, NGX_HTTP_DOSSIER_BATCH_SQL, &param,
                                    1);
}


static ngx_int_t
ngx_http_dossier_pg_send(ngx_http_dossier_pg_conn_t *pc, const char *sql,
    const char *const *params, int nparams)
{
    if (!PQsendQueryParams(pc->conn, sql, nparams, NULL, params, NULL, NULL,
                           0))
    {
        return NGX_ERROR;
    }

    pc->state = NGX_HTTP_DOSSIER_PG_BUSY;
    pc->failed = 0;
    pc->result = NULL;
    ngx_add_timer(pc->c->read, pc->pg->conf->query_timeout);

    return ngx_http_dossier_pg_flush(pc);
}


static void
ngx_http_dossier_pg_complete(ngx_http_dossier_pg_conn_t *pc)
{
    ngx_uint_t                    ok;
    ngx_http_dossier_pg_query_t  *q;

    if (pc->c->read->timer_set) {
        ngx_del_timer(pc->c->read);
    }

    ok = !pc->failed && pc->result != NULL;

    /* still BUSY while answering: an answer may queue new work, which must
     * not be sent on this connection before we are done with it */
    if (pc->query) {
        q = pc->query;
        pc->query = NULL;
        ngx_http_dossier_pg_query_done(q, ok ? pc->result : NULL,
                                       pc->sqlstate);

    } else {
        ngx_http_dossier_pg_batch_done(pc, ok);
    }

    PQclear(pc->result);
    pc->result = NULL;

    /* a connection goes back to the pool only outside any transaction */
    if (PQtransactionStatus(pc->conn) != PQTRANS_IDLE) {
        ngx_http_dossier_pg_fail(pc, "left inside a transaction");
        return;
    }

    pc->state = NGX_HTTP_DOSSIER_PG_IDLE;
    ngx_http_dossier_pg_dispatch(pc->pg);
}


static void
ngx_http_dossier_pg_batch_done(ngx_http_dossier_pg_conn_t *pc, ngx_uint_t ok)
{
    char                        *outcome;
    ngx_int_t                    ord;
    ngx_uint_t                   i, rows;
    ngx_http_dossier_pg_t       *pg = pc->pg;
    ngx_http_dossier_pg_item_t  *item;

    rows = ok ? (ngx_uint_t) PQntuples(pc->result) : 0;

    for (i = 0; i < rows; i++) {
        ord = ngx_atoi((u_char *) PQgetvalue(pc->result, i, 0),
                       PQgetlength(pc->result, i, 0));

        if (ord < 0 || (ngx_uint_t) ord >= pc->nitems
            || pc->items[ord] == NULL)
        {
            continue;
        }

        item = pc->items[ord];
        pc->items[ord] = NULL;
        item->conn = NULL;

        /* the status stays valid while the handler runs */
        item->id = ngx_http_dossier_pg_status(pc->result, i, 2,
                                              &item->status);
        outcome = PQgetvalue(pc->result, i, 1);

        ngx_http_dossier_pg_answer(item,
            outcome[0] == 'c' && outcome[1] == 'r'
                ? NGX_HTTP_DOSSIER_STORED_NEW
                : outcome[0] == 'd' ? NGX_HTTP_DOSSIER_STORED_BEFORE
                                    : NGX_HTTP_DOSSIER_CONFLICT);
    }

    /*
     * What is left was not stored: the transaction rolled back.  An error
     * about the data (SQLSTATE classes 22 and 23) may be one item's fault,
     * so a batch of several is retried one by one to isolate it; any other
     * failure is the server's, and the client may retry.
     */
    for (i = 0; i < pc->nitems; i++) {
        item = pc->items[i];
        if (item == NULL) {
            continue;
        }

        pc->items[i] = NULL;
        item->conn = NULL;

        if (pc->failed
            && (ngx_strncmp(pc->sqlstate, "22", 2) == 0
                || ngx_strncmp(pc->sqlstate, "23", 2) == 0))
        {
            if (pc->nitems > 1) {
                item->solo = 1;
                ngx_http_dossier_pg_enqueue(pg, item, 1);
                continue;
            }

            ngx_http_dossier_pg_answer(item, NGX_HTTP_DOSSIER_REJECTED);
            continue;
        }

        ngx_http_dossier_pg_answer(item, NGX_HTTP_DOSSIER_UNAVAILABLE);
    }

    pc->nitems = 0;
    pg->batching--;
}


static void
ngx_http_dossier_pg_query_done(ngx_http_dossier_pg_query_t *q, PGresult *res,
    const char *sqlstate)
{
    q->conn = NULL;
    ngx_cpystrn((u_char *) q->sqlstate, (u_char *) sqlstate,
                sizeof(q->sqlstate));
    q->handler(q, res);
}


static void
ngx_http_dossier_pg_load_catalog(ngx_http_dossier_pg_t *pg)
{
    ngx_http_dossier_pg_query_t  *q = &pg->catalog_query;

    if (q->queued || q->conn) {
        return;
    }

    /* ahead of everything, and regardless of the queue's limit */
    q->deadline = ngx_current_msec + pg->conf->query_timeout;
    q->pg = pg;
    q->queued = 1;
    ngx_queue_insert_head(&pg->queries, &q->queue);
    pg->nqueries++;
}


static void
ngx_http_dossier_pg_catalog_done(ngx_http_dossier_pg_query_t *q,
    PGresult *res)
{
    int                     i, rows;
    ngx_msec_t              next;
    dg_catalog_t           *cat;
    ngx_http_dossier_pg_t  *pg = q->data;

    cat = res ? dg_catalog_create() : NULL;

    if (cat) {
        rows = PQntuples(res);

        for (i = 0; i < rows; i++) {
            if (dg_catalog_add(cat, PQgetvalue(res, i, 0),
                               PQgetvalue(res, i, 1))
                != 0)
            {
                dg_catalog_free(cat);
                cat = NULL;
                break;
            }
        }
    }

    if (cat) {
        ngx_log_error(NGX_LOG_INFO, pg->log, 0,
                      "dossier: procedure catalog loaded, %uz procedures",
                      dg_catalog_size(cat));

        dg_catalog_free(pg->catalog);
        pg->catalog = cat;
        next = pg->conf->catalog_refresh;

        ngx_http_dossier_pg_wake(pg, 1);

    } else {
        ngx_log_error(NGX_LOG_ERR, pg->log, 0,
                      "dossier: procedure catalog not loaded, retrying");
        next = NGX_HTTP_DOSSIER_PG_BACKOFF_MAX;
    }

    if (next && !pg->refresh.timer_set && !ngx_exiting) {
        ngx_add_timer(&pg->refresh, next);
    }
}


/* Reloads the catalog; while PostgreSQL is away the timer stops, and the
 * next connection to come up reloads it. */
static void
ngx_http_dossier_pg_refresh(ngx_event_t *ev)
{
    ngx_http_dossier_pg_t  *pg = ev->data;

    if (ngx_http_dossier_pg_usable(pg)) {
        ngx_http_dossier_pg_load_catalog(pg);
        ngx_http_dossier_pg_dispatch(pg);
    }
}


/*
 * Drops the connection and schedules a reconnect with exponential backoff
 * (no reconnect storm when the server is down).  A batch in flight is
 * answered "unavailable": its COMMIT may or may not have happened, and a
 * retry resolves that safely through the MaHoSo idempotency key.
 */
static void
ngx_http_dossier_pg_fail(ngx_http_dossier_pg_conn_t *pc, const char *why)
{
    ngx_uint_t                    i;
    ngx_http_dossier_pg_t        *pg = pc->pg;
    ngx_http_dossier_pg_query_t  *q;

    ngx_http_dossier_pg_log(pc, "PostgreSQL connection",
                            why ? why : "failed");

    if (pc->query) {
        q = pc->query;
        pc->query = NULL;
        ngx_http_dossier_pg_query_done(q, NULL, "");
    }

    for (i = 0; i < pc->nitems; i++) {
        if (pc->items[i]) {
            pc->items[i]->conn = NULL;
            ngx_http_dossier_pg_answer(pc->items[i],
                                       NGX_HTTP_DOSSIER_UNAVAILABLE);
            pc->items[i] = NULL;
        }
    }

    if (pc->nitems) {
        pc->nitems = 0;
        pg->batching--;
    }

    if (!pc->listener
        && (pc->state == NGX_HTTP_DOSSIER_PG_IDLE
            || pc->state == NGX_HTTP_DOSSIER_PG_BUSY))
    {
        pg->up--;
    }

    ngx_http_dossier_pg_close(pc);

    pc->backoff = pc->backoff
                  ? ngx_min(pc->backoff * 2, NGX_HTTP_DOSSIER_PG_BACKOFF_MAX)
                  : NGX_HTTP_DOSSIER_PG_BACKOFF_MIN;

    if (!ngx_exiting && !ngx_terminate && !ngx_quit) {
        ngx_add_timer(&pc->retry, pc->backoff);
    }

    if (pc->listener) {
        pg->listening = 0;
        return;
    }

    for (i = 0; i < pg->conf->pool_size; i++) {
        if (pg->conns[i].state != NGX_HTTP_DOSSIER_PG_DOWN) {
            return;
        }
    }

    /* nobody will serve the queue soon: answer now rather than time out */
    ngx_http_dossier_pg_fail_queue(pg);
    ngx_http_dossier_pg_wake(pg, 0);
}


static void
ngx_http_dossier_pg_fail_queue(ngx_http_dossier_pg_t *pg)
{
    ngx_queue_t                  *q;
    ngx_http_dossier_pg_item_t   *item;
    ngx_http_dossier_pg_query_t  *query;

    while (!ngx_queue_empty(&pg->queries)) {
        q = ngx_queue_head(&pg->queries);
        ngx_queue_remove(q);
        pg->nqueries--;

        query = ngx_queue_data(q, ngx_http_dossier_pg_query_t, queue);
        query->queued = 0;
        ngx_http_dossier_pg_query_done(query, NULL, "");
    }

    while (!ngx_queue_empty(&pg->queue)) {
        q = ngx_queue_head(&pg->queue);
        item = ngx_queue_data(q, ngx_http_dossier_pg_item_t, queue);

        ngx_http_dossier_pg_dequeue(item);
        ngx_http_dossier_pg_answer(item, NGX_HTTP_DOSSIER_UNAVAILABLE);
    }
}


/* Every change to the submission queue goes through these two, so the
 * counts per sector always match what waits. */
static void
ngx_http_dossier_pg_enqueue(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_item_t *item, ngx_uint_t head)
{
    item->pg = pg;
    item->queued = 1;

    if (head) {
        ngx_queue_insert_head(&pg->queue, &item->queue);

    } else {
        ngx_queue_insert_tail(&pg->queue, &item->queue);
    }

    pg->queued++;
    (*item->sector_count)++;
}


static void
ngx_http_dossier_pg_dequeue(ngx_http_dossier_pg_item_t *item)
{
    ngx_queue_remove(&item->queue);
    item->queued = 0;
    item->pg->queued--;
    (*item->sector_count)--;
}


/* The waiting count of a sector; a slot nobody waits in is reused. */
static ngx_uint_t *
ngx_http_dossier_pg_sector(ngx_http_dossier_pg_t *pg, ngx_str_t *sector)
{
    ngx_uint_t  i, free;
    size_t      len;

    len = ngx_min(sector->len, sizeof(pg->sectors[0].name) - 1);
    free = NGX_HTTP_DOSSIER_PG_SECTORS;

    for (i = 0; i < NGX_HTTP_DOSSIER_PG_SECTORS; i++) {
        if (ngx_strncmp(pg->sectors[i].name, sector->data, len) == 0
            && pg->sectors[i].name[len] == '\0')
        {
            return &pg->sectors[i].count;
        }

        if (pg->sectors[i].count == 0 && free == NGX_HTTP_DOSSIER_PG_SECTORS) {
            free = i;
        }
    }

    if (free == NGX_HTTP_DOSSIER_PG_SECTORS) {
        return NULL;
    }

    ngx_memzero(pg->sectors[free].name, sizeof(pg->sectors[0].name));
    ngx_memcpy(pg->sectors[free].name, sector->data, len);

    return &pg->sectors[free].count;
}


/* libpq owns the socket: nginx forgets it, PQfinish() closes it once. */
static void
ngx_http_dossier_pg_close(ngx_http_dossier_pg_conn_t *pc)
{
    ngx_connection_t  *c = pc->c;

    if (c) {
        if (c->read->timer_set) {
            ngx_del_timer(c->read);
        }

        if (c->read->active) {
            ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
        }

        if (c->write->active) {
            ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
        }

        if (c->read->posted) {
            ngx_delete_posted_event(c->read);
        }

        if (c->write->posted) {
            ngx_delete_posted_event(c->write);
        }

        c->fd = (ngx_socket_t) -1;
        ngx_free_connection(c);
        pc->c = NULL;
    }

    if (pc->result) {
        PQclear(pc->result);
        pc->result = NULL;
    }

    if (pc->conn) {
        PQfinish(pc->conn);
        pc->conn = NULL;
    }

    pc->state = NGX_HTTP_DOSSIER_PG_DOWN;
}


static void
ngx_http_dossier_pg_answer(ngx_http_dossier_pg_item_t *item,
    ngx_http_dossier_outcome_e outcome)
{
    item->outcome = outcome;
    item->handler(item);
}


char *
ngx_http_dossier_pg_parse_conninfo(ngx_conf_t *cf, ngx_str_t *conninfo,
    ngx_http_dossier_pg_conf_t *conf)
{
    char              *err, *host, *hostaddr;
    u_char            *text;
    ngx_uint_t         n, i;
    PQconninfoOption  *opts, *o;

    text = ngx_pnalloc(cf->pool, conninfo->len + 1);
    if (text == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_cpystrn(text, conninfo->data, conninfo->len + 1);

    err = NULL;
    opts = PQconninfoParse((char *) text, &err);
    if (opts == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid PostgreSQL conninfo: %s",
                           err ? err : "out of memory");
        PQfreemem(err);
        return NGX_CONF_ERROR;
    }

    host = NULL;
    hostaddr = NULL;
    n = 0;

    for (o = opts; o->keyword; o++) {
        if (o->val == NULL) {
            continue;
        }

        n++;

        if (ngx_strcmp(o->keyword, "host") == 0) {
            host = o->val;

        } else if (ngx_strcmp(o->keyword, "hostaddr") == 0) {
            hostaddr = o->val;
        }
    }

    err = NULL;

    if (host == NULL && hostaddr == NULL) {
        err = "set \"host\" to a unix-socket directory or \"hostaddr\" to "
              "a numeric address";

    } else if ((host && ngx_strchr(host, ',')) 
               || (hostaddr && ngx_strchr(hostaddr, ',')))
    {
        err = "only one server may be given";

    } else if (hostaddr == NULL && host[0] != '/') {
        err = "\"host\" must be a unix-socket directory; give a TCP server "
              "as \"hostaddr\" (a numeric address: workers resolve no "
              "names)";
    }

    if (err) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "PostgreSQL conninfo: %s",
                           err);
        PQconninfoFree(opts);
        return NGX_CONF_ERROR;
    }

    conf->keywords = ngx_pcalloc(cf->pool, (n + 1) * sizeof(char *));
    conf->values = ngx_pcalloc(cf->pool, (n + 1) * sizeof(char *));
    if (conf->keywords == NULL || conf->values == NULL) {
        PQconninfoFree(opts);
        return NGX_CONF_ERROR;
    }

    for (o = opts, i = 0; o->keyword; o++) {
        if (o->val == NULL) {
            continue;
        }

        conf->keywords[i] = ngx_http_dossier_pg_strdup(cf->pool, o->keyword);
        conf->values[i] = ngx_http_dossier_pg_strdup(cf->pool, o->val);
        if (conf->keywords[i] == NULL || conf->values[i] == NULL) {
            PQconninfoFree(opts);
            return NGX_CONF_ERROR;
        }

        i++;
    }

    PQconninfoFree(opts);

    return NGX_CONF_OK;
}


static char *
ngx_http_dossier_pg_strdup(ngx_pool_t *pool, const char *s)
{
    char    *p;
    size_t   len;

    len = ngx_strlen(s) + 1;

    p = ngx_pnalloc(pool, len);
    if (p) {
        ngx_memcpy(p, s, len);
    }

    return p;
}


/* the columns of the dossier_status view, in order */
enum {
    NGX_HTTP_DOSSIER_COL_ID = 0,
    NGX_HTTP_DOSSIER_COL_MA_HO_SO,
    NGX_HTTP_DOSSIER_COL_MA_TTHC,
    NGX_HTTP_DOSSIER_COL_MA_LINH_VUC,
    NGX_HTTP_DOSSIER_COL_OWNER,
    NGX_HTTP_DOSSIER_COL_TRANG_THAI,
    NGX_HTTP_DOSSIER_COL_VERSION,
    NGX_HTTP_DOSSIER_COL_NGAY_TIEP_NHAN,
    NGX_HTTP_DOSSIER_COL_NGAY_HEN_TRA,
    NGX_HTTP_DOSSIER_COL_NGAY_TRA,
    NGX_HTTP_DOSSIER_COL_RECEIVED_AT,
    NGX_HTTP_DOSSIER_COL_UPDATED_AT
};


static int64_t
ngx_http_dossier_pg_int(PGresult *res, int row, int col)
{
    return ngx_atoof((u_char *) PQgetvalue(res, row, col),
                     PQgetlength(res, row, col));
}


int64_t
ngx_http_dossier_pg_status(PGresult *res, int row, int col, dg_status_t *s)
{
    ngx_memzero(s, sizeof(dg_status_t));

    if (PQgetisnull(res, row, col + NGX_HTTP_DOSSIER_COL_ID)) {
        return 0;
    }

    s->ma_ho_so = PQgetvalue(res, row, col + NGX_HTTP_DOSSIER_COL_MA_HO_SO);
    s->ma_tthc = PQgetvalue(res, row, col + NGX_HTTP_DOSSIER_COL_MA_TTHC);
    s->ma_linh_vuc = PQgetvalue(res, row,
                                col + NGX_HTTP_DOSSIER_COL_MA_LINH_VUC);
    s->owner = PQgetvalue(res, row, col + NGX_HTTP_DOSSIER_COL_OWNER);
    s->trang_thai = (int) ngx_http_dossier_pg_int(res, row,
                              col + NGX_HTTP_DOSSIER_COL_TRANG_THAI);
    s->version = ngx_http_dossier_pg_int(res, row,
                              col + NGX_HTTP_DOSSIER_COL_VERSION);
    s->ngay_tiep_nhan = (time_t) ngx_http_dossier_pg_int(res, row,
                              col + NGX_HTTP_DOSSIER_COL_NGAY_TIEP_NHAN);
    s->ngay_hen_tra = (time_t) ngx_http_dossier_pg_int(res, row,
                              col + NGX_HTTP_DOSSIER_COL_NGAY_HEN_TRA);
    s->ngay_tra = (time_t) ngx_http_dossier_pg_int(res, row,
                              col + NGX_HTTP_DOSSIER_COL_NGAY_TRA);
    s->received_at = (time_t) ngx_http_dossier_pg_int(res, row,
                              col + NGX_HTTP_DOSSIER_COL_RECEIVED_AT);
    s->updated_at = (time_t) ngx_http_dossier_pg_int(res, row,
                              col + NGX_HTTP_DOSSIER_COL_UPDATED_AT);

    return ngx_http_dossier_pg_int(res, row, col + NGX_HTTP_DOSSIER_COL_ID);
}


/*
 * One log line per event (libpq's messages span lines), with personal IDs
 * and phone numbers masked: an error about a row may quote its values.
 */
static void
ngx_http_dossier_pg_log(ngx_http_dossier_pg_conn_t *pc, const char *what,
    const char *why)
{
    u_char  msg[512], *p;

    p = ngx_cpystrn(msg, (u_char *) why, sizeof(msg));
    while (p > msg && (p[-1] == '\n' || p[-1] == ' ')) {
        *--p = '\0';
    }

    for (p = msg; *p; p++) {
        if (*p == '\n' || *p == '\t') {
            *p = ' ';
        }
    }

    dg_mask((char *) msg, ngx_strlen(msg));

    if (pc->listener) {
        ngx_log_error(NGX_LOG_ERR, pc->pg->log, 0,
                      "dossier: %s (listening): %s", what, msg);
        return;
    }

    ngx_log_error(NGX_LOG_ERR, pc->pg->log, 0, "dossier: %s %ui: %s", what,
                  (ngx_uint_t) (pc - pc->pg->conns), msg);
}

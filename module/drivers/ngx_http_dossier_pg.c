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
#include "dg_outcome.h"
#include "ngx_http_dossier_pg.h"


#define NGX_HTTP_DOSSIER_PG_DOWN        0
#define NGX_HTTP_DOSSIER_PG_CONNECTING  1
#define NGX_HTTP_DOSSIER_PG_IDLE        2
#define NGX_HTTP_DOSSIER_PG_BUSY        3

/* how soon a backend notices that its statement's connection was dropped
 * (see ngx_http_dossier_pg_options) */
#define NGX_HTTP_DOSSIER_PG_OPTIONS                                          \
    "-c client_connection_check_interval=1000"

#define NGX_HTTP_DOSSIER_PG_BACKOFF_MIN  100
#define NGX_HTTP_DOSSIER_PG_BACKOFF_MAX  2000

#define NGX_HTTP_DOSSIER_BATCH_SQL                                           \
    "SELECT b.ord, b.outcome, (b.st).* FROM dossier_submit_batch($1::jsonb) b"

/* the name it is prepared under, once per connection */
#define NGX_HTTP_DOSSIER_BATCH_STMT  "dg_batch"

#define NGX_HTTP_DOSSIER_CATALOG_SQL                                         \
    "SELECT ma_tthc, ma_linh_vuc FROM procedures"


struct ngx_http_dossier_pg_conn_s {
    ngx_http_dossier_pg_t        *pg;
    PGconn                       *conn;
    ngx_connection_t             *c;
    ino_t                         ino;        /* c's socket */
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
    uint64_t                      sent_us;    /* the batch, for stats */

    u_char                       *buf;
    size_t                        bufsize;

    ngx_http_dossier_pg_query_t   prepare;    /* the batch statement */

    unsigned                      listener:1;   /* pg->listener */
    unsigned                      prepared:1;
};


struct ngx_http_dossier_pg_s {
    ngx_http_dossier_pg_conf_t   *conf;
    ngx_http_dossier_pg_stats_t  *stats;
    ngx_log_t                    *log;
    ngx_http_dossier_pg_conn_t   *conns;
    ngx_queue_t                   queue;      /* submissions */
    dg_admission_t               *admission;  /* places in the queue */
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
    /* answers waiting for the next turn of the event loop */
    ngx_event_t                   post;
    ngx_queue_t                   posted_items;
    ngx_queue_t                   posted_queries;
    ngx_queue_t                   posted_waiters;
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
static ngx_uint_t ngx_http_dossier_pg_backlog(ngx_http_dossier_pg_t *pg);
static ngx_int_t ngx_http_dossier_pg_send_batch(
    ngx_http_dossier_pg_conn_t *pc);
static void ngx_http_dossier_pg_prepared(ngx_http_dossier_pg_query_t *q,
    PGresult *res);
static ngx_int_t ngx_http_dossier_pg_sent(ngx_http_dossier_pg_conn_t *pc);
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
static void ngx_http_dossier_pg_state(ngx_http_dossier_pg_conn_t *pc,
    ngx_uint_t state);
static void ngx_http_dossier_pg_answer(ngx_http_dossier_pg_item_t *item,
    ngx_http_dossier_outcome_e outcome);
static ngx_int_t ngx_http_dossier_pg_admit(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_item_t *item);
static void ngx_http_dossier_pg_queue(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_item_t *item);
static void ngx_http_dossier_pg_finish(ngx_http_dossier_pg_item_t *item);
static void ngx_http_dossier_pg_post_item(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_item_t *item, ngx_http_dossier_outcome_e outcome);
static void ngx_http_dossier_pg_post_query(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_query_t *q);
static void ngx_http_dossier_pg_deliver(ngx_event_t *ev);
static void ngx_http_dossier_pg_fail_queue(ngx_http_dossier_pg_t *pg);
static void ngx_http_dossier_pg_enqueue(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_item_t *item, ngx_uint_t head);
static void ngx_http_dossier_pg_dequeue(ngx_http_dossier_pg_item_t *item);
static void ngx_http_dossier_pg_query_done(ngx_http_dossier_pg_query_t *q,
    PGresult *res, const char *sqlstate);
static void ngx_http_dossier_pg_refresh(ngx_event_t *ev);
static void ngx_http_dossier_pg_listened(ngx_http_dossier_pg_query_t *q,
    PGresult *res);
static void ngx_http_dossier_pg_notifies(ngx_http_dossier_pg_conn_t *pc);
static char *ngx_http_dossier_pg_check_servers(const char *host,
    const char *hostaddr, const char *port, const char *attrs);
static ngx_uint_t ngx_http_dossier_pg_count(const char *list);
static char *ngx_http_dossier_pg_options(ngx_pool_t *pool,
    const char *given);
static char *ngx_http_dossier_pg_strdup(ngx_pool_t *pool, const char *s);
static void ngx_http_dossier_pg_log(ngx_http_dossier_pg_conn_t *pc,
    const char *what, const char *why);


ngx_http_dossier_pg_t *
ngx_http_dossier_pg_create(ngx_cycle_t *cycle,
    ngx_http_dossier_pg_conf_t *conf, ngx_http_dossier_pg_stats_t *stats)
{
    ngx_uint_t                   i;
    ngx_http_dossier_pg_t       *pg;
    ngx_http_dossier_pg_conn_t  *pc;

    pg = ngx_pcalloc(cycle->pool, sizeof(ngx_http_dossier_pg_t));
    if (pg == NULL) {
        return NULL;
    }

    pg->conf = conf;
    pg->stats = stats;
    pg->log = cycle->log;
    ngx_queue_init(&pg->queue);
    ngx_queue_init(&pg->queries);
    ngx_queue_init(&pg->catalog_waiters);
    ngx_queue_init(&pg->posted_items);
    ngx_queue_init(&pg->posted_queries);
    ngx_queue_init(&pg->posted_waiters);

    pg->admission = dg_admission_create(conf->queue_size, conf->sector_share);
    if (pg->admission == NULL) {
        return NULL;
    }

    pg->conns = ngx_pcalloc(cycle->pool, conf->pool_size
                                         * sizeof(ngx_http_dossier_pg_conn_t));
    if (pg->conns == NULL) {
        return NULL;
    }

    pg->refresh.handler = ngx_http_dossier_pg_refresh;
    pg->refresh.data = pg;
    pg->refresh.log = pg->log;
    pg->refresh.cancelable = 1;

    pg->post.handler = ngx_http_dossier_pg_deliver;
    pg->post.data = pg;
    pg->post.log = pg->log;

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

    pg->listen_query.pg = pg;
    pg->listen_query.sql = (char *) pg->listen_sql;
    pg->listen_query.handler = ngx_http_dossier_pg_listened;
    pg->listen_query.data = pg;

    stats->conns[NGX_HTTP_DOSSIER_PG_DOWN] += conf->pool_size;

    for (i = 0; i < conf->pool_size; i++) {
        pc = &pg->conns[i];
        pc->pg = pg;

        /* a group larger than a batch goes alone */
        pc->items = ngx_pcalloc(cycle->pool,
                        ngx_max(conf->batch_size, NGX_HTTP_DOSSIER_PG_GROUP_MAX)
                        * sizeof(ngx_http_dossier_pg_item_t *));
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

    if (pg->post.posted) {
        ngx_delete_posted_event(&pg->post);
    }

    dg_catalog_free(pg->catalog);
    pg->catalog = NULL;
    dg_admission_free(pg->admission);
    pg->admission = NULL;
}


ngx_int_t
ngx_http_dossier_pg_submit(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_item_t *item)
{
    ngx_int_t  rc;

    if (!ngx_http_dossier_pg_usable(pg)) {
        return NGX_DECLINED;
    }

    rc = ngx_http_dossier_pg_admit(pg, item);
    if (rc != NGX_OK) {
        return rc;
    }

    item->group = NULL;
    ngx_http_dossier_pg_queue(pg, item);

    ngx_http_dossier_pg_dispatch(pg);

    return NGX_OK;
}


/* Admission control (dg_admission): room in the queue and in the
 * sector's share.  NGX_OK: item->place is taken. */
static ngx_int_t
ngx_http_dossier_pg_admit(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_item_t *item)
{
    switch (dg_admission_enter(pg->admission, (char *) item->sector.data,
                               item->sector.len, &item->place))
    {
    case DG_ADMISSION_OK:
        return NGX_OK;

    case DG_ADMISSION_ERROR:
        return NGX_ERROR;

    default:
        return NGX_BUSY;
    }
}


static void
ngx_http_dossier_pg_queue(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_item_t *item)
{
    item->deadline = ngx_current_msec + pg->conf->query_timeout;
    item->conn = NULL;
    item->posted = 0;
    ngx_http_dossier_pg_enqueue(pg, item, 0);
}


ngx_int_t
ngx_http_dossier_pg_submit_group(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_group_t *g)
{
    ngx_uint_t                   i;
    ngx_http_dossier_pg_item_t  *item;

    if (g->nitems == 0 || g->nitems > NGX_HTTP_DOSSIER_PG_GROUP_MAX) {
        return NGX_ERROR;
    }

    if (!ngx_http_dossier_pg_usable(pg)) {
        return NGX_DECLINED;
    }

    g->pending = 0;
    g->queued = 0;
    g->solo = 0;

    /* item by item, in order: one after the other in the queue */
    for (i = 0; i < g->nitems; i++) {
        item = g->items[i];
        item->group = g;

        if (ngx_http_dossier_pg_admit(pg, item) != NGX_OK) {
            item->outcome = NGX_HTTP_DOSSIER_SATURATED;
            continue;
        }

        ngx_http_dossier_pg_queue(pg, item);
        g->pending++;
    }

    if (g->pending == 0) {
        return NGX_BUSY;
    }

    ngx_http_dossier_pg_dispatch(pg);

    return NGX_OK;
}


void
ngx_http_dossier_pg_cancel_group(ngx_http_dossier_pg_group_t *g)
{
    ngx_uint_t  i;

    for (i = 0; i < g->nitems; i++) {
        if (g->items[i]->group == g) {
            ngx_http_dossier_pg_cancel(g->items[i]);
        }
    }

    g->pending = 0;
}


void
ngx_http_dossier_pg_cancel(ngx_http_dossier_pg_item_t *item)
{
    if (item->queued) {
        ngx_http_dossier_pg_dequeue(item);
        item->conn = NULL;
        return;
    }

    if (item->posted) {
        ngx_queue_remove(&item->queue);
        item->posted = 0;
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
    q->posted = 0;
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

    if (q->posted) {
        ngx_queue_remove(&q->queue);
        q->posted = 0;
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
    w->posted = 0;
    ngx_queue_insert_tail(&pg->catalog_waiters, &w->queue);

    return NGX_OK;
}


void
ngx_http_dossier_pg_wait_cancel(ngx_http_dossier_pg_waiter_t *w)
{
    if (w->waiting || w->posted) {
        w->waiting = 0;
        w->posted = 0;
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


/* The waiters are answered on the next turn of the event loop, as every
 * other answer of the driver (see ngx_http_dossier_pg_deliver). */
static void
ngx_http_dossier_pg_wake(ngx_http_dossier_pg_t *pg, ngx_uint_t ready)
{
    ngx_queue_t                   *q;
    ngx_http_dossier_pg_waiter_t  *w;

    while (!ngx_queue_empty(&pg->catalog_waiters)) {
        q = ngx_queue_head(&pg->catalog_waiters);
        w = ngx_queue_data(q, ngx_http_dossier_pg_waiter_t, queue);
        ngx_queue_remove(q);

        if (w->timer.timer_set) {
            ngx_del_timer(&w->timer);
        }

        w->waiting = 0;
        w->posted = 1;
        w->ready = ready;
        ngx_queue_insert_tail(&pg->posted_waiters, q);
    }

    if (!ngx_queue_empty(&pg->posted_waiters)) {
        ngx_post_event(&pg->post, &ngx_posted_events);
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

    if (pc->backoff && !pc->listener) {
        pc->pg->stats->reconnects++;
    }

    pc->conn = PQconnectStartParams(conf->keywords, conf->values, 0);

    if (pc->conn == NULL || PQstatus(pc->conn) == CONNECTION_BAD
        || PQsetnonblocking(pc->conn, 1) != 0)
    {
        ngx_http_dossier_pg_fail(pc, "cannot start a connection");
        return;
    }

    ngx_http_dossier_pg_state(pc, NGX_HTTP_DOSSIER_PG_CONNECTING);

    if (ngx_http_dossier_pg_wrap_socket(pc) != NGX_OK) {
        ngx_http_dossier_pg_fail(pc, "cannot watch the socket");
        return;
    }

    ngx_add_timer(pc->c->read, conf->connect_timeout);

    ngx_http_dossier_pg_connect_poll(pc);
}


/*
 * Gives libpq's current socket to nginx.  libpq may replace the socket
 * while connecting (the next host of a list, or a retry without SSL), so
 * this runs again whenever the socket changes: a new socket may get the
 * old one's number, hence the inode.  The old descriptor is libpq's to
 * close, and closing it took it out of the event set.
 */
static ngx_int_t
ngx_http_dossier_pg_wrap_socket(ngx_http_dossier_pg_conn_t *pc)
{
    int                fd;
    struct stat        st;
    ngx_msec_int_t     timer;
    ngx_connection_t  *c;

    fd = PQsocket(pc->conn);
    if (fd == -1 || fstat(fd, &st) == -1) {
        return NGX_ERROR;
    }

    if (pc->c && pc->c->fd == fd && pc->ino == st.st_ino) {
        return NGX_OK;
    }

    timer = 0;

    if (pc->c) {
        if (pc->c->read->timer_set) {
            timer = ngx_max((ngx_msec_int_t) (pc->c->read->timer.key
                                              - ngx_current_msec), 1);
            ngx_del_timer(pc->c->read);
        }

        if (pc->c->read->posted) {
            ngx_delete_posted_event(pc->c->read);
        }

        if (pc->c->write->posted) {
            ngx_delete_posted_event(pc->c->write);
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
    pc->ino = st.st_ino;

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
        ngx_http_dossier_pg_state(pc, NGX_HTTP_DOSSIER_PG_IDLE);
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

    ngx_http_dossier_pg_state(pc, NGX_HTTP_DOSSIER_PG_IDLE);
    pc->backoff = 0;
    pg->up++;

    /* the batch statement is parsed once per connection: the connection
     * is busy until then, and goes to work when it is done */
    pc->prepared = 0;
    pc->prepare.handler = ngx_http_dossier_pg_prepared;
    pc->prepare.data = pc;
    pc->prepare.conn = pc;
    pc->query = &pc->prepare;

    if (!PQsendPrepare(pc->conn, NGX_HTTP_DOSSIER_BATCH_STMT,
                       NGX_HTTP_DOSSIER_BATCH_SQL, 1, NULL)
        || ngx_http_dossier_pg_sent(pc) != NGX_OK)
    {
        ngx_http_dossier_pg_fail(pc, PQerrorMessage(pc->conn));
        return;
    }

    /* first connection, or refreshes missed while PostgreSQL was away */
    if (pg->catalog == NULL || !pg->refresh.timer_set) {
        ngx_http_dossier_pg_load_catalog(pg);
    }
}


/* Without it (the function is missing, say) batches go unprepared, and
 * fail or succeed as they would. */
static void
ngx_http_dossier_pg_prepared(ngx_http_dossier_pg_query_t *q, PGresult *res)
{
    ngx_http_dossier_pg_conn_t  *pc = q->data;

    pc->prepared = (res != NULL);
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
                ngx_http_dossier_pg_post_query(pg, q);
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
         * Group commit: while a batch is in flight, dossiers gather in the
         * queue and go together in the next one; another batch goes beside
         * it only for a backlog, up to batch_conns; the other connections
         * stay free for lookups and progress.
         */
        if (pg->batching >= pg->conf->batch_conns
            || (pg->batching > 0 && !ngx_http_dossier_pg_backlog(pg)))
        {
            continue;
        }

        if (ngx_http_dossier_pg_send_batch(pc) != NGX_OK) {
            ngx_http_dossier_pg_fail(pc, PQerrorMessage(pc->conn));
        }
    }
}


/*
 * A backlog: a full batch waits, or the oldest dossier has waited
 * batch_wait.  Checked whenever a dossier is queued or a batch ends, so a
 * worker at rest sends one batch at a time, the largest commits, and one
 * whose queue grows faster than a commit empties it sends a second.
 */
static ngx_uint_t
ngx_http_dossier_pg_backlog(ngx_http_dossier_pg_t *pg)
{
    ngx_msec_t                   queued_at;
    ngx_http_dossier_pg_item_t  *oldest;

    if (dg_admission_waiting(pg->admission) >= pg->conf->batch_size) {
        return 1;
    }

    oldest = ngx_queue_data(ngx_queue_head(&pg->queue),
                            ngx_http_dossier_pg_item_t, queue);
    queued_at = oldest->deadline - pg->conf->query_timeout;

    return (ngx_msec_int_t) (ngx_current_msec - queued_at)
           >= (ngx_msec_int_t) pg->conf->batch_wait;
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
    ngx_http_dossier_pg_group_t *g;

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
            ngx_http_dossier_pg_post_item(pg, item,
                                          NGX_HTTP_DOSSIER_UNAVAILABLE);
            continue;
        }

        g = item->group;

        if (g) {
            /* a group goes whole, in order, in one transaction: beside
             * the others if it fits, else alone */
            if (n > 0 && (g->solo || n + g->queued > pg->conf->batch_size)) {
                break;
            }

            /* its items wait one after the other */
            while (item->group == g) {
                next = ngx_queue_next(q);

                ngx_http_dossier_pg_dequeue(item);
                item->conn = pc;
                item->slot = n;
                pc->items[n++] = item;
                len += item->json.len + 1;

                q = next;
                if (q == ngx_queue_sentinel(&pg->queue)) {
                    break;
                }

                item = ngx_queue_data(q, ngx_http_dossier_pg_item_t, queue);
            }

            if (g->solo) {
                break;
            }

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
    pc->sent_us = dg_metrics_now_us();

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

    if (!pc->prepared) {
        return ngx_http_dossier_pg_send(pc, NGX_HTTP_DOSSIER_BATCH_SQL,
                                        &param, 1);
    }

    if (!PQsendQueryPrepared(pc->conn, NGX_HTTP_DOSSIER_BATCH_STMT, 1,
                             &param, NULL, NULL, 0))
    {
        return NGX_ERROR;
    }

    return ngx_http_dossier_pg_sent(pc);
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

    return ngx_http_dossier_pg_sent(pc);
}


/* A statement was handed to libpq: the connection is busy until its
 * results end, within the query timeout. */
static ngx_int_t
ngx_http_dossier_pg_sent(ngx_http_dossier_pg_conn_t *pc)
{
    ngx_http_dossier_pg_state(pc, NGX_HTTP_DOSSIER_PG_BUSY);
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
        /* the next batch goes out (on another connection) before this
         * one's answers are written, and commits meanwhile */
        pc->pg->batching--;
        ngx_http_dossier_pg_dispatch(pc->pg);
        ngx_http_dossier_pg_batch_done(pc, ok);
    }

    PQclear(pc->result);
    pc->result = NULL;

    /* a primary demoted under us (25006 read_only_sql_transaction):
     * reconnect, and libpq's target_session_attrs finds the new one */
    if (pc->failed && ngx_strcmp(pc->sqlstate, "25006") == 0) {
        ngx_http_dossier_pg_fail(pc, "the server has become read-only");
        return;
    }

    /* a connection goes back to the pool only outside any transaction */
    if (PQtransactionStatus(pc->conn) != PQTRANS_IDLE) {
        ngx_http_dossier_pg_fail(pc, "left inside a transaction");
        return;
    }

    ngx_http_dossier_pg_state(pc, NGX_HTTP_DOSSIER_PG_IDLE);
    ngx_http_dossier_pg_dispatch(pc->pg);
}


static void
ngx_http_dossier_pg_batch_done(ngx_http_dossier_pg_conn_t *pc, ngx_uint_t ok)
{
    ngx_int_t                    ord;
    ngx_uint_t                   i, rows, data;
    ngx_http_dossier_pg_t       *pg = pc->pg;
    ngx_http_dossier_pg_item_t  *item;
    ngx_http_dossier_outcome_e   outcome;

    rows = ok ? (ngx_uint_t) PQntuples(pc->result) : 0;

    if (ok) {
        dg_histogram_observe(&pg->stats->commit_size,
                             &ngx_http_dossier_commit_size_buckets,
                             pc->nitems);
        dg_histogram_observe(&pg->stats->commit_time,
                             &ngx_http_dossier_commit_time_buckets,
                             dg_metrics_now_us() - pc->sent_us);
    }

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

        switch (ngx_http_dossier_pg_outcome(pc->result, i, 1)) {

        case DG_OUTCOME_CREATED:
            outcome = NGX_HTTP_DOSSIER_STORED_NEW;
            break;

        case DG_OUTCOME_DUPLICATE:
            outcome = NGX_HTTP_DOSSIER_STORED_BEFORE;
            break;

        case DG_OUTCOME_CONFLICT:
            outcome = NGX_HTTP_DOSSIER_CONFLICT;
            break;

        default:
            /* committed, but to what end is unknown: in doubt, and a
             * retry is safe */
            ngx_http_dossier_pg_log(pc, "PostgreSQL",
                                    "unexpected outcome of a dossier");
            outcome = NGX_HTTP_DOSSIER_UNAVAILABLE;
            break;
        }

        ngx_http_dossier_pg_answer(item, outcome);
    }

    /*
     * What is left was not stored: the transaction rolled back.  An error
     * about the data (SQLSTATE classes 22 and 23) may be one item's fault,
     * so a batch of several is retried one by one to isolate it, a group
     * whole and alone (in order: from the last item, each at the head);
     * any other failure is the server's, and the client may retry.
     */
    data = pc->failed && (ngx_strncmp(pc->sqlstate, "22", 2) == 0
                          || ngx_strncmp(pc->sqlstate, "23", 2) == 0);

    for (i = pc->nitems; data && i-- > 0; /* void */) {
        item = pc->items[i];
        if (item && item->group && !item->group->solo) {
            ngx_http_dossier_pg_enqueue(pg, item, 1);
        }
    }

    for (i = 0; i < pc->nitems; i++) {
        item = pc->items[i];
        if (item == NULL) {
            continue;
        }

        pc->items[i] = NULL;
        item->conn = NULL;

        if (item->queued) {
            item->group->solo = 1;
            continue;
        }

        if (data) {
            if (pc->nitems > 1 && item->group == NULL) {
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

    /* queued, in flight, or failed and about to say so */
    if (q->queued || q->conn || q->posted) {
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
 * (no reconnect storm when the server is down).  A statement in flight
 * (a batch, a progress update) is answered "unavailable": its COMMIT may
 * or may not have happened, and a retry resolves that safely (CONTRACT
 * 1.1).  On a timeout, dropping the connection is what cancels the
 * statement on the server (see ngx_http_dossier_pg_options).
 */
static void
ngx_http_dossier_pg_fail(ngx_http_dossier_pg_conn_t *pc, const char *why)
{
    ngx_uint_t                    i;
    ngx_http_dossier_pg_t        *pg = pc->pg;
    ngx_http_dossier_pg_query_t  *q;

    ngx_http_dossier_pg_log(pc, "PostgreSQL connection",
                            (why && why[0]) ? why : "failed");

    if (pc->query) {
        q = pc->query;
        pc->query = NULL;
        ngx_http_dossier_pg_post_query(pg, q);
    }

    for (i = 0; i < pc->nitems; i++) {
        if (pc->items[i]) {
            pc->items[i]->conn = NULL;
            ngx_http_dossier_pg_post_item(pg, pc->items[i],
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
        ngx_http_dossier_pg_post_query(pg, query);
    }

    while (!ngx_queue_empty(&pg->queue)) {
        q = ngx_queue_head(&pg->queue);
        item = ngx_queue_data(q, ngx_http_dossier_pg_item_t, queue);

        ngx_http_dossier_pg_dequeue(item);
        ngx_http_dossier_pg_post_item(pg, item, NGX_HTTP_DOSSIER_UNAVAILABLE);
    }
}


/*
 * Every change to the submission queue goes through these two, so the
 * places counted by the admission always match what waits.  A new item's
 * place was taken by ngx_http_dossier_pg_submit(); one coming back (head)
 * takes it again.
 */
static void
ngx_http_dossier_pg_enqueue(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_item_t *item, ngx_uint_t head)
{
    item->pg = pg;
    item->queued = 1;

    if (head) {
        ngx_queue_insert_head(&pg->queue, &item->queue);
        dg_admission_reenter(pg->admission, item->place);

    } else {
        ngx_queue_insert_tail(&pg->queue, &item->queue);
    }

    if (item->group) {
        item->group->queued++;
    }

    pg->stats->queued = dg_admission_waiting(pg->admission);
}


static void
ngx_http_dossier_pg_dequeue(ngx_http_dossier_pg_item_t *item)
{
    ngx_queue_remove(&item->queue);
    item->queued = 0;
    dg_admission_leave(item->pg->admission, item->place);
    item->pg->stats->queued = dg_admission_waiting(item->pg->admission);

    if (item->group) {
        item->group->queued--;
    }
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

    ngx_http_dossier_pg_state(pc, NGX_HTTP_DOSSIER_PG_DOWN);
}


/* Every change of a connection's state goes through here, so that the
 * counts by state match the pool (the listener is not in it). */
static void
ngx_http_dossier_pg_state(ngx_http_dossier_pg_conn_t *pc, ngx_uint_t state)
{
    if (!pc->listener) {
        pc->pg->stats->conns[pc->state]--;
        pc->pg->stats->conns[state]++;
    }

    pc->state = state;
}


/* Answers an item now: only from a result that just arrived (an event of
 * the connection, never inside a call that queued something). */
static void
ngx_http_dossier_pg_answer(ngx_http_dossier_pg_item_t *item,
    ngx_http_dossier_outcome_e outcome)
{
    item->outcome = outcome;
    ngx_http_dossier_pg_finish(item);
}


/* An item has its outcome: its handler, or its group's once the group's
 * last item has one. */
static void
ngx_http_dossier_pg_finish(ngx_http_dossier_pg_item_t *item)
{
    ngx_http_dossier_pg_group_t  *g = item->group;

    item->pg->stats->outcomes[item->outcome]++;

    if (g == NULL) {
        item->handler(item);
        return;
    }

    if (--g->pending == 0) {
        g->handler(g);
    }
}


/*
 * Every other answer (a failure, a deadline) waits for the next turn of
 * the event loop.  Failures are found inside ngx_http_dossier_pg_submit()
 * and ngx_http_dossier_pg_query() too (a send failing on an idle
 * connection): answered there, a handler would run before the call that
 * registered it returned, and would meet a caller not ready for it (a
 * lookup not yet in its tree, a request finalized under its handler).
 */
static void
ngx_http_dossier_pg_post_item(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_item_t *item, ngx_http_dossier_outcome_e outcome)
{
    item->outcome = outcome;
    item->posted = 1;
    ngx_queue_insert_tail(&pg->posted_items, &item->queue);
    ngx_post_event(&pg->post, &ngx_posted_events);
}


static void
ngx_http_dossier_pg_post_query(ngx_http_dossier_pg_t *pg,
    ngx_http_dossier_pg_query_t *q)
{
    q->conn = NULL;
    q->sqlstate[0] = '\0';
    q->posted = 1;
    ngx_queue_insert_tail(&pg->posted_queries, &q->queue);
    ngx_post_event(&pg->post, &ngx_posted_events);
}


/*
 * Runs the posted answers.  What they post in turn (a handler that queues
 * again and fails at once) waits for the next run: a handler never loops
 * here without the event loop turning.
 */
static void
ngx_http_dossier_pg_deliver(ngx_event_t *ev)
{
    ngx_queue_t                    items, queries, waiters, *q;
    ngx_http_dossier_pg_t         *pg = ev->data;
    ngx_http_dossier_pg_item_t    *item;
    ngx_http_dossier_pg_query_t   *query;
    ngx_http_dossier_pg_waiter_t  *w;

    ngx_queue_init(&items);
    ngx_queue_init(&queries);
    ngx_queue_init(&waiters);

    /* cancelling removes an answer from whichever list holds it */
    if (!ngx_queue_empty(&pg->posted_items)) {
        ngx_queue_add(&items, &pg->posted_items);
        ngx_queue_init(&pg->posted_items);
    }

    if (!ngx_queue_empty(&pg->posted_queries)) {
        ngx_queue_add(&queries, &pg->posted_queries);
        ngx_queue_init(&pg->posted_queries);
    }

    if (!ngx_queue_empty(&pg->posted_waiters)) {
        ngx_queue_add(&waiters, &pg->posted_waiters);
        ngx_queue_init(&pg->posted_waiters);
    }

    while (!ngx_queue_empty(&items)) {
        q = ngx_queue_head(&items);
        ngx_queue_remove(q);
        item = ngx_queue_data(q, ngx_http_dossier_pg_item_t, queue);
        item->posted = 0;
        ngx_http_dossier_pg_finish(item);
    }

    while (!ngx_queue_empty(&queries)) {
        q = ngx_queue_head(&queries);
        ngx_queue_remove(q);
        query = ngx_queue_data(q, ngx_http_dossier_pg_query_t, queue);
        query->posted = 0;
        query->handler(query, NULL);
    }

    while (!ngx_queue_empty(&waiters)) {
        q = ngx_queue_head(&waiters);
        ngx_queue_remove(q);
        w = ngx_queue_data(q, ngx_http_dossier_pg_waiter_t, queue);
        w->posted = 0;
        w->handler(w, w->ready);
    }
}


char *
ngx_http_dossier_pg_parse_conninfo(ngx_conf_t *cf, ngx_str_t *conninfo,
    ngx_http_dossier_pg_conf_t *conf)
{
    char              *err, *host, *hostaddr, *port, *attrs;
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
    port = NULL;
    attrs = NULL;
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

        } else if (ngx_strcmp(o->keyword, "port") == 0) {
            port = o->val;

        } else if (ngx_strcmp(o->keyword, "target_session_attrs") == 0) {
            attrs = o->val;
        }
    }

    err = ngx_http_dossier_pg_check_servers(host, hostaddr, port, attrs);
    if (err) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "PostgreSQL conninfo: %s",
                           err);
        PQconninfoFree(opts);
        return NGX_CONF_ERROR;
    }

    /* one more for "options", which is always given */
    conf->keywords = ngx_pcalloc(cf->pool, (n + 2) * sizeof(char *));
    conf->values = ngx_pcalloc(cf->pool, (n + 2) * sizeof(char *));
    if (conf->keywords == NULL || conf->values == NULL) {
        PQconninfoFree(opts);
        return NGX_CONF_ERROR;
    }

    for (o = opts, i = 0; o->keyword; o++) {
        if (ngx_strcmp(o->keyword, "options") == 0) {
            conf->keywords[i] = "options";
            conf->values[i] = ngx_http_dossier_pg_options(cf->pool, o->val);

        } else if (o->val == NULL) {
            continue;

        } else {
            conf->keywords[i] = ngx_http_dossier_pg_strdup(cf->pool,
                                                           o->keyword);
            conf->values[i] = ngx_http_dossier_pg_strdup(cf->pool, o->val);
        }

        if (conf->keywords[i] == NULL || conf->values[i] == NULL) {
            PQconninfoFree(opts);
            return NGX_CONF_ERROR;
        }

        i++;
    }

    PQconninfoFree(opts);

    return NGX_CONF_OK;
}


/*
 * The servers of a conninfo: numeric "hostaddr" addresses, or "host"
 * unix-socket directories, so that no worker ever resolves a name.
 * Several servers (a Patroni cluster) are tried by libpq in order; they
 * need target_session_attrs=read-write (or primary), or a standby could
 * take the writes.
 */
static char *
ngx_http_dossier_pg_check_servers(const char *host, const char *hostaddr,
    const char *port, const char *attrs)
{
    u_char      addr[NGX_SOCKADDR_STRLEN + 1], buf[sizeof(struct in6_addr)];
    size_t      len;
    ngx_uint_t  n;
    const char *p, *end;

    if (host == NULL && hostaddr == NULL) {
        return "set \"host\" to a unix-socket directory or \"hostaddr\" "
               "to a numeric address";
    }

    n = ngx_http_dossier_pg_count(hostaddr ? hostaddr : host);

    for (p = hostaddr ? hostaddr : host; *p; p = *end ? end + 1 : end) {
        end = ngx_strchr(p, ',');
        if (end == NULL) {
            end = p + ngx_strlen(p);
        }

        len = end - p;

        if (hostaddr == NULL) {
            if (len == 0 || p[0] != '/') {
                return "\"host\" must be a unix-socket directory; give a "
                       "TCP server as \"hostaddr\" (a numeric address: "
                       "workers resolve no names)";
            }

            continue;
        }

        if (len == 0 || len >= sizeof(addr)) {
            return "\"hostaddr\" must list numeric addresses";
        }

        ngx_memcpy(addr, p, len);
        addr[len] = '\0';

        if (inet_pton(AF_INET, (char *) addr, buf) != 1
            && inet_pton(AF_INET6, (char *) addr, buf) != 1)
        {
            return "\"hostaddr\" must list numeric addresses "
                   "(\"127.0.0.1,10.0.0.2\"): workers resolve no names";
        }
    }

    if (hostaddr && host && ngx_http_dossier_pg_count(host) != n) {
        return "\"host\" must name as many servers as \"hostaddr\"";
    }

    if (port && ngx_http_dossier_pg_count(port) != 1
        && ngx_http_dossier_pg_count(port) != n)
    {
        return "\"port\" must be one port or one per server";
    }

    if (n > 1
        && (attrs == NULL
            || (ngx_strcmp(attrs, "read-write") != 0
                && ngx_strcmp(attrs, "primary") != 0)))
    {
        return "several servers need target_session_attrs=read-write: "
               "only the primary may take the writes";
    }

    return NULL;
}


/* The elements of a comma-separated libpq list. */
static ngx_uint_t
ngx_http_dossier_pg_count(const char *list)
{
    ngx_uint_t  n;

    for (n = 1; *list; list++) {
        if (*list == ',') {
            n++;
        }
    }

    return n;

}


/*
 * The server options of every connection: the conninfo's own, after ours
 * (the last of a name wins, so a conninfo may change ours).
 *
 * A statement that outlives its timeout is cancelled by dropping its
 * connection (ngx_http_dossier_pg_fail).  libpq's own cancel cannot be
 * used in a worker: PQcancel() connects and writes synchronously, and the
 * non-blocking PQcancelStart() arrives only with libpq 17; a hand-made
 * CancelRequest needs the backend's secret key, which libpq 15 does not
 * expose.  But a backend reads its socket only between statements, so a
 * dropped connection alone would let the statement run on to its COMMIT.
 * client_connection_check_interval (PostgreSQL 14+, polled with
 * POLLRDHUP) makes the backend look at the socket while a statement runs,
 * lock waits included, and abort it (rolling it back) within the interval
 * once the socket is closed.  What committed before that is found by the
 * retry of CONTRACT 1.1 (the same dossier is 200, the same progress
 * record is 200 without a second history row).
 */
static char *
ngx_http_dossier_pg_options(ngx_pool_t *pool, const char *given)
{
    u_char  *p, *last;
    size_t   len;

    len = sizeof(NGX_HTTP_DOSSIER_PG_OPTIONS) + (given ? ngx_strlen(given) : 0)
          + 1;

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NULL;
    }

    last = ngx_cpymem(p, NGX_HTTP_DOSSIER_PG_OPTIONS,
                      sizeof(NGX_HTTP_DOSSIER_PG_OPTIONS) - 1);

    if (given) {
        *last++ = ' ';
        last = ngx_cpymem(last, given, ngx_strlen(given));
    }

    *last = '\0';

    return (char *) p;
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


dg_outcome_e
ngx_http_dossier_pg_outcome(PGresult *res, int row, int col)
{
    return dg_outcome_parse(PQgetvalue(res, row, col),
                            PQgetlength(res, row, col));
}


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

/*
 * The shared status cache in Redis (format and consistency rules:
 * module/core/dg_cache.h), for one worker.
 *
 * The promise: no reader sees a status older than one acknowledged to a
 * writer.  A writer announces its write before it answers: a pending mark
 * per MaHoSo (dg_cache.h), set by a command sent beside its transaction
 * (its round trip overlaps the COMMIT; a progress record's goes after
 * it), whose reply the answer awaits.
 * While the mark pends, reads miss and go to PostgreSQL and fills from
 * reads are refused; the writer's own write, sent after COMMIT and not
 * awaited, replaces the entry and drops the mark.  A reader on another
 * worker or node uses another connection, which Redis does not order with
 * ours, but it needs no order: the mark was applied before the answer.
 *
 * Without a mark (its command failed, or the mark is older than half its
 * lifetime) the writer waits for its write's reply, as only a reply
 * proves Redis applied it: "queued before the answer" is not "sent" (the
 * output buffer goes out at the end of the event-loop pass), and "send()
 * returned" is not "processed" (the bytes may wait in a socket buffer or
 * in Redis's receive queue while Redis serves the reader).  A write that
 * failed drops the connection, which retires every entry (the generation
 * rule) before that worker reads again.
 */

#ifndef NGX_HTTP_DOSSIER_CACHE_H
#define NGX_HTTP_DOSSIER_CACHE_H

#include <ngx_config.h>
#include <ngx_core.h>

#include "dg_cache.h"
#include "ngx_http_dossier_redis.h"
#include "ngx_http_dossier_sentinel.h"


typedef struct ngx_http_dossier_cache_s  ngx_http_dossier_cache_t;


typedef struct {
    ngx_http_dossier_redis_conf_t     redis;
    ngx_http_dossier_sentinel_conf_t *sentinel;      /* or NULL */
    ngx_flag_t                        enabled;
    ngx_str_t                         prefix;        /* "dg:" */
    time_t                            ttl;
    time_t                            negative_ttl;
    ngx_msec_t                        mark_ttl;
    ngx_http_dossier_redis_script_t  *get;
    ngx_http_dossier_redis_script_t  *put;
    ngx_http_dossier_redis_script_t  *mark;
} ngx_http_dossier_cache_conf_t;


/* A lookup, embedded in its caller's context. e is valid during the
 * handler only. */
typedef struct ngx_http_dossier_cache_get_s  ngx_http_dossier_cache_get_t;

typedef void (*ngx_http_dossier_cache_get_pt)(
    ngx_http_dossier_cache_get_t *get, dg_cache_result_e rc,
    dg_cache_entry_t *e);

struct ngx_http_dossier_cache_get_s {
    ngx_http_dossier_cache_get_pt     handler;
    void                             *data;
    ngx_http_dossier_cache_t         *cache;
    ngx_http_dossier_redis_cmd_t     *cmd;
};


/* A write the caller waits for (to answer only once readers see it). */
typedef struct ngx_http_dossier_cache_put_s  ngx_http_dossier_cache_put_t;

typedef void (*ngx_http_dossier_cache_put_pt)(
    ngx_http_dossier_cache_put_t *put);

struct ngx_http_dossier_cache_put_s {
    ngx_http_dossier_cache_put_pt     handler;
    void                             *data;
    ngx_http_dossier_cache_t         *cache;
    ngx_http_dossier_redis_cmd_t     *cmd;
};


/* A writer's pending marks, embedded in its context. */
typedef struct ngx_http_dossier_cache_mark_s  ngx_http_dossier_cache_mark_t;

typedef void (*ngx_http_dossier_cache_mark_pt)(
    ngx_http_dossier_cache_mark_t *mark);

struct ngx_http_dossier_cache_mark_s {
    ngx_http_dossier_cache_mark_pt    handler;
    void                             *data;
    ngx_http_dossier_cache_t         *cache;
    ngx_http_dossier_redis_cmd_t     *cmd;        /* awaited */
    ngx_msec_t                        sent;
    unsigned                          held:1;     /* Redis set them */
};


/* stats: this worker's counts (the cache's, and its Redis
 * connection's). */
ngx_http_dossier_cache_t *ngx_http_dossier_cache_create(ngx_cycle_t *cycle,
    ngx_http_dossier_cache_conf_t *conf, ngx_http_dossier_stats_t *stats);
void ngx_http_dossier_cache_destroy(ngx_http_dossier_cache_t *cache);

/* The Redis connection, for other uses (nonces, limits). */
ngx_http_dossier_redis_t *ngx_http_dossier_cache_redis(
    ngx_http_dossier_cache_t *cache);

/* NGX_OK: get->handler runs later.  NGX_DECLINED: no cache now. */
ngx_int_t ngx_http_dossier_cache_get(ngx_http_dossier_cache_t *cache,
    ngx_str_t *code, ngx_http_dossier_cache_get_t *get);
void ngx_http_dossier_cache_get_cancel(ngx_http_dossier_cache_get_t *get);

/* A read's fill: s as PostgreSQL had it, or NULL for an unknown code
 * (the negative entry), in gen, the generation of the cache read before
 * (-1: none, nothing is filled); refused while a writer's mark pends or
 * once gen is over.  Nobody waits. */
void ngx_http_dossier_cache_fill(ngx_http_dossier_cache_t *cache,
    ngx_str_t *code, dg_status_t *s, long long gen);

/*
 * A writer's announcement, before it answers: marks n MaHoSo (at most a
 * batch).  NGX_OK: mark->handler runs once Redis replied (mark->held
 * says whether the marks are set).  NGX_DECLINED: no cache now.
 */
ngx_int_t ngx_http_dossier_cache_mark(ngx_http_dossier_cache_t *cache,
    ngx_str_t *codes, ngx_uint_t n, ngx_http_dossier_cache_mark_t *mark);

/* Stops waiting; marks set stay until they expire (misses only). */
void ngx_http_dossier_cache_mark_cancel(ngx_http_dossier_cache_mark_t *mark);

/* A status's entry (dg_cache_value()), freed with pool, or malloc'ed
 * when pool is NULL; NULL when out of memory. */
u_char *ngx_http_dossier_cache_value(ngx_pool_t *pool, dg_status_t *s);

/*
 * After COMMIT: a writer's new entry for code (value, of version; NULL
 * when it wrote nothing), dropping its mark when mark->held.  NGX_OK: the
 * answer may go now.  NGX_AGAIN: put->handler runs once Redis applied the
 * write (no mark, or an old one), then the answer may go.
 */
ngx_int_t ngx_http_dossier_cache_written(ngx_http_dossier_cache_t *cache,
    ngx_str_t *code, long long version, u_char *value,
    ngx_http_dossier_cache_mark_t *mark, ngx_http_dossier_cache_put_t *put);
void ngx_http_dossier_cache_put_cancel(ngx_http_dossier_cache_put_t *put);

#endif /* NGX_HTTP_DOSSIER_CACHE_H */

/*
 * The shared status cache in Redis (format and consistency rules:
 * module/core/dg_cache.h), for one worker.
 *
 * The promise: no reader sees a status older than one acknowledged to a
 * writer.  So a writer answers (201, 200) only once the reply to its
 * write is in: only a reply proves that Redis applied it.  Orderings
 * cheaper than that are not sound, because a reader on another worker or
 * node uses another connection, and Redis orders commands within one
 * connection only:
 *
 *  - "queued before the answer" is not "sent": the output buffer goes out
 *    at the end of the event-loop pass, and the answer to the client may
 *    be written earlier in the same pass;
 *  - "send() returned before the answer" is not "processed": the bytes may
 *    wait in our socket buffer (a full window, loopback delivered later by
 *    ksoftirqd on a loaded machine), then in Redis's receive queue while
 *    Redis serves the reader, whose socket one epoll_wait() may report
 *    first (with io-threads, clients are even parsed in parallel).
 *
 * A reader whose GET leaves after the writer got its reply (it starts
 * after the answer) reaches a Redis that has applied the write; a write
 * that failed drops the connection, which retires every entry (the
 * generation rule) before that worker reads again.  What the wait costs
 * is one round trip after COMMIT, shared with every command of the same
 * pass (one write, ngx_http_dossier_redis.c).
 *
 * Taking it off the answer's path soundly needs the write announced in a
 * command whose reply the answer already waits for (a per-MaHoSo pending
 * mark set before COMMIT, in the script of the nonce and limits or beside
 * the transaction: GET misses and fills are refused while a mark is
 * pending, the writer's put clears it); README, "Lookups, progress and
 * the cache".
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
    ngx_http_dossier_redis_script_t  *get;
    ngx_http_dossier_redis_script_t  *put;
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

/*
 * Stores an entry (value: dg_cache_value() or DG_CACHE_UNKNOWN_VALUE) if
 * it is newer than what the cache holds.  put may be NULL (nobody waits).
 * NGX_OK: put->handler runs once the write is done or failed; NGX_DECLINED:
 * not sent (Redis is away; entries from before are retired when it is
 * back).
 */
ngx_int_t ngx_http_dossier_cache_put(ngx_http_dossier_cache_t *cache,
    ngx_str_t *code, long long version, const char *value,
    ngx_http_dossier_cache_put_t *put);
void ngx_http_dossier_cache_put_cancel(ngx_http_dossier_cache_put_t *put);

/* Builds the entry for a status and stores it (see above). */
ngx_int_t ngx_http_dossier_cache_put_status(ngx_http_dossier_cache_t *cache,
    dg_status_t *s, ngx_http_dossier_cache_put_t *put);

#endif /* NGX_HTTP_DOSSIER_CACHE_H */

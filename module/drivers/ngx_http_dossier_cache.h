/*
 * The shared status cache in Redis (format and consistency rules:
 * module/core/dg_cache.h), for one worker.
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

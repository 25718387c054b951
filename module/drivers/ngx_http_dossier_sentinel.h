/*
 * Redis Sentinel, for one worker's Redis client: asks a Sentinel where
 * the master is (SENTINEL get-master-addr-by-name, numeric addresses
 * only), subscribes on the same connection to +switch-master, and moves
 * the client to each new master.  The Sentinels are tried in turn.
 *
 *     dossier_redis sentinel=127.0.0.1:26479,127.0.0.1:26480 master=NAME;
 */

#ifndef NGX_HTTP_DOSSIER_SENTINEL_H
#define NGX_HTTP_DOSSIER_SENTINEL_H

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_dossier_redis.h"


typedef struct ngx_http_dossier_sentinel_s  ngx_http_dossier_sentinel_t;

typedef struct {
    ngx_http_dossier_redis_conf_t   redis;      /* the Sentinels */
    ngx_str_t                       master;     /* the name they know */
} ngx_http_dossier_sentinel_conf_t;


/* Is this argument of "dossier_redis" a list of Sentinels? */
ngx_uint_t ngx_http_dossier_sentinel_named(ngx_str_t *arg);

/* "sentinel=ADDR,ADDR,... master=NAME" into *conf. */
char *ngx_http_dossier_sentinel_parse(ngx_conf_t *cf, ngx_str_t *args,
    ngx_uint_t nargs, ngx_http_dossier_sentinel_conf_t **conf);

/* Locates master (a client created with no address): starts asking, and
 * ngx_http_dossier_redis_set_addr(master, ...) follows. */
ngx_http_dossier_sentinel_t *ngx_http_dossier_sentinel_create(
    ngx_cycle_t *cycle, ngx_http_dossier_sentinel_conf_t *conf,
    ngx_http_dossier_redis_t *master);
void ngx_http_dossier_sentinel_destroy(ngx_http_dossier_sentinel_t *s);

#endif /* NGX_HTTP_DOSSIER_SENTINEL_H */

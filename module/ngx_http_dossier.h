/*
 * ngx_http_dossier_module: the storage the other parts of the gateway
 * share (PostgreSQL pool, Redis and the status cache), configured by the
 * core directives and created in each worker.
 *
 * The gateway is several nginx modules in one dynamic library, each file
 * owning one concern and its directives (README.md, "Layout"): responses,
 * request bodies, authentication, nonces, limits, plugins, the admin
 * listener, submissions, lookups and progress.  Parsing and every dossier
 * rule live in the nginx-free core (module/core, dg_*).
 */

#ifndef NGX_HTTP_DOSSIER_H
#define NGX_HTTP_DOSSIER_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_dossier_cache.h"
#include "ngx_http_dossier_pg.h"


typedef struct {
    ngx_http_dossier_pg_conf_t      pg;
    ngx_flag_t                      pg_enabled;
    ngx_http_dossier_cache_conf_t   cache_conf;

    /* per worker, from init_process on */
    ngx_http_dossier_pg_t          *pool;
    ngx_http_dossier_cache_t       *cache;      /* NULL: no Redis */
} ngx_http_dossier_main_conf_t;


extern ngx_module_t  ngx_http_dossier_module;


/* This worker's PostgreSQL pool (NULL without dossier_pg), its cache
 * (NULL without dossier_redis) and the cache's Redis connection. */
ngx_http_dossier_pg_t *ngx_http_dossier_pool(ngx_http_request_t *r);
ngx_http_dossier_cache_t *ngx_http_dossier_cache(ngx_http_request_t *r);
ngx_http_dossier_redis_t *ngx_http_dossier_redis(ngx_http_request_t *r);

/* The procedure catalog this worker has, or NULL (none loaded yet). */
const dg_catalog_t *ngx_http_dossier_catalog(ngx_http_request_t *r);

/* The "set" of a location directive that installs its cmd->post as the
 * location's content handler (dossier_submit, dossier_admin, ...). */
char *ngx_http_dossier_set_handler(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* Configuration time, once the http block is read: a location directive
 * (named) that was used needs "dossier_pg", or every request it serves
 * would be answered 503; nginx -t says so instead. */
char *ngx_http_dossier_needs_pg(ngx_conf_t *cf, ngx_flag_t used,
    const char *directive);

/* Configuration time: the cache's settings (the prefix other Redis keys
 * share, the Redis that scripts are loaded on), NULL-safe. */
ngx_http_dossier_cache_conf_t *ngx_http_dossier_cache_conf(ngx_conf_t *cf);

#endif /* NGX_HTTP_DOSSIER_H */
